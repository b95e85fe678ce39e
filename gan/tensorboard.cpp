// gan/tensorboard.cpp — TensorBoard event files (see tensorboard.h): the
// TFRecord framing with CRC-32C, and the handful of protobuf encodings an
// Event with scalars and PNG images needs.
#include "gan/tensorboard.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace gantry {
namespace gan {

namespace {

// ------------------------------------------------------------- CRC-32C
const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> t = [] {
    std::array<uint32_t, 256> r{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected
      r[i] = c;
    }
    return r;
  }();
  return t;
}

uint32_t masked_crc(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

// ------------------------------------------------------------ protobuf
// Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit.
void put_varint(std::string& o, uint64_t v) {
  while (v >= 0x80) {
    o += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  o += static_cast<char>(v);
}
void put_key(std::string& o, int field, int wire) {
  put_varint(o, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire));
}
void put_fixed(std::string& o, const void* p, size_t n) {  // little-endian machines only
  o.append(static_cast<const char*>(p), n);
}
void put_bytes(std::string& o, int field, const std::string& s) {
  put_key(o, field, 2);
  put_varint(o, s.size());
  o += s;
}
void put_int(std::string& o, int field, int64_t v) {
  put_key(o, field, 0);
  put_varint(o, static_cast<uint64_t>(v));
}

// Event { wall_time = 1 (double), step = 2 (int64), ... }
std::string event_header(int64_t step) {
  std::string e;
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  put_key(e, 1, 1);
  put_fixed(e, &now, 8);
  put_int(e, 2, step);
  return e;
}

// Summary { value = 1 } wrapped as Event.summary = 5.
std::string with_summary(int64_t step, const std::string& value) {
  std::string summary;
  put_bytes(summary, 1, value);
  std::string e = event_header(step);
  put_bytes(e, 5, summary);
  return e;
}

uint32_t be32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  const auto& t = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = t[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

EventWriter::EventWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  GANTRY_CHECK(!ec && std::filesystem::is_directory(dir), "tensorboard: cannot create '", dir,
               "': ", ec.message());
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  path_ = dir + "/events.out.tfevents." + std::to_string(secs) + ".gantry." +
          std::to_string(getpid());
  f_ = std::fopen(path_.c_str(), "wb");
  GANTRY_CHECK(f_ != nullptr, "tensorboard: cannot create '", path_, "': ", std::strerror(errno));
  std::string e = event_header(0);
  put_bytes(e, 3, "brain.Event:2");
  write_event(e);
}

EventWriter::~EventWriter() {
  if (f_) std::fclose(f_);
}

void EventWriter::write_event(const std::string& event) {
  const uint64_t len = event.size();
  char head[12];
  std::memcpy(head, &len, 8);
  const uint32_t hcrc = masked_crc(head, 8);
  std::memcpy(head + 8, &hcrc, 4);
  const uint32_t dcrc = masked_crc(event.data(), event.size());
  const bool ok = std::fwrite(head, 1, 12, f_) == 12 &&
                  std::fwrite(event.data(), 1, event.size(), f_) == event.size() &&
                  std::fwrite(&dcrc, 1, 4, f_) == 4 && std::fflush(f_) == 0;
  GANTRY_CHECK(ok, "tensorboard: cannot write '", path_, "': ", std::strerror(errno));
}

void EventWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  std::string v;
  put_bytes(v, 1, tag);
  const float f = static_cast<float>(value);
  put_key(v, 2, 5);
  put_fixed(v, &f, 4);
  write_event(with_summary(step, v));
}

void EventWriter::add_png(const std::string& tag, const std::string& png, int64_t step) {
  static const char sig[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
  GANTRY_CHECK(png.size() >= 26 && std::memcmp(png.data(), sig, 8) == 0 &&
                   png.compare(12, 4, "IHDR") == 0,
               "tensorboard: image '", tag, "' is not a PNG");
  const uint32_t w = be32(png, 16), h = be32(png, 20);
  const int color_type = static_cast<unsigned char>(png[25]);
  // PNG color types: 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA -> TensorBoard's 1, 3, 2, 4.
  const int channels = color_type == 0 ? 1 : color_type == 2 ? 3 : color_type == 4 ? 2 : 4;
  std::string image;
  put_int(image, 1, h);
  put_int(image, 2, w);
  put_int(image, 3, channels);
  put_bytes(image, 4, png);
  std::string v;
  put_bytes(v, 1, tag);
  put_bytes(v, 4, image);
  write_event(with_summary(step, v));
}

void EventWriter::flush() {
  GANTRY_CHECK(std::fflush(f_) == 0 && fsync(fileno(f_)) == 0, "tensorboard: cannot flush '",
               path_, "': ", std::strerror(errno));
}

std::vector<std::string> read_tfrecords(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  GANTRY_CHECK(f != nullptr, "tensorboard: cannot open '", path, "': ", std::strerror(errno));
  std::vector<std::string> out;
  for (;;) {
    char head[12];
    const size_t got = std::fread(head, 1, 12, f);
    if (got == 0) break;
    uint64_t len = 0;
    uint32_t hcrc = 0, dcrc = 0;
    bool ok = got == 12;
    if (ok) {
      std::memcpy(&len, head, 8);
      std::memcpy(&hcrc, head + 8, 4);
      ok = hcrc == masked_crc(head, 8) && len < (uint64_t(1) << 31);
    }
    std::string data;
    if (ok) {
      data.resize(len);
      ok = std::fread(data.data(), 1, len, f) == len && std::fread(&dcrc, 1, 4, f) == 4 &&
           dcrc == masked_crc(data.data(), data.size());
    }
    if (!ok) {
      std::fclose(f);
      throw Error(str("tensorboard: '", path, "': record ", out.size(),
                      " is truncated or fails its CRC"));
    }
    out.push_back(std::move(data));
  }
  std::fclose(f);
  return out;
}

}  // namespace gan
}  // namespace gantry
