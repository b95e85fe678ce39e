// gan/data/image.cpp — PNG grids, image files and image folders.
//
// PNG goes through stb (compiled here, the one translation unit that defines
// its implementation, every function static, PNG only, stb's dimension limit
// set to ours). JPEG goes through libjpeg-turbo, which is fuzzed continuously
// upstream: stb's JPEG decoder (Debian 12's 2022-09 copy) failed our fuzzer
// four times on hostile files, the last time inside entropy-coded data where
// no check in front of it can help (docs/reliability.md).
//
// Files are read into memory (size-capped) and their headers read before any
// pixel buffer is allocated, so a header announcing a huge image is refused
// first. Every decoder error or warning (a truncated or corrupt file) is a
// gantry::Error naming the file; nothing is printed.
#include "gan/data/image.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "autograd/ops.h"
#include "nn/safetensors.h"  // nn::write_file_atomic

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#define STBI_MAX_DIMENSIONS 16384
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include <jpeglib.h>  // after <cstdio>: libjpeg needs FILE and size_t declared

namespace gantry {
namespace gan {

namespace {

static_assert(STBI_MAX_DIMENSIONS == kMaxImageSide, "stb's limit must match ours");

// Checks a PNG's chunk structure before stb sees it, and repairs the one
// legal form stb mishandles. Returns false on a structure stb must not see.
// - stb grows its IDAT buffer to a chunk's announced length (doubling, up to
//   2 GiB) before checking that the bytes are there: a 200-byte PNG whose IDAT
//   claims 2^31 bytes made it allocate 2 GiB (a fuzzer found it). Every
//   chunk's data must lie inside the file (the CRC after the last may be
//   missing, as stb allows).
// - A zero-length IDAT chunk is legal, but stb copies its 0 bytes into a
//   buffer it has not yet allocated (memcpy to null: undefined behaviour,
//   UBSan in the fuzzer found it). Such chunks carry nothing, so they are
//   removed from the in-memory copy; the decoded image is unchanged.
bool png_chunks_ok(std::vector<unsigned char>& f) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (f.size() < 8 || std::memcmp(f.data(), sig, 8) != 0) return true;  // not a PNG
  for (size_t off = 8; off + 8 <= f.size();) {
    const unsigned char* p = f.data();
    const size_t n = f.size();
    const size_t len = static_cast<size_t>(p[off]) << 24 | static_cast<size_t>(p[off + 1]) << 16 |
                       static_cast<size_t>(p[off + 2]) << 8 | p[off + 3];
    if (len > n - off - 8) return false;
    if (std::memcmp(p + off + 4, "IEND", 4) == 0) break;
    if (len == 0 && std::memcmp(p + off + 4, "IDAT", 4) == 0) {
      const size_t end = std::min(n, off + 12);  // length, type, CRC (maybe missing)
      f.erase(f.begin() + static_cast<std::ptrdiff_t>(off),
              f.begin() + static_cast<std::ptrdiff_t>(end));
      continue;
    }
    off += 12 + len;
  }
  return true;
}

std::vector<unsigned char> read_file_capped(const std::string& path, const std::string& where) {
  FILE* f = std::fopen(path.c_str(), "rb");
  GANTRY_CHECK(f != nullptr, where, "cannot open: ", std::strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(f);
    throw Error(str(where, "not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxImageFileBytes) {
    std::fclose(f);
    throw Error(str(where, "file is ", size, " bytes, over the limit of ", kMaxImageFileBytes));
  }
  std::vector<unsigned char> buf(size);
  size_t got = size ? std::fread(buf.data(), 1, size, f) : 0;
  std::fclose(f);
  GANTRY_CHECK(got == size, where, "read ", got, " of ", size, " bytes");
  return buf;
}

struct Decoded {
  int w = 0, h = 0;
  std::vector<float> chw;  // [channels,h,w] in [-1,1]
};

// libjpeg reports errors through a callback that must not return; ours
// formats the message and longjmps back to decode_jpeg, which turns it into a
// gantry::Error after releasing the decoder. Warnings (corrupt or missing
// data, which libjpeg would paper over with gray) are errors too.
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

void jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_fail(cinfo);  // a warning: corrupt data
  // level >= 0: trace messages, never printed
}

// A progressive file may hold any number of scans, each a pass over the whole
// coefficient buffer; a hostile one could hold thousands. Real encoders write
// about ten (libjpeg's own progression has 10).
constexpr int kMaxJpegScans = 100;

void jpeg_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxJpegScans) {
    auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
    std::snprintf(e->message, sizeof e->message, "more than %d progressive scans",
                  kMaxJpegScans);
    std::longjmp(e->jump, 1);
  }
}

// Decodes a JPEG into `pixels` (h*w*channels bytes, interleaved), converting
// gray <-> RGB as asked and adding opaque alpha for 2 or 4 channels. Returns
// "" or what went wrong. No object with a destructor lives between setjmp and
// a longjmp except those declared before the setjmp.
std::string decode_jpeg(const std::vector<unsigned char>& file, int channels, int& w, int& h,
                        std::vector<unsigned char>& pixels) {
  jpeg_decompress_struct cinfo;
  JpegErrors err;
  jpeg_progress_mgr progress;
  std::vector<unsigned char> row;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_message;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return err.message[0] ? err.message : "corrupt JPEG";
  }
  jpeg_create_decompress(&cinfo);
  progress.progress_monitor = jpeg_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
  jpeg_read_header(&cinfo, TRUE);
  w = static_cast<int>(cinfo.image_width);
  h = static_cast<int>(cinfo.image_height);
  const int comp = cinfo.num_components;
  const uint64_t decoded = static_cast<uint64_t>(w) * static_cast<uint64_t>(h) *
                           static_cast<uint64_t>(std::max(channels, comp));
  if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide) {
    jpeg_destroy_decompress(&cinfo);
    return str("image is ", w, "x", h, "; the limit is ", kMaxImageSide, " pixels on a side");
  }
  if (decoded > kMaxImageDecodedBytes) {
    jpeg_destroy_decompress(&cinfo);
    return str("image is ", w, "x", h, "x", std::max(channels, comp), " = ", decoded,
               " bytes decoded; the limit is ", kMaxImageDecodedBytes);
  }
  // libjpeg converts YCbCr/gray to gray or RGB itself; CMYK/YCCK is refused.
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    return "CMYK JPEG images are not supported";
  }
  const bool gray_out = channels <= 2;
  cinfo.out_color_space = gray_out ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int oc = static_cast<int>(cinfo.output_components);  // 1 or 3
  row.resize(static_cast<size_t>(w) * oc);
  pixels.assign(static_cast<size_t>(w) * h * channels, 255);
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    JSAMPROW rows[1] = {row.data()};
    if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;  // suspension cannot happen in memory
    unsigned char* dst = pixels.data() + static_cast<size_t>(y) * w * channels;
    for (int x = 0; x < w; ++x)  // gray or RGB into the first 1 or 3; alpha stays 255
      for (int c = 0; c < oc; ++c) dst[x * channels + c] = row[static_cast<size_t>(x) * oc + c];
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return "";
}

// Encodes h rows of w pixels of `channels` (1 or 3) interleaved bytes as a
// baseline JPEG at `quality` with libjpeg's defaults (its standard tables,
// 4:2:0 chroma subsampling for color) into `file`. Returns "" or what went
// wrong. libjpeg writes into a buffer we allocate (raw size + 64 KiB, which a
// JPEG of these pixels does not outgrow in practice); should it outgrow it,
// libjpeg moves to buffers of its own, freed here after the copy. Our
// buffer's pointer lives in a heap holder made before the setjmp.
std::string encode_jpeg(const std::vector<unsigned char>& pixels, int w, int h, int channels, int quality,
                        std::vector<unsigned char>& file) {
  struct MemDest {
    unsigned char* ours = nullptr;  // what we allocated
    unsigned char* data = nullptr;  // where libjpeg's output ends up
    unsigned long size = 0;
  };
  auto dest = std::make_unique<MemDest>();
  const size_t cap = static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(channels) + 65536;
  dest->ours = static_cast<unsigned char*>(std::malloc(cap));
  if (dest->ours == nullptr) return "out of memory";
  dest->data = dest->ours;
  dest->size = static_cast<unsigned long>(cap);
  jpeg_compress_struct cinfo;
  JpegErrors err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_message;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(dest->ours);  // (a buffer libjpeg grew into, if any, is lost with the error)
    return err.message[0] ? err.message : "JPEG encoding failed";
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &dest->data, &dest->size);
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row[1] = {const_cast<unsigned char*>(pixels.data()) +
                       static_cast<size_t>(cinfo.next_scanline) * static_cast<size_t>(w) * channels};
    jpeg_write_scanlines(&cinfo, row, 1);
  }
  jpeg_finish_compress(&cinfo);
  file.assign(dest->data, dest->data + dest->size);
  jpeg_destroy_compress(&cinfo);
  if (dest->data != dest->ours) std::free(dest->data);
  std::free(dest->ours);
  return "";
}

bool is_jpeg(const std::vector<unsigned char>& f) {
  return f.size() >= 3 && f[0] == 0xFF && f[1] == 0xD8 && f[2] == 0xFF;
}

Decoded decode(const std::string& path, int channels) {
  const std::string where = "load_image: '" + path + "': ";
  GANTRY_CHECK(channels >= 1 && channels <= 4, where, "channels must be 1..4, got ", channels);
  std::vector<unsigned char> file = read_file_capped(path, where);
  GANTRY_CHECK(!file.empty(), where, "file is empty");
  std::vector<unsigned char> pixels;  // [h][w][channels]
  int w = 0, h = 0;
  if (is_jpeg(file)) {
    const std::string problem = decode_jpeg(file, channels, w, h, pixels);
    GANTRY_CHECK(problem.empty(), where, "cannot decode JPEG (", problem, ")");
  } else {
    GANTRY_CHECK(png_chunks_ok(file), where,
                 "corrupt PNG (a chunk runs past the end of the file)");
    const int len = static_cast<int>(file.size());  // <= 256 MiB, fits
    int comp = 0;
    GANTRY_CHECK(stbi_info_from_memory(file.data(), len, &w, &h, &comp), where,
                 "not a readable PNG/JPEG image (", stbi_failure_reason(), ")");
    GANTRY_CHECK(w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide, where, "image is ",
                 w, "x", h, "; the limit is ", kMaxImageSide, " pixels on a side");
    const uint64_t decoded = static_cast<uint64_t>(w) * h * std::max(channels, comp);
    GANTRY_CHECK(decoded <= kMaxImageDecodedBytes, where, "image is ", w, "x", h, "x",
                 std::max(channels, comp), " = ", decoded, " bytes decoded; the limit is ",
                 kMaxImageDecodedBytes);
    int w2 = 0, h2 = 0, comp2 = 0;
    unsigned char* px = stbi_load_from_memory(file.data(), len, &w2, &h2, &comp2, channels);
    GANTRY_CHECK(px != nullptr, where, "cannot decode (", stbi_failure_reason(), ")");
    if (w2 != w || h2 != h) {
      stbi_image_free(px);
      throw Error(str(where, "decoded size ", w2, "x", h2, " differs from the header's ", w,
                      "x", h));
    }
    pixels.assign(px, px + static_cast<size_t>(w) * h * channels);
    stbi_image_free(px);
  }
  Decoded d;
  d.w = w;
  d.h = h;
  const int64_t plane = static_cast<int64_t>(w) * h;
  d.chw.resize(static_cast<size_t>(plane * channels));
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < channels; ++c)
      d.chw[c * plane + i] = static_cast<float>(pixels[i * channels + c]) / 127.5f - 1.0f;
  return d;
}

void append_bytes(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(ctx);
  const auto* p = static_cast<const unsigned char*>(data);
  out->insert(out->end(), p, p + size);
}

bool is_image_name(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto ends = [&](const char* suf) {
    size_t n = std::strlen(suf);
    return lower.size() > n && lower.compare(lower.size() - n, n, suf) == 0;
  };
  return ends(".png") || ends(".jpg") || ends(".jpeg");
}

}  // namespace

void save_png_grid(const std::string& path, const Tensor& images, int64_t nrow,
                   int64_t padding) {
  const std::string where = "save_png_grid: '" + path + "': ";
  GANTRY_CHECK(images.defined(), where, "images tensor is undefined");
  GANTRY_CHECK(images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3), where,
               "expected images [N,C,H,W] with C = 1 or 3, got ", tensor_desc(images));
  GANTRY_CHECK(is_floating(images.dtype()), where, "expected floating images, got ",
               tensor_desc(images));
  GANTRY_CHECK(nrow >= 1, where, "nrow must be >= 1, got ", nrow);
  GANTRY_CHECK(padding >= 0 && padding <= 1024, where, "padding must be in 0..1024, got ",
               padding);
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  GANTRY_CHECK(n >= 1 && h >= 1 && w >= 1, where, "no pixels to write in ", tensor_desc(images));
  Tensor x = images;
  if (!x.device().is_cpu()) x = core::to_device(x, kCPU);
  x = core::contiguous(core::cast(x, kFloat32));
  const int64_t cols = std::min(nrow, n), rows = (n + cols - 1) / cols;
  const int64_t gh = rows * (h + padding) + padding, gw = cols * (w + padding) + padding;
  GANTRY_CHECK(gh <= 65535 && gw <= 65535 && gh * gw * c <= (int64_t(1) << 30), where,
               "the grid would be ", gw, "x", gh, " pixels; too large for one PNG");
  std::vector<unsigned char> grid(static_cast<size_t>(gh * gw * c), 0);
  const float* src = x.data<float>();
  for (int64_t k = 0; k < n; ++k) {
    const int64_t y0 = (k / cols) * (h + padding) + padding;
    const int64_t x0 = (k % cols) * (w + padding) + padding;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          float v = src[((k * c + ch) * h + i) * w + j];
          if (!(v >= -1.0f)) v = -1.0f;  // also NaN
          if (v > 1.0f) v = 1.0f;
          grid[static_cast<size_t>(((y0 + i) * gw + (x0 + j)) * c + ch)] =
              static_cast<unsigned char>(std::floor((v + 1.0f) * 127.5f + 0.5f));
        }
  }
  std::vector<unsigned char> png;
  int ok = stbi_write_png_to_func(append_bytes, &png, static_cast<int>(gw), static_cast<int>(gh),
                                  static_cast<int>(c), grid.data(), static_cast<int>(gw * c));
  GANTRY_CHECK(ok && !png.empty(), where, "PNG encoding failed");
  nn::write_file_atomic(path, {{png.data(), png.size()}}, "save_png_grid");
}

Tensor load_image(const std::string& path, int channels) {
  Decoded d = decode(path, channels);
  Tensor t = empty({channels, d.h, d.w}, kFloat32);
  std::memcpy(t.raw_data(), d.chw.data(), d.chw.size() * sizeof(float));
  return t;
}

namespace {
// 1-D area weights: output pixel o of `out` covers input [o*in/out, (o+1)*in/out).
// Returns, per output pixel, (first input index, weights...).
std::vector<std::vector<std::pair<int64_t, double>>> area_weights(int64_t in, int64_t out) {
  std::vector<std::vector<std::pair<int64_t, double>>> w(out);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; ++o) {
    const double a = o * scale, b = (o + 1) * scale;
    for (int64_t i = static_cast<int64_t>(a); i < in && i < b; ++i) {
      const double overlap = std::min<double>(b, i + 1) - std::max<double>(a, i);
      if (overlap > 0) w[o].push_back({i, overlap / scale});
    }
  }
  return w;
}
// 1-D bilinear weights, half-pixel centres (edge-clamped).
std::vector<std::vector<std::pair<int64_t, double>>> linear_weights(int64_t in, int64_t out) {
  std::vector<std::vector<std::pair<int64_t, double>>> w(out);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; ++o) {
    const double x = std::max(0.0, (o + 0.5) * scale - 0.5);
    const int64_t i0 = std::min<int64_t>(static_cast<int64_t>(x), in - 1), i1 = std::min<int64_t>(i0 + 1, in - 1);
    const double f = x - static_cast<double>(i0);
    w[o].push_back({i0, 1.0 - f});
    if (f > 0) w[o].push_back({i1, f});
  }
  return w;
}
}  // namespace

std::vector<float> resize_square(const std::vector<float>& chw, int64_t c, int64_t h, int64_t w, int64_t out) {
  GANTRY_CHECK(c >= 1 && h >= 1 && w >= 1 && out >= 1 && static_cast<int64_t>(chw.size()) == c * h * w,
               "resize_square: ", chw.size(), " values do not make ", c, " planes of ", h, "x", w,
               " (output ", out, ")");
  const int64_t s = std::min(h, w), y0 = (h - s) / 2, x0 = (w - s) / 2;
  const auto wts = s >= out ? area_weights(s, out) : linear_weights(s, out);
  std::vector<float> res(static_cast<size_t>(c * out * out));
  std::vector<double> rows(static_cast<size_t>(out * s));  // one plane resized along y: [out, s]
  for (int64_t k = 0; k < c; ++k) {
    const float* plane = chw.data() + k * h * w;
    for (int64_t oy = 0; oy < out; ++oy)
      for (int64_t x = 0; x < s; ++x) {
        double acc = 0;
        for (const auto& iw : wts[oy]) acc += iw.second * plane[(y0 + iw.first) * w + x0 + x];
        rows[oy * s + x] = acc;
      }
    for (int64_t oy = 0; oy < out; ++oy)
      for (int64_t ox = 0; ox < out; ++ox) {
        double acc = 0;
        for (const auto& iw : wts[ox]) acc += iw.second * rows[oy * s + iw.first];
        res[(k * out + oy) * out + ox] = static_cast<float>(acc);
      }
  }
  return res;
}

std::vector<unsigned char> jpeg_roundtrip(const std::vector<unsigned char>& pixels, int w, int h,
                                          int channels, int quality) {
  GANTRY_CHECK(channels == 1 || channels == 3, "jpeg_roundtrip: channels must be 1 or 3, got ", channels);
  GANTRY_CHECK(quality >= 1 && quality <= 100, "jpeg_roundtrip: quality must be in 1..100, got ", quality);
  GANTRY_CHECK(w >= 1 && h >= 1 && w <= kMaxImageSide && h <= kMaxImageSide,
               "jpeg_roundtrip: image is ", w, "x", h, "; sides must be in 1..", kMaxImageSide);
  GANTRY_CHECK(pixels.size() == static_cast<size_t>(w) * h * channels, "jpeg_roundtrip: ",
               pixels.size(), " bytes for a ", w, "x", h, "x", channels, " image");
  std::vector<unsigned char> file;
  const std::string encoded = encode_jpeg(pixels, w, h, channels, quality, file);
  GANTRY_CHECK(encoded.empty(), "jpeg_roundtrip: libjpeg could not encode the ", w, "x", h, " image (", encoded,
               ")");
  int w2 = 0, h2 = 0;
  std::vector<unsigned char> out;
  const std::string problem = decode_jpeg(file, channels, w2, h2, out);
  GANTRY_CHECK(problem.empty() && w2 == w && h2 == h, "jpeg_roundtrip: decoding our own JPEG failed (",
               problem, ")");
  return out;
}

std::vector<std::string> image_files(const std::string& dir, const std::string& who) {
  const std::string where = who + ": '" + dir + "': ";
  std::vector<std::string> names;
  try {
    GANTRY_CHECK(std::filesystem::is_directory(dir), where, "not a directory");
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (is_image_name(name) && e.is_regular_file()) names.push_back(name);
    }
  } catch (const std::filesystem::filesystem_error& ex) {
    throw Error(str(where, "cannot list: ", ex.what()));
  }
  GANTRY_CHECK(!names.empty(), where, "no .png/.jpg/.jpeg files");
  std::sort(names.begin(), names.end());
  return names;
}

ImageDataset load_image_folder(const std::string& dir, int channels, int64_t size, bool resize) {
  GANTRY_CHECK(!resize || size > 0, "load_image_folder: '", dir, "': resizing needs a size, got ", size);
  const std::string where = "load_image_folder: '" + dir + "': ";
  GANTRY_CHECK(channels >= 1 && channels <= 4, where, "channels must be 1..4, got ", channels);
  const std::vector<std::string> names = image_files(dir, "load_image_folder");
  // The dataset is allocated once the first image gives the size, and each
  // image is copied in as it is decoded.
  ImageDataset ds;
  const int64_t n = static_cast<int64_t>(names.size());
  int64_t H = size, W = size, per = 0;
  float* out = nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const std::string p = dir + "/" + names[i];
    Decoded d = decode(p, channels);
    if (resize) {
      GANTRY_CHECK(std::min(d.h, d.w) >= size, "load_image_folder: '", p, "': image is ", d.w, "x", d.h,
                   ", smaller than the resolution ", size, " (images are shrunk, never enlarged)");
      d.chw = resize_square(d.chw, channels, d.h, d.w, size);
      d.h = d.w = static_cast<int>(size);
    }
    if (H <= 0) {
      H = d.h;
      W = d.w;
    }
    GANTRY_CHECK(d.h == H && d.w == W, "load_image_folder: '", p, "': image is ", d.w, "x", d.h,
                 " but ", (size > 0 ? "the requested size is " : "the first image is "), W, "x",
                 H, " (images are not resized)");
    if (i == 0) {
      ds.images = empty({n, channels, H, W}, kFloat32);
      out = ds.images.data<float>();
      per = channels * H * W;
    }
    std::memcpy(out + i * per, d.chw.data(), static_cast<size_t>(per) * sizeof(float));
  }
  return ds;
}

ImageDataset load_labelled_folder(const std::string& dir, int64_t size, std::vector<std::string>* class_names) {
  std::vector<std::string> classes;
  try {
    GANTRY_CHECK(std::filesystem::is_directory(dir), "load_labelled_folder: '", dir, "': not a directory");
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_directory()) classes.push_back(e.path().filename().string());
  } catch (const std::filesystem::filesystem_error& ex) {
    throw Error(str("load_labelled_folder: '", dir, "': cannot list: ", ex.what()));
  }
  std::sort(classes.begin(), classes.end());
  GANTRY_CHECK(classes.size() >= 2, "load_labelled_folder: '", dir, "' has ", classes.size(),
               " class subfolders; a labelled folder needs one per class, at least 2");
  std::vector<Tensor> images;
  std::vector<int64_t> labels;
  for (size_t k = 0; k < classes.size(); ++k) {
    ImageDataset part = load_image_folder(dir + "/" + classes[k], 1, size, /*resize=*/true);
    images.push_back(part.images);
    labels.insert(labels.end(), static_cast<size_t>(part.images.size(0)), static_cast<int64_t>(k));
  }
  ImageDataset ds;
  ds.images = core::contiguous(cat(images, 0));
  ds.labels = from_vector<int64_t>(labels, {static_cast<int64_t>(labels.size())});
  if (class_names) *class_names = classes;
  return ds;
}

}  // namespace gan
}  // namespace gantry
