// tests/test_io.cpp — the files Gantry reads and writes: IDX (plain and
// gzipped), Fashion-MNIST, .npy, safetensors checkpoints, PNG grids and image
// folders, the DataLoader's deterministic order, and TOML configs.
//
// Every parser is also fed truncated, bit-flipped and absurd inputs: each must
// give gantry::Error (or, where a flip is harmless, a valid result), never a
// crash or another exception type.
#include <catch2/catch.hpp>

#include "tests/test_skip.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdio>  // before jpeglib.h, which needs FILE
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/tensor.h"
#include "gan/config.h"
#include "gan/data/idx.h"
#include "gan/data/image.h"
#include "gan/data/loader.h"
#include "gan/data/npy.h"
#include "nn/safetensors.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

using namespace gantry;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed with its contents at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("gantry_test_io_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string gzip(const std::string& in) {
  z_stream s{};
  REQUIRE(deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&s, in.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

void put_be32(std::string& s, uint32_t v) {
  for (int k = 3; k >= 0; --k) s += static_cast<char>((v >> (8 * k)) & 0xFF);
}

// An IDX file: magic, big-endian dims, then `payload` (already big-endian).
std::string make_idx(int code, const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string s;
  s += '\0';
  s += '\0';
  s += static_cast<char>(code);
  s += static_cast<char>(dims.size());
  for (uint32_t d : dims) put_be32(s, d);
  return s + payload;
}

template <typename T>
std::string be_bytes(const std::vector<T>& v) {
  std::string s;
  for (T x : v) {
    unsigned char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    for (int k = static_cast<int>(sizeof(T)) - 1; k >= 0; --k) s += static_cast<char>(b[k]);
  }
  return s;
}

// Runs f; a gantry::Error is fine, any other exception fails the test.
// Returns true when f threw gantry::Error.
template <typename F>
bool error_or_ok(F&& f) {
  try {
    f();
    return false;
  } catch (const gantry::Error&) {
    return true;
  }
}

template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const gantry::Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  Tensor ca = core::contiguous(a), cb = core::contiguous(b);
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * ca.itemsize()) == 0;
}

}  // namespace

// =================================================================== IDX

TEST_CASE("IDX: every type code round-trips, plain and gzipped", "[io][idx]") {
  TempDir dir;
  struct Case {
    int code;
    std::vector<uint32_t> dims;
    std::string payload;
    DType dtype;
    std::vector<double> values;
  };
  std::vector<Case> cases = {
      {0x08, {2, 3, 4}, "", kUInt8, {}},
      {0x09, {5}, "", kInt32, {-128, -1, 0, 1, 127}},
      {0x0B, {2, 2}, be_bytes<int16_t>({-32768, -2, 300, 32767}), kInt32, {-32768, -2, 300, 32767}},
      {0x0C, {3}, be_bytes<int32_t>({-7, 0, 2000000000}), kInt32, {-7, 0, 2000000000}},
      {0x0D, {2, 2}, be_bytes<float>({1.5f, -2.25f, 0.f, 3e7f}), kFloat32, {1.5, -2.25, 0, 3e7}},
      {0x0E, {3}, be_bytes<double>({0.1, -1e300, 42}), kFloat64, {0.1, -1e300, 42}},
      {0x08, {0, 28}, "", kUInt8, {}},
  };
  for (int v = 0; v < 24; ++v) {
    cases[0].payload += static_cast<char>(v * 10);
    cases[0].values.push_back(v * 10);
  }
  for (int8_t v : {-128, -1, 0, 1, 127}) cases[1].payload += static_cast<char>(v);
  for (const Case& c : cases) {
    const std::string bytes = make_idx(c.code, c.dims, c.payload);
    for (bool gz : {false, true}) {
      INFO("code 0x" << std::hex << c.code << std::dec << (gz ? " gzipped" : " plain"));
      const std::string p = dir.file(gz ? "a.idx.gz" : "a.idx");
      write_bytes(p, gz ? gzip(bytes) : bytes);
      Tensor t = gan::read_idx(p);
      CHECK(t.dtype() == c.dtype);
      Shape want(c.dims.begin(), c.dims.end());
      CHECK(t.shape() == want);
      CHECK(t.to_vector<double>() == c.values);
    }
  }
}

TEST_CASE("IDX: truncated, corrupt and absurd files give gantry::Error", "[io][idx][robust]") {
  TempDir dir;
  const std::string p = dir.file("x.idx");
  std::string payload;
  for (int v = 0; v < 60; ++v) payload += static_cast<char>(v * 3);
  const std::string good = make_idx(0x08, {3, 4, 5}, payload);
  const std::string good_gz = gzip(good);
  write_bytes(p, good);
  const Tensor ref = gan::read_idx(p);

  SECTION("every truncation of a plain file") {
    for (size_t n = 0; n < good.size(); ++n) {
      INFO("length " << n);
      write_bytes(p, good.substr(0, n));
      CHECK_THROWS_AS(gan::read_idx(p), gantry::Error);
    }
  }
  SECTION("every truncation of a gzipped file") {
    for (size_t n = 0; n < good_gz.size(); ++n) {
      INFO("length " << n);
      write_bytes(p, good_gz.substr(0, n));
      CHECK_THROWS_AS(gan::read_idx(p), gantry::Error);
    }
  }
  SECTION("every bit flip of a gzipped file: an error, or (ignored header field) the same data") {
    for (size_t k = 0; k < good_gz.size(); ++k)
      for (int bit : {0, 7}) {
        INFO("byte " << k << " bit " << bit);
        std::string b = good_gz;
        b[k] = static_cast<char>(b[k] ^ (1 << bit));
        write_bytes(p, b);
        Tensor t;
        if (!error_or_ok([&] { t = gan::read_idx(p); })) CHECK(same_tensor(t, ref));
      }
  }
  SECTION("header flips of a plain file never crash") {
    for (size_t k = 0; k < 16; ++k)
      for (int bit = 0; bit < 8; ++bit) {
        std::string b = good;
        b[k] = static_cast<char>(b[k] ^ (1 << bit));
        write_bytes(p, b);
        error_or_ok([&] { gan::read_idx(p); });
      }
  }
  SECTION("absurd and inconsistent headers") {
    write_bytes(p, make_idx(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 4}, ""));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("exceeds the limit"));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains(p));
    // Within the limit but far larger than the file: refused before allocating.
    write_bytes(p, make_idx(0x0E, {1u << 20, 256}, "abc"));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("truncated"));
    // A gzipped liar: announces 1 GiB, holds 3 bytes.
    write_bytes(p, gzip(make_idx(0x08, {1u << 30}, "abc")));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("truncated"));
    write_bytes(p, make_idx(0x08, {}, ""));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("dimensions"));
    write_bytes(p, std::string("\0\0\x08\xC8", 4) + std::string(800, '\1'));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("dimensions"));
    write_bytes(p, make_idx(0x07, {1}, "a"));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("type code"));
    write_bytes(p, std::string("\x01\x02\x08\x01", 4) + std::string("\0\0\0\1a", 5));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("not an IDX file"));
    write_bytes(p, good + "junk");
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("trailing"));
    write_bytes(p, gzip(good + "junk"));
    CHECK_THAT(error_message([&] { gan::read_idx(p); }), Catch::Contains("unexpected data"));
    CHECK_THAT(error_message([&] { gan::read_idx(dir.file("missing.idx")); }),
               Catch::Contains("cannot open"));
    CHECK_THROWS_AS(gan::read_idx(dir.path.string()), gantry::Error);  // a directory
  }
}

TEST_CASE("Fashion-MNIST loads with the right shapes, range and labels", "[io][idx][dataset]") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  CHECK_THAT(error_message([] { gan::load_fashion_mnist("/nonexistent/fmnist", true); }),
             Catch::Contains("dataset-fashion-mnist"));
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) {
    GANTRY_SKIP("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
  }
  gan::ImageDataset train = gan::load_fashion_mnist(dir, true);
  REQUIRE(train.images.shape() == Shape{60000, 1, 28, 28});
  REQUIRE(train.labels.shape() == Shape{60000});
  CHECK(train.images.dtype() == kFloat32);
  CHECK(train.labels.dtype() == kInt64);
  const float* px = train.images.data<float>();
  auto mm = std::minmax_element(px, px + train.images.numel());
  CHECK(*mm.first == -1.0f);
  CHECK(*mm.second == 1.0f);
  std::vector<int64_t> count(10, 0);
  for (int64_t l : train.labels.to_vector<int64_t>()) {
    REQUIRE(l >= 0);
    REQUIRE(l <= 9);
    ++count[l];
  }
  CHECK(count == std::vector<int64_t>(10, 6000));  // Fashion-MNIST is balanced

  gan::ImageDataset test = gan::load_fashion_mnist(dir, false, 100);
  CHECK(test.images.shape() == Shape{100, 1, 28, 28});
  CHECK(test.labels.shape() == Shape{100});
  gan::ImageDataset all_test = gan::load_fashion_mnist(dir, false);
  CHECK(all_test.images.size(0) == 10000);
  CHECK(same_tensor(test.images, core::slice(all_test.images, 0, 0, 100, 1)));
}

// =================================================================== .npy

TEST_CASE("npy: every dtype round-trips, with any layout and edge shapes", "[io][npy]") {
  TempDir dir;
  const std::string p = dir.file("a.npy");
  std::vector<Tensor> ts = {
      from_vector<float>({1.5f, -2.f, 3.25f, 0.f, 1e-30f, 7.f}, {2, 3}),
      from_vector<double>({0.1, -0.2, 1e300, 4}, {4}),
      from_vector<int64_t>({-1, 2, INT64_MAX, INT64_MIN}, {2, 2}),
      from_vector<int32_t>({1, -2, 3, -4, 5, -6}, {3, 1, 2}),
      from_vector<uint8_t>({0, 1, 254, 255, 128}, {5}),
      scalar_tensor(2.5),                                 // 0-d
      empty({0, 3}),                                      // no elements
      arange(12, kFloat32).reshape({3, 4}).transpose(0, 1),  // not contiguous
  };
  for (const Tensor& t : ts) {
    INFO(tensor_desc(t));
    gan::save_npy(p, t);
    Tensor r = gan::load_npy(p);
    CHECK(same_tensor(r, t));
    CHECK(r.is_contiguous());
    CHECK(read_bytes(p).size() % 64 == (t.numel() * t.itemsize()) % 64);  // 64-byte header
    CHECK_FALSE(fs::exists(p + ".tmp"));
  }
  CHECK_THROWS_AS(gan::save_npy(p, Tensor()), gantry::Error);
}

// The exact bytes numpy 2.4 writes for np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)),
// np.array([1, -2, 3], dtype='<i8') and np.array(7, dtype='|u1').
TEST_CASE("npy: reads numpy's bytes, and writes the same bytes numpy does", "[io][npy]") {
  TempDir dir;
  const std::string p = dir.file("np.npy");
  auto header = [](const std::string& dict) {
    // 118 header bytes (0x76): the dict, spaces, '\n'; 128 bytes in all before the data.
    return std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict +
           std::string(117 - dict.size(), ' ') + "\n";
  };
  const std::string f4 =
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") +
      std::string("\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40"
                  "\x00\x00\x80\x40\x00\x00\xa0\x40", 24);
  REQUIRE(f4.size() == 152);
  REQUIRE(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
              .substr(10, 60) == "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ");
  write_bytes(p, f4);
  Tensor a = gan::load_npy(p);
  CHECK(a.shape() == Shape{2, 3});
  CHECK(a.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
  gan::save_npy(p, a);
  CHECK(read_bytes(p) == f4);

  const std::string i8 =
      header("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }") +
      std::string("\x01\0\0\0\0\0\0\0\xfe\xff\xff\xff\xff\xff\xff\xff\x03\0\0\0\0\0\0\0", 24);
  REQUIRE(i8.size() == 152);
  write_bytes(p, i8);
  Tensor b = gan::load_npy(p);
  CHECK(b.dtype() == kInt64);
  CHECK(b.to_vector<int64_t>() == std::vector<int64_t>{1, -2, 3});
  gan::save_npy(p, b);
  CHECK(read_bytes(p) == i8);

  const std::string u1 = header("{'descr': '|u1', 'fortran_order': False, 'shape': (), }") + "\x07";
  REQUIRE(u1.size() == 129);
  write_bytes(p, u1);
  Tensor c = gan::load_npy(p);
  CHECK(c.dim() == 0);
  CHECK(c.item<int>() == 7);
  gan::save_npy(p, c);
  CHECK(read_bytes(p) == u1);

  // Other spellings numpy (or Python 2) has used are accepted.
  write_bytes(p, std::string("\x93NUMPY\x01\x00\x34\x00", 10) +
                     "{\"shape\":(2L,),\"fortran_order\":False,\"descr\":\"<i4\"}\n" +
                     std::string("\x05\0\0\0\x06\0\0\0", 8));
  CHECK(gan::load_npy(p).to_vector<int32_t>() == std::vector<int32_t>{5, 6});
  // Version 2.0: a 4-byte header length.
  write_bytes(p, std::string("\x93NUMPY\x02\x00\x3a\x00\x00\x00", 12) +
                     "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n" +
                     std::string("\0\0\0\0\0\0\xf0\x3f", 8));
  CHECK(gan::load_npy(p).to_vector<double>() == std::vector<double>{1.0});
}

TEST_CASE("npy: refused and corrupt files give gantry::Error", "[io][npy][robust]") {
  TempDir dir;
  const std::string p = dir.file("bad.npy");
  auto file = [](const std::string& dict, const std::string& data) {
    std::string h = dict + "\n";
    std::string len;
    len += static_cast<char>(h.size() & 0xFF);
    len += static_cast<char>(h.size() >> 8);
    return std::string("\x93NUMPY\x01\x00", 8) + len + h + data;
  };
  const std::string data8(8, '\1');
  struct Bad {
    std::string bytes, why;
  };
  std::vector<Bad> bad = {
      {file("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data8), "fortran_order"},
      {file("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data8), "'>f4'"},
      {file("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", data8), "'<f2'"},
      {file("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data8), "'|O'"},
      {file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data8), "needs 12"},
      {file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data8), "needs 4"},
      {file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
            data8), "shape"},
      {file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data8),
       "too large"},
      {file("{'descr': '<f4', 'fortran_order': False}", data8), "lacks"},
      {file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", data8), "extra"},
      {file("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data8), "malformed"},
      {file("{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", data8), "malformed"},
      {file("['descr']", data8), "malformed"},
      {std::string("\x93NUMPY\x03\x00\x10\x00\x00\x00", 10), "version 3.0"},
      {std::string("\x93NUMPZ\x01\x00\x10\x00", 10), "magic"},
      {std::string("\x93NUMPY\x01\x00\xff\xff", 10), "past the end"},
      {std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12), "exceeds the limit"},
  };
  for (const Bad& b : bad) {
    INFO(b.why);
    write_bytes(p, b.bytes);
    std::string msg = error_message([&] { gan::load_npy(p); });
    CHECK_THAT(msg, Catch::Contains(b.why));
    CHECK_THAT(msg, Catch::Contains(p));
  }
  CHECK_THROWS_AS(gan::save_npy(p, zeros({2}, kBFloat16)), gantry::Error);

  gan::save_npy(p, from_vector<float>({1, 2, 3}, {3}));
  const std::string good = read_bytes(p);
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("length " << n);
    write_bytes(p, good.substr(0, n));
    CHECK_THROWS_AS(gan::load_npy(p), gantry::Error);
  }
  for (size_t k = 0; k < good.size() - 12; ++k)  // all but the data
    for (int bit = 0; bit < 8; ++bit) {
      std::string b = good;
      b[k] = static_cast<char>(b[k] ^ (1 << bit));
      write_bytes(p, b);
      error_or_ok([&] { gan::load_npy(p); });
    }
  CHECK_THROWS_AS(gan::load_npy(dir.file("missing.npy")), gantry::Error);
}

// =================================================================== safetensors

TEST_CASE("safetensors: round trip with metadata, in file order", "[io][safetensors]") {
  TempDir dir;
  const std::string p = dir.file("ck.safetensors");
  std::vector<std::pair<std::string, Tensor>> ts = {
      {"G.main.0.weight", from_vector<float>({1, -2, 3.5f, 4, 5, 6}, {2, 3})},
      {"D.bn.running_var", from_vector<double>({0.5, 0.25}, {2})},
      {"step", from_vector<int64_t>({123456789012345}, {1})},
      {"ids", from_vector<int32_t>({-1, 7, 9}, {3})},
      {"mask", from_vector<uint8_t>({1, 0, 1, 1}, {2, 2})},
      {"scalar", scalar_tensor(3.0)},
      {"empty", empty({0, 4})},
      {"transposed", arange(6, kFloat32).reshape({2, 3}).transpose(0, 1)},
  };
  std::map<std::string, std::string> md = {{"format", "gantry"}, {"step", "100"},
                                           {"note", "quotes \" and \\ and\nnewline"}};
  nn::save_safetensors(p, ts, md);
  CHECK_FALSE(fs::exists(p + ".tmp"));
  const std::string bytes = read_bytes(p);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK(n % 8 == 0);
  CHECK(bytes[8] == '{');

  nn::SafetensorsFile f = nn::load_safetensors(p);
  CHECK(f.metadata == md);
  REQUIRE(f.tensors.size() == ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    INFO(ts[i].first);
    CHECK(f.tensors[i].first == ts[i].first);
    CHECK(same_tensor(f.tensors[i].second, ts[i].second));
  }
  // No metadata at all is fine too.
  nn::save_safetensors(p, {{"x", ones({2})}}, {});
  CHECK(nn::load_safetensors(p).metadata.empty());

  CHECK_THROWS_AS(nn::save_safetensors(p, {{"a", ones({1})}, {"a", ones({1})}}), gantry::Error);
  CHECK_THROWS_AS(nn::save_safetensors(p, {{"__metadata__", ones({1})}}), gantry::Error);
  CHECK_THROWS_AS(nn::save_safetensors(p, {{"", ones({1})}}), gantry::Error);
  // 16-bit floats are saved as F16/BF16 (bit-level round trips: tests/test_half.cpp).
  nn::save_safetensors(p, {{"h", zeros({1}, kFloat16)}});
  CHECK(nn::load_safetensors(p).tensors.at(0).second.dtype() == kFloat16);
}

// The bytes Python's safetensors 0.x writes for
//   save({"w": np.array([[1.5,-2],[0.25,8]], np.float32), "step": np.array([7], np.int64)},
//        metadata={"format": "gantry"})
TEST_CASE("safetensors: reads the Python library's bytes", "[io][safetensors]") {
  TempDir dir;
  const std::string p = dir.file("py.safetensors");
  const std::string json =
      "{\"__metadata__\":{\"format\":\"gantry\"},\"step\":{\"dtype\":\"I64\",\"shape\":[1],"
      "\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}"
      "    ";
  REQUIRE(json.size() == 0x98);
  const std::string bytes = std::string("\x98\0\0\0\0\0\0\0", 8) + json +
                            std::string("\x07\0\0\0\0\0\0\0\0\0\xc0\x3f\0\0\0\xc0\0\0\x80\x3e\0\0\0\x41", 24);
  REQUIRE(bytes.size() == 184);
  write_bytes(p, bytes);
  nn::SafetensorsFile f = nn::load_safetensors(p);
  CHECK(f.metadata == std::map<std::string, std::string>{{"format", "gantry"}});
  REQUIRE(f.tensors.size() == 2);
  CHECK(f.tensors[0].first == "step");
  CHECK(f.tensors[0].second.to_vector<int64_t>() == std::vector<int64_t>{7});
  CHECK(f.tensors[1].first == "w");
  CHECK(f.tensors[1].second.shape() == Shape{2, 2});
  CHECK(f.tensors[1].second.to_vector<float>() == std::vector<float>{1.5f, -2, 0.25f, 8});
}

TEST_CASE("safetensors: corrupt, truncated and absurd files give gantry::Error",
          "[io][safetensors][robust]") {
  TempDir dir;
  const std::string p = dir.file("bad.safetensors");
  auto file = [](const std::string& json, const std::string& data) {
    std::string len;
    for (int i = 0; i < 8; ++i) len += static_cast<char>((json.size() >> (8 * i)) & 0xFF);
    return len + json + data;
  };
  const std::string d16(16, '\2');
  struct Bad {
    std::string bytes, why;
  };
  std::vector<Bad> bad = {
      {std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10), "exceeds the limit"},
      {std::string("\x00\x10\x00\x00\x00\x00\x00\x00{}", 10), "exceeds the file size"},
      {std::string("\x05\0\0", 3), "too short"},
      {file("{\"a\": {", d16), "not valid JSON"},
      {file("[1,2]", d16), "not a JSON object"},
      {file("{\"a\":{\"dtype\":\"F8_E5M2\",\"shape\":[2],\"data_offsets\":[0,2]}}", d16), "F8_E5M2"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d16), "needs 12"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", d16), "past the data"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", d16), "begin > end"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", d16), "overlap"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", d16), "non-negative"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", d16), "non-negative"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
            d16), "more bytes"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,8]}}",
            d16), "absurd"},
      {file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", d16), "data_offsets"},
      {file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", d16), "dtype"},
      {file("{\"a\":[1]}", d16), "not an object"},
      {file("{\"__metadata__\":{\"k\":1}}", d16), "not a string"},
      {file("{\"__metadata__\":[]}", d16), "__metadata__"},
  };
  for (const Bad& b : bad) {
    INFO(b.why);
    write_bytes(p, b.bytes);
    std::string msg = error_message([&] { nn::load_safetensors(p); });
    CHECK_THAT(msg, Catch::Contains(b.why));
    CHECK_THAT(msg, Catch::Contains(p));
  }

  nn::save_safetensors(p, {{"w", from_vector<float>({1, 2, 3}, {3})}, {"b", ones({2}, kInt64)}},
                       {{"k", "v"}});
  const std::string good = read_bytes(p);
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("length " << n);
    write_bytes(p, good.substr(0, n));
    CHECK_THROWS_AS(nn::load_safetensors(p), gantry::Error);
  }
  const size_t data_at = good.size() - 28;
  for (size_t k = 0; k < data_at; ++k)
    for (int bit : {0, 1, 5, 7}) {
      INFO("byte " << k << " bit " << bit);
      std::string b = good;
      b[k] = static_cast<char>(b[k] ^ (1 << bit));
      write_bytes(p, b);
      error_or_ok([&] { nn::load_safetensors(p); });
    }
  CHECK_THROWS_AS(nn::load_safetensors(dir.file("missing.safetensors")), gantry::Error);
}

TEST_CASE("atomic writes: a failed write leaves the previous file intact", "[io][atomic]") {
  TempDir dir;
  const std::string p = dir.file("ck.safetensors");
  nn::save_safetensors(p, {{"w", ones({4})}}, {{"step", "1"}});
  const std::string before = read_bytes(p);

  // The directory does not exist: an error naming the file.
  CHECK_THAT(error_message([&] {
               nn::save_safetensors(dir.file("nope/ck.safetensors"), {{"w", ones({4})}}, {});
             }),
             Catch::Contains("nope/ck.safetensors.tmp"));
  // The temporary file cannot be created (a directory sits in its place).
  fs::create_directory(p + ".tmp");
  CHECK_THROWS_AS(nn::save_safetensors(p, {{"w", zeros({4})}}, {}), gantry::Error);
  CHECK(read_bytes(p) == before);
  fs::remove(p + ".tmp");
  // The write itself fails halfway (the temporary is a link to /dev/full: ENOSPC).
  if (fs::exists("/dev/full")) {
    fs::create_symlink("/dev/full", p + ".tmp");
    std::string msg = error_message([&] { nn::save_safetensors(p, {{"w", zeros({4096})}}, {}); });
    CHECK_THAT(msg, Catch::Contains("left unchanged"));
    CHECK(read_bytes(p) == before);
    CHECK_FALSE(fs::exists(fs::symlink_status(p + ".tmp")));  // cleaned up

    const std::string np = dir.file("s.npy");
    gan::save_npy(np, ones({3}));
    const std::string np_before = read_bytes(np);
    fs::create_symlink("/dev/full", np + ".tmp");
    CHECK_THROWS_AS(gan::save_npy(np, zeros({100000})), gantry::Error);
    CHECK(read_bytes(np) == np_before);

    const std::string png = dir.file("g.png");
    gan::save_png_grid(png, zeros({1, 1, 4, 4}));
    const std::string png_before = read_bytes(png);
    fs::create_symlink("/dev/full", png + ".tmp");
    CHECK_THROWS_AS(gan::save_png_grid(png, rand({64, 3, 32, 32})), gantry::Error);
    CHECK(read_bytes(png) == png_before);
  }
  // The rename fails (the target is a directory): the temporary is removed.
  const std::string d = dir.file("adir");
  fs::create_directory(d);
  CHECK_THROWS_AS(gan::save_npy(d, ones({2})), gantry::Error);
  CHECK(fs::is_directory(d));
  CHECK_FALSE(fs::exists(d + ".tmp"));
  // And a successful save replaces the file.
  nn::save_safetensors(p, {{"w", zeros({4})}}, {});
  CHECK(read_bytes(p) != before);
}

// =================================================================== images

TEST_CASE("PNG grid: make_grid layout, padding and pixel mapping", "[io][image]") {
  TempDir dir;
  const std::string p = dir.file("grid.png");
  // 5 gray images 4x6: image k has value v_k everywhere but pixel (1,2) = 2.0 (clamped).
  std::vector<float> vals = {-1.f, 0.f, 1.f, -0.5f, -3.f};
  Tensor imgs = empty({5, 1, 4, 6});
  float* q = imgs.data<float>();
  for (int k = 0; k < 5; ++k)
    for (int i = 0; i < 24; ++i) q[k * 24 + i] = vals[k];
  q[1 * 6 + 2] = 2.0f;
  gan::save_png_grid(p, imgs, /*nrow=*/3, /*padding=*/2);
  CHECK_FALSE(fs::exists(p + ".tmp"));
  int w = 0, h = 0, comp = 0;
  unsigned char* px = stbi_load(p.c_str(), &w, &h, &comp, 0);
  REQUIRE(px != nullptr);
  CHECK(comp == 1);
  CHECK(w == 3 * (6 + 2) + 2);  // 26
  CHECK(h == 2 * (4 + 2) + 2);  // 14
  auto at = [&](int y, int x) { return int(px[y * w + x]); };
  CHECK(at(0, 0) == 0);                      // padding
  CHECK(at(2, 2) == 0);                      // image 0 (value -1) top-left
  CHECK(at(3, 4) == 255);                    // image 0 pixel (1,2) = 2.0 clamped to 1
  CHECK(at(2, 2 + 8) == 128);                // image 1: 0 -> 127.5 -> 128
  CHECK(at(2, 2 + 16) == 255);               // image 2: 1
  CHECK(at(2 + 6, 2) == 64);                 // image 3 (second row): -0.5 -> 63.75 -> 64
  CHECK(at(2 + 6, 2 + 8) == 0);              // image 4: -3 clamped to -1
  CHECK(at(2 + 6, 2 + 16) == 0);             // empty slot
  CHECK(at(1, 9) == 0);                      // padding between images
  stbi_image_free(px);

  // RGB, one per row, no padding.
  Tensor rgb = zeros({2, 3, 2, 2});
  core::fill_(rgb.select(1, 0), 1.0);   // red channel
  core::fill_(rgb.select(1, 2), -1.0);  // blue off
  gan::save_png_grid(p, rgb, 1, 0);
  px = stbi_load(p.c_str(), &w, &h, &comp, 0);
  REQUIRE(px != nullptr);
  CHECK(comp == 3);
  CHECK(w == 2);
  CHECK(h == 4);
  CHECK(int(px[0]) == 255);
  CHECK(int(px[1]) == 128);
  CHECK(int(px[2]) == 0);
  stbi_image_free(px);

  CHECK_THROWS_AS(gan::save_png_grid(p, zeros({2, 2, 4, 4})), gantry::Error);  // C = 2
  CHECK_THROWS_AS(gan::save_png_grid(p, zeros({4, 4})), gantry::Error);
  CHECK_THROWS_AS(gan::save_png_grid(p, zeros({0, 1, 4, 4})), gantry::Error);
  CHECK_THROWS_AS(gan::save_png_grid(p, zeros({1, 1, 4, 4}), 0), gantry::Error);
  CHECK_THROWS_AS(gan::save_png_grid(p, zeros({1, 1, 4, 4}, kInt64)), gantry::Error);
}

TEST_CASE("load_image and load_image_folder", "[io][image]") {
  TempDir dir;
  // Values that survive 8-bit quantization exactly: b / 127.5 - 1.
  auto img = [](int seed) {
    Tensor t = empty({1, 1, 4, 5});
    float* q = t.data<float>();
    for (int i = 0; i < 20; ++i) q[i] = static_cast<float>((seed * 37 + i * 11) % 256) / 127.5f - 1.f;
    return t;
  };
  fs::create_directory(dir.path / "imgs");
  gan::save_png_grid(dir.file("imgs/b.png"), img(2), 1, 0);
  gan::save_png_grid(dir.file("imgs/a.png"), img(1), 1, 0);
  gan::save_png_grid(dir.file("imgs/c.PNG"), img(3), 1, 0);
  write_bytes(dir.file("imgs/notes.txt"), "not an image");

  Tensor one = gan::load_image(dir.file("imgs/a.png"), 1);
  CHECK(one.shape() == Shape{1, 4, 5});
  CHECK(same_tensor(one, img(1).select(0, 0)));
  Tensor three = gan::load_image(dir.file("imgs/a.png"), 3);
  CHECK(three.shape() == Shape{3, 4, 5});
  CHECK(same_tensor(three.select(0, 2), img(1).select(0, 0).select(0, 0)));

  gan::ImageDataset ds = gan::load_image_folder(dir.file("imgs"), 1);
  REQUIRE(ds.images.shape() == Shape{3, 1, 4, 5});
  CHECK_FALSE(ds.labels.defined());
  for (int k = 0; k < 3; ++k) CHECK(same_tensor(ds.images.select(0, k), img(k + 1).select(0, 0)));
  CHECK(gan::load_image_folder(dir.file("imgs"), 3).images.shape() == Shape{3, 3, 4, 5});

  // An explicit size must match; so must every image.
  CHECK_THROWS_AS(gan::load_image_folder(dir.file("imgs"), 1, 4), gantry::Error);
  gan::save_png_grid(dir.file("imgs/d.png"), zeros({1, 1, 4, 4}), 1, 0);
  CHECK_THAT(error_message([&] { gan::load_image_folder(dir.file("imgs"), 1); }),
             Catch::Contains("d.png"));
  fs::create_directory(dir.path / "empty");
  CHECK_THROWS_AS(gan::load_image_folder(dir.file("empty"), 1), gantry::Error);
  CHECK_THROWS_AS(gan::load_image_folder(dir.file("missing"), 1), gantry::Error);
  CHECK_THROWS_AS(gan::load_image(dir.file("imgs/a.png"), 0), gantry::Error);
  CHECK_THAT(error_message([&] { gan::load_image(dir.file("imgs/notes.txt"), 1); }),
             Catch::Contains("notes.txt"));
}

namespace {
// A JPEG file of `px` ([h][w][comp] bytes, comp 1 or 3) from libjpeg-turbo's
// encoder (the decoder under test is its other half; stb's JPEG writer would
// be independent but shifts negative values, which UBSan rejects).
std::string encode_jpeg(const std::vector<unsigned char>& px, int w, int h, int comp, int quality) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = comp;
  c.in_color_space = comp == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(px.data()) + static_cast<size_t>(c.next_scanline) * w * comp;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::string out(reinterpret_cast<const char*>(buf), size);
  jpeg_destroy_compress(&c);
  std::free(buf);
  return out;
}
// A smooth w x h image with `comp` channels (1 gray, 3 RGB), bytes [h][w][comp]
// (at most 20 + 90 + 40 + 80 = 230 for 16 x 9: no wrap-around).
std::vector<unsigned char> smooth_pixels(int w, int h, int comp) {
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * comp);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < comp; ++c)
        px[(static_cast<size_t>(y) * w + x) * comp + c] =
            static_cast<unsigned char>(20 + 6 * x + 5 * y + 40 * c);
  return px;
}
}  // namespace

TEST_CASE("load_image: JPEG (gray and RGB) decodes to its pixels in every channel count",
          "[io][image]") {
  TempDir dir;
  const int w = 16, h = 9;
  for (int comp : {1, 3}) {
    const std::vector<unsigned char> px = smooth_pixels(w, h, comp);
    const std::string jpg = encode_jpeg(px, w, h, comp, 100);
    REQUIRE(jpg.size() > 100);
    const std::string p = dir.file(comp == 1 ? "gray.jpg" : "rgb.jpg");
    write_bytes(p, jpg);
    for (int channels = 1; channels <= 4; ++channels) {
      INFO("source channels " << comp << ", requested " << channels);
      Tensor t = gan::load_image(p, channels);
      REQUIRE(t.shape() == Shape{channels, h, w});
      const float* q = t.data<float>();
      double worst = 0;
      for (int c = 0; c < channels; ++c)
        for (int i = 0; i < w * h; ++i) {
          const double got = (q[c * w * h + i] + 1.0) * 127.5;
          double want;
          if (c == channels - 1 && (channels == 2 || channels == 4)) {
            want = 255;  // alpha: opaque
          } else if (comp == 3 && channels <= 2) {  // RGB -> gray: the luma
            want = 0.299 * px[i * 3] + 0.587 * px[i * 3 + 1] + 0.114 * px[i * 3 + 2];
          } else {
            want = px[static_cast<size_t>(i) * comp + (comp == 1 ? 0 : c)];
          }
          worst = std::max(worst, std::abs(got - want));
        }
      CHECK(worst <= 6.0);  // quality 100 on a smooth image: a few levels at most
    }
    // Every truncation is refused with an error naming the file, never gray filler.
    const std::string cut = dir.file("cut.jpg");
    for (size_t n : {size_t(0), size_t(2), jpg.size() / 3, jpg.size() / 2, jpg.size() - 2}) {
      write_bytes(cut, jpg.substr(0, n));
      CHECK_THAT(error_message([&] { gan::load_image(cut, 3); }), Catch::Contains("cut.jpg"));
    }
  }
}

TEST_CASE("load_image: truncated, corrupt and oversized images give gantry::Error",
          "[io][image][robust]") {
  TempDir dir;
  const std::string src = dir.file("src.png"), p = dir.file("bad.png");
  gan::save_png_grid(src, rand({2, 3, 4, 4}), 2, 1);
  const std::string good = read_bytes(src);
  REQUIRE_NOTHROW(gan::load_image(src, 3));
  int failures = 0;
  for (size_t n = 0; n < good.size(); ++n) {
    write_bytes(p, good.substr(0, n));
    failures += error_or_ok([&] { gan::load_image(p, 3); });
  }
  CHECK(failures >= static_cast<int>(good.size()) - 16);
  for (size_t k = 0; k < good.size(); ++k) {
    std::string b = good;
    b[k] = static_cast<char>(b[k] ^ 0x10);
    write_bytes(p, b);
    error_or_ok([&] { gan::load_image(p, 1); });
  }
  // A PNG header announcing a huge image is refused before decoding.
  auto png_header = [](uint32_t w, uint32_t h) {
    std::string s("\x89PNG\r\n\x1a\n", 8);
    put_be32(s, 13);
    s += "IHDR";
    put_be32(s, w);
    put_be32(s, h);
    s += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit gray
    put_be32(s, 0);                                // CRC (stb does not check it)
    return s;
  };
  write_bytes(p, png_header(16000, 16000));
  std::string msg = error_message([&] { gan::load_image(p, 1); });
  CHECK_THAT(msg, Catch::Contains("limit"));
  CHECK_THAT(msg, Catch::Contains(p));
  write_bytes(p, png_header(100000, 10));
  CHECK_THROWS_AS(gan::load_image(p, 1), gantry::Error);
  write_bytes(p, "");
  CHECK_THROWS_AS(gan::load_image(p, 1), gantry::Error);
}

TEST_CASE("load_image: zero-length IDAT chunks (legal PNG) decode like the file without them",
          "[io][image][robust]") {
  // stb once copied such a chunk's 0 bytes to a null buffer (UBSan in the
  // fuzzer); image.cpp drops them before stb sees the file.
  TempDir dir;
  const std::string src = dir.file("src.png"), p = dir.file("empty_idat.png");
  gan::save_png_grid(src, rand({1, 3, 5, 7}), 1, 0);
  const std::string good = read_bytes(src);
  const size_t idat = good.find("IDAT");
  REQUIRE(idat != std::string::npos);
  std::string empty_chunk;
  put_be32(empty_chunk, 0);
  empty_chunk += "IDAT";
  put_be32(empty_chunk, 0x35AF061E);  // CRC-32 of "IDAT"
  std::string b = good;
  b.insert(idat - 4, empty_chunk);  // before the first IDAT
  const size_t iend = b.find("IEND");
  REQUIRE(iend != std::string::npos);
  b.insert(iend - 4, empty_chunk);  // and after the last one
  write_bytes(p, b);
  const Tensor want = gan::load_image(src, 3), got = gan::load_image(p, 3);
  CHECK(got.to_vector<float>() == want.to_vector<float>());
  write_bytes(p, good.substr(0, idat - 4) + empty_chunk);  // nothing but empty IDAT: an error
  CHECK_THROWS_AS(gan::load_image(p, 3), gantry::Error);
}

// =================================================================== DataLoader

namespace {
// N images [1,2,2] whose pixels all equal the index; labels = index.
gan::ImageDataset indexed(int64_t n, bool labels = true) {
  gan::ImageDataset ds;
  ds.images = empty({n, 1, 2, 2});
  float* q = ds.images.data<float>();
  for (int64_t i = 0; i < n * 4; ++i) q[i] = static_cast<float>(i / 4);
  if (labels) ds.labels = arange(static_cast<double>(n), kInt64);
  return ds;
}
std::vector<int64_t> ids(const gan::DataLoader::Batch& b) {
  std::vector<int64_t> out;
  std::vector<float> v = b.images.to_vector<float>();
  for (size_t k = 0; k < v.size(); k += 4) out.push_back(static_cast<int64_t>(v[k]));
  return out;
}
}  // namespace

TEST_CASE("DataLoader: batches, epochs and drop_last", "[io][loader]") {
  gan::ImageDataset ds = indexed(10);
  gan::DataLoader dl(ds, 3, /*seed=*/42);
  CHECK(dl.batches_per_epoch() == 3);
  CHECK(dl.epoch() == 0);
  CHECK(dl.position() == 0);
  std::set<int64_t> seen;
  for (int k = 0; k < 3; ++k) {
    gan::DataLoader::Batch b = dl.next();
    CHECK(b.epoch == 0);
    CHECK(b.index == k);
    REQUIRE(b.images.shape() == Shape{3, 1, 2, 2});
    CHECK(b.images.dtype() == kFloat32);
    CHECK(b.images.is_contiguous());
    CHECK(b.labels.to_vector<int64_t>() == ids(b));  // labels follow their images
    for (int64_t i : ids(b)) seen.insert(i);
    CHECK(dl.position() == k + 1);
  }
  CHECK(seen.size() == 9);  // 9 distinct examples; one dropped
  gan::DataLoader::Batch b = dl.next();  // rolls over
  CHECK(b.epoch == 1);
  CHECK(b.index == 0);
  CHECK(dl.epoch() == 1);
  CHECK(dl.position() == 1);
  // A batch is a copy: writing to it leaves the dataset alone.
  core::fill_(b.images, -7.0);
  CHECK(ds.images.to_vector<float>()[0] == 0.f);

  gan::DataLoader keep(ds, 3, 42, true, /*drop_last=*/false);
  CHECK(keep.batches_per_epoch() == 4);
  std::vector<int64_t> all;
  for (int k = 0; k < 4; ++k) {
    auto v = ids(keep.next());
    CHECK(v.size() == (k < 3 ? 3u : 1u));
    all.insert(all.end(), v.begin(), v.end());
  }
  CHECK(all == keep.permutation(0));
  std::sort(all.begin(), all.end());
  CHECK(all == arange(10.0, kInt64).to_vector<int64_t>());

  gan::DataLoader plain(indexed(5, false), 2, 7, /*shuffle=*/false, true);
  CHECK(ids(plain.next()) == std::vector<int64_t>{0, 1});
  CHECK(ids(plain.next()) == std::vector<int64_t>{2, 3});
  gan::DataLoader::Batch nb = plain.next();
  CHECK_FALSE(nb.labels.defined());
  CHECK(nb.epoch == 1);
  CHECK(ids(nb) == std::vector<int64_t>{0, 1});

  CHECK_THROWS_AS(gan::DataLoader(ds, 11, 1), gantry::Error);  // no full batch
  CHECK_NOTHROW(gan::DataLoader(ds, 11, 1, true, false));
  CHECK_THROWS_AS(gan::DataLoader(ds, 0, 1), gantry::Error);
  CHECK_THROWS_AS(gan::DataLoader(gan::ImageDataset{}, 1, 1), gantry::Error);
  gan::ImageDataset mismatched = indexed(10);
  mismatched.labels = arange(9.0, kInt64);
  CHECK_THROWS_AS(gan::DataLoader(mismatched, 2, 1), gantry::Error);
  CHECK_THROWS_AS(dl.seek(0, 4), gantry::Error);
  CHECK_THROWS_AS(dl.seek(-1, 0), gantry::Error);
}

TEST_CASE("DataLoader: order is a pure function of (seed, epoch) and seek resumes exactly",
          "[io][loader]") {
  gan::ImageDataset ds = indexed(100);
  gan::DataLoader a(ds, 8, 1234), b(ds, 8, 1234), c(ds, 8, 999);
  CHECK(a.batches_per_epoch() == 12);
  std::vector<std::vector<int64_t>> run;
  bool differs_from_c = false;
  for (int k = 0; k < 40; ++k) {  // more than 3 epochs
    auto x = ids(a.next());
    CHECK(x == ids(b.next()));
    differs_from_c = differs_from_c || x != ids(c.next());
    run.push_back(x);
  }
  CHECK(differs_from_c);
  // Epochs are shuffled differently, and each is a permutation.
  CHECK(a.permutation(0) != a.permutation(1));
  CHECK(a.permutation(1) != a.permutation(2));
  CHECK(a.permutation(0) != arange(100.0, kInt64).to_vector<int64_t>());
  for (int e = 0; e < 4; ++e) {
    auto p = a.permutation(e);
    std::sort(p.begin(), p.end());
    CHECK(p == arange(100.0, kInt64).to_vector<int64_t>());
  }
  // Resume at every point of the run: the continuation is identical.
  for (int k = 0; k < 40; ++k) {
    gan::DataLoader r(ds, 8, 1234);
    r.seek(k / 12, k % 12);
    for (int j = k; j < std::min(k + 5, 40); ++j) {
      INFO("resume at " << k << ", batch " << j);
      gan::DataLoader::Batch bb = r.next();
      CHECK(ids(bb) == run[j]);
      CHECK(bb.epoch == j / 12);
      CHECK(bb.index == j % 12);
    }
  }
  // Seeking to the end of an epoch rolls over on the next call.
  gan::DataLoader r(ds, 8, 1234);
  r.seek(0, 12);
  CHECK(ids(r.next()) == run[12]);
  // Seeking backwards works too (the loader keeps no hidden state).
  r.seek(0, 0);
  CHECK(ids(r.next()) == run[0]);
  // A fresh loader's permutation for epoch 3 equals the one a used.
  CHECK(gan::DataLoader(ds, 8, 1234).permutation(3) == a.permutation(3));
}

// =================================================================== config

TEST_CASE("config: every value type, sections, comments", "[io][config]") {
  const std::string text = R"(# top comment
name = "dcgan \"v1\"\\path\nnext"   # trailing comment
literal = 'C:\raw'
seed = 42
neg = -7
big = 1_000_000
hex = 0x1F
lr = 2.0e-4
small = 1e-4
half = 0.5
pinf = +inf
flag = true
off = false
betas = [0.5, 0.999]
mixed = [1, -2.5, 3e2,]
empty = []
multi = [
  1,   # one
  2,
]
"quoted key" = 1
dotted.key = 3

[optim]
lr = 0.0002     # shadows nothing: this is optim.lr
  [ data.sub ]
dir = "/usr/share/datasets/fashion-mnist"
uni = "caf\u00e9"
)";
  gan::Config c = gan::Config::parse(text, "cfg.toml");
  CHECK(c.get_string("name") == "dcgan \"v1\"\\path\nnext");
  CHECK(c.get_string("literal") == "C:\\raw");
  CHECK(c.get_int("seed") == 42);
  CHECK(c.get_int("neg") == -7);
  CHECK(c.get_int("big") == 1000000);
  CHECK(c.get_int("hex") == 31);
  CHECK(c.get_double("lr") == 2.0e-4);
  CHECK(c.get_double("small") == 1e-4);
  CHECK(c.get_double("half") == 0.5);
  CHECK(std::isinf(c.get_double("pinf")));
  CHECK(c.get_double("seed") == 42.0);  // an integer reads as a double
  CHECK(c.get_bool("flag"));
  CHECK_FALSE(c.get_bool("off"));
  CHECK(c.get_doubles("betas") == std::vector<double>{0.5, 0.999});
  CHECK(c.get_doubles("mixed") == std::vector<double>{1, -2.5, 300});
  CHECK(c.get_doubles("empty").empty());
  CHECK(c.get_doubles("multi") == std::vector<double>{1, 2});
  CHECK(c.get_int("quoted key") == 1);
  CHECK(c.get_int("dotted.key") == 3);
  CHECK(c.get_double("optim.lr") == 0.0002);
  CHECK(c.get_string("data.sub.dir") == "/usr/share/datasets/fashion-mnist");
  CHECK(c.get_string("data.sub.uni") == "caf\xc3\xa9");
  CHECK(c.type("lr") == gan::Config::Type::Float);
  CHECK(c.has("optim.lr"));
  CHECK_FALSE(c.has("optim.beta1"));
  // Defaults for missing keys; a missing key without a default is an error.
  CHECK(c.get_int("optim.steps", 5) == 5);
  CHECK(c.get_string("nothing", "x") == "x");
  CHECK(c.get_double("nothing", 1.5) == 1.5);
  CHECK(c.get_bool("nothing", true));
  CHECK(c.get_doubles("nothing", {1.0}) == std::vector<double>{1.0});
  CHECK_THAT(error_message([&] { c.get_int("optim.steps"); }), Catch::Contains("optim.steps"));
  std::vector<std::string> keys = c.keys();
  REQUIRE(keys.size() == 21);
  CHECK(keys.front() == "name");
  CHECK(keys[18] == "optim.lr");
  CHECK(keys.back() == "data.sub.uni");

  // Type mismatches name the key and its line:column.
  CHECK_THAT(error_message([&] { c.get_int("lr"); }), Catch::Contains("cfg.toml:8:1: key 'lr'"));
  CHECK_THAT(error_message([&] { c.get_string("seed"); }), Catch::Contains("'seed'"));
  CHECK_THROWS_AS(c.get_bool("name"), gantry::Error);
  CHECK_THROWS_AS(c.get_doubles("half"), gantry::Error);
  CHECK_THROWS_AS(c.get_double("flag"), gantry::Error);

  // dump() reads back to the same values.
  gan::Config d = gan::Config::parse(c.dump(), "dump");
  CHECK(d.keys() == c.keys());
  for (const std::string& k : c.keys()) CHECK(d.value_text(k) == c.value_text(k));
  CHECK(gan::Config::parse("", "empty").keys().empty());
  CHECK(gan::Config::parse("a = 1\r\nb = 2\r\n", "crlf").get_int("b") == 2);
}

TEST_CASE("config: command-line overrides", "[io][config]") {
  gan::Config c = gan::Config::parse("lr = 0.001\nsteps = 10\nname = \"x\"\nema = true\n"
                                     "betas = [0.5, 0.9]\n[data]\ndir = \"/a\"\n", "c.toml");
  c.set("lr", "2e-4");
  CHECK(c.get_double("lr") == 2e-4);
  c.set("lr", "1");  // an integer may replace a float
  CHECK(c.type("lr") == gan::Config::Type::Float);
  CHECK(c.get_double("lr") == 1.0);
  c.set("steps", "20");
  CHECK(c.get_int("steps") == 20);
  c.set("name", "run 7");  // anything replaces a string, as text
  CHECK(c.get_string("name") == "run 7");
  c.set("name", "123");
  CHECK(c.get_string("name") == "123");
  c.set("name", "\"quoted\"");
  CHECK(c.get_string("name") == "quoted");
  c.set("ema", "false");
  CHECK_FALSE(c.get_bool("ema"));
  c.set("betas", "[0.0, 0.99]");
  CHECK(c.get_doubles("betas") == std::vector<double>{0.0, 0.99});
  c.set_from_assignment("data.dir=/tmp/my data");
  CHECK(c.get_string("data.dir") == "/tmp/my data");
  c.set_from_assignment("new.key = 5");
  CHECK(c.get_int("new.key") == 5);
  CHECK(c.keys().back() == "new.key");
  c.set("new.word", "hello");
  CHECK(c.get_string("new.word") == "hello");

  CHECK_THAT(error_message([&] { c.set("steps", "0.5"); }), Catch::Contains("'steps'"));
  CHECK_THROWS_AS(c.set("ema", "yes"), gantry::Error);
  CHECK_THROWS_AS(c.set("betas", "0.5"), gantry::Error);
  CHECK_THROWS_AS(c.set("bad key", "1"), gantry::Error);
  CHECK_THROWS_AS(c.set("", "1"), gantry::Error);
  CHECK_THROWS_AS(c.set("a..b", "1"), gantry::Error);
  CHECK_THROWS_AS(c.set_from_assignment("no_equals_sign"), gantry::Error);
  c.set("steps", "30");
  CHECK_THAT(error_message([&] { c.get_string("steps"); }), Catch::Contains("override"));
}

TEST_CASE("config: errors name the file, line, column and key", "[io][config][robust]") {
  struct Bad {
    std::string text, want;
  };
  // toml++ words the syntax errors; we prefix file:line:column and the key.
  std::vector<Bad> bad = {
      {"a = 1\nb = 2\n\n# c\nlr 0.1\n", "c.toml:5:"},
      {"a = 1\na = 2\n", "c.toml:2:"},
      {"[s]\nx = 1\n[s]\nx = 2\n", "c.toml:3:"},
      {"a = \"unterminated\n", "c.toml:1:"},
      {"\n\na = \"bad \\q escape\"\n", "c.toml:3:"},
      {"a = 1 2\n", "c.toml:1:"},
      {"a = 01\n", "c.toml:1:"},
      {"a = 1__0\n", "c.toml:1:"},
      {"a = 1.\n", "c.toml:1:"},
      {"a = .5\n", "c.toml:1:"},
      {"a = 1e\n", "c.toml:1:"},
      {"a = 99999999999999999999\n", "c.toml:1:"},
      {"a = yes\n", "c.toml:1:5: key 'a'"},
      {"steps =\n", "c.toml:1:8: key 'steps'"},
      {"a = [1, 2\nb = 3\n", "c.toml:2:"},
      {"a = [1,\n2,\n", "c.toml:"},
      {"[s\n", "c.toml:1:"},
      {"[s] x = 1\n", "c.toml:1:"},
      {"= 1\n", "c.toml:1:"},
      {"a = \"\\uD800\"\n", "c.toml:1:"},
      // Valid TOML, but no option can hold it: named with the key.
      {"a = [1, \"x\"]\n", "c.toml:1:1: key 'a': arrays may hold only numbers"},
      {"a = [[1]]\n", "c.toml:1:1: key 'a': arrays may hold only numbers"},
      {"[[t]]\nx = 1\n", "key 't': arrays of tables"},
      {"d = 1979-05-27\n", "c.toml:1:1: key 'd': dates"},
      // A quoted dotted key beside the same path as a table.
      {"\"s.x\" = 1\n[s]\nx = 2\n", "defined twice"},
  };
  for (const Bad& b : bad) {
    INFO(b.text);
    const std::string msg = error_message([&] { gan::Config::parse(b.text, "c.toml"); });
    CHECK_THAT(msg, Catch::Contains(b.want));
    CHECK(msg.find('\n') == std::string::npos);  // one line
  }
  // toml++ 3.3 reached __builtin_unreachable for U+0387 (and U+00A1..U+0499,
  // U+2F4E..U+3347) outside a string (fuzz_config found it; gan/config.cpp).
  for (const char* cp : {"\xce\x87", "\xc2\xa1", "\xe3\x80\x81", "\xc3\xa9"}) {
    const std::string text = std::string("nale = ") + cp + "\\ty \\u00e9\"   #\0\0\0\0\0\0\0004f";
    CHECK_THAT(error_message([&] { gan::Config::parse(text, "c.toml"); }), Catch::Contains("c.toml:1:8"));
    CHECK_THAT(error_message([&] { gan::Config::parse(std::string(cp) + " = 1\n", "c.toml"); }),
               Catch::Contains("c.toml:1:1"));
  }
  // Inside strings and comments they are text; U+3000 is not TOML whitespace.
  CHECK(gan::Config::parse("s = \"\xce\x87\xc3\xa9\" # \xce\x87\n", "u").get_string("s") == "\xce\x87\xc3\xa9");
  CHECK_THAT(error_message([] { gan::Config::parse("a =\xe3\x80\x80 1\n", "u"); }), Catch::Contains("u:1:4: key 'a'"));
  // Full TOML: inline tables flatten, multi-line and literal strings read.
  gan::Config full = gan::Config::parse(
      "t = {x = 1, y = {z = \"w\"}}\nm = \"\"\"\nline1\nline2\"\"\"\nlit = '''a\\b'''\n", "full.toml");
  CHECK(full.get_int("t.x") == 1);
  CHECK(full.get_string("t.y.z") == "w");
  CHECK(full.get_string("m") == "line1\nline2");
  CHECK(full.get_string("lit") == "a\\b");
  CHECK(gan::Config::parse(full.dump(), "again").get_string("m") == "line1\nline2");
  CHECK_THAT(error_message([] { gan::Config::parse(std::string((1 << 20) + 1, '#'), "big.toml"); }),
             Catch::Contains("limit"));
  // Every prefix of a valid config parses or fails cleanly.
  const std::string good = "# c\n[optim]\nlr = 2.0e-4\nbetas = [0.5,\n 0.999]\nname = \"a\\\"b\"\n";
  for (size_t n = 0; n <= good.size(); ++n) error_or_ok([&] { gan::Config::parse(good.substr(0, n), "p"); });
  for (size_t k = 0; k < good.size(); ++k)
    for (int bit = 0; bit < 8; ++bit) {
      std::string b = good;
      b[k] = static_cast<char>(b[k] ^ (1 << bit));
      error_or_ok([&] { gan::Config::parse(b, "p"); });
    }

  TempDir dir;
  write_bytes(dir.file("ok.toml"), "[train]\nsteps = 3\n");
  CHECK(gan::Config::load(dir.file("ok.toml")).get_int("train.steps") == 3);
  write_bytes(dir.file("bad.toml"), "[train]\nsteps == 3\n");
  CHECK_THAT(error_message([&] { gan::Config::load(dir.file("bad.toml")); }),
             Catch::Contains("bad.toml:2:") && Catch::Contains("key 'steps'"));
  CHECK_THAT(error_message([&] { gan::Config::load(dir.file("missing.toml")); }),
             Catch::Contains("missing.toml"));
}
