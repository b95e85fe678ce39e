// gan/data/image.cpp — PNG grids, image files and image folders through stb.
//
// stb is compiled here (the one translation unit that defines the
// implementations), with every function static so no other file can clash
// with it, PNG and JPEG decoders only, and stb's own dimension limit set to
// ours. Files are read into memory (size-capped) and probed with
// stbi_info_from_memory before decoding, so a header announcing a huge image
// is refused before any pixel buffer is allocated.
#include "gan/data/image.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

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
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#define STBI_MAX_DIMENSIONS 16384
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace gantry {
namespace gan {

namespace {

static_assert(STBI_MAX_DIMENSIONS == kMaxImageSide, "stb's limit must match ours");

// Two defects of stb 2022-09 (Debian 12) in JPEG Huffman tables, both found
// by the fuzzer and reported by UBSan; every marker segment is checked here
// before stb sees the file:
//   - it writes past stbi__huffman::size[257] when a DHT table's 16 code
//     counts sum to more than 256 (stbi__build_huffman; larger sums overrun
//     the heap). Upstream later rejects such tables.
//   - a scan may select a Huffman table no DHT segment defined; stb then
//     decodes with the uninitialized (malloc'd) table memory — whatever the
//     previous image left there — and indexes its symbol array out of bounds.
//     So each scan's tables must have been defined before it: baseline scans
//     use a DC and an AC table per component, progressive DC scans (first
//     pass) only the DC table, progressive AC scans only the AC table.
// Walks the marker segments, skipping entropy-coded data after each SOS, and
// never reads past the buffer. Returns "" when the file is fine for stb (or
// not a JPEG), else what is wrong.
std::string jpeg_tables_problem(const unsigned char* p, size_t n) {
  // stb takes any file starting with 0xFF, fill bytes (more 0xFF) before the
  // SOI included, as a JPEG candidate (a fuzzer found that too).
  if (n < 2 || p[0] != 0xFF) return "";
  bool defined[2][4] = {};  // [class: 0 DC, 1 AC][table id]
  bool progressive = false;
  size_t i = 0;
  while (i + 1 < n) {
    if (p[i] != 0xFF) {  // entropy-coded data (after an SOS): skip to the next marker
      ++i;
      continue;
    }
    const unsigned char m = p[i + 1];
    if (m == 0xFF || m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0xD8) {
      i += (m == 0xFF) ? 1 : 2;  // fill byte, stuffed zero, RSTn, TEM, SOI: no length
      continue;
    }
    if (m == 0xD9) return "";  // EOI
    if (i + 3 >= n) return "";  // truncated: stb reports it
    const size_t len = static_cast<size_t>(p[i + 2]) << 8 | p[i + 3];
    if (m == 0xC2) progressive = true;
    if (m == 0xC4) {  // DHT: (class/id byte, 16 counts, sum(counts) values) repeated
      // As stb reads it: tables until the segment length is used up, and
      // bytes past the end of the file read as 0.
      for (size_t j = i + 4; j < i + 2 + len && j < n;) {
        size_t total = 0;
        for (size_t k = j + 1; k <= j + 16 && k < n; ++k) total += p[k];
        if (total > 256) return "a Huffman table has more than 256 codes";
        const int tc = p[j] >> 4, th = p[j] & 15;
        if (tc <= 1 && th <= 3) defined[tc][th] = true;  // stb rejects the others itself
        j += 17 + total;
      }
    }
    if (m == 0xDA && i + 4 < n) {  // SOS: Ns, then (component, Td<<4 | Ta) per component, Ss, Se, Ah<<4 | Al
      const size_t ns = p[i + 4];
      const size_t tail = i + 5 + 2 * ns;  // Ss
      const bool dc_scan = tail < n && p[tail] == 0;
      const bool first_dc = tail + 2 < n ? (p[tail + 2] >> 4) == 0 : true;
      for (size_t c = 0; c < ns && i + 6 + 2 * c < n; ++c) {
        const int td = p[i + 6 + 2 * c] >> 4, ta = p[i + 6 + 2 * c] & 15;
        if (td > 3 || ta > 3) continue;  // stb rejects these itself
        const bool needs_dc = progressive ? dc_scan && first_dc : true;
        const bool needs_ac = progressive ? !dc_scan : true;
        if ((needs_dc && !defined[0][td]) || (needs_ac && !defined[1][ta]))
          return "a scan uses a Huffman table that no DHT segment defined";
      }
    }
    i += 2 + len;
  }
  return "";
}

// stb grows its IDAT buffer to a chunk's announced length (doubling, up to
// 2 GiB) before checking that the bytes are there: a 200-byte PNG whose IDAT
// claims 2^31 bytes made it allocate 2 GiB (a fuzzer found it). Every chunk's
// data must lie inside the file (the CRC after the last may be missing, as
// stb allows).
bool png_chunks_ok(const unsigned char* p, size_t n) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (n < 8 || std::memcmp(p, sig, 8) != 0) return true;  // not a PNG
  for (size_t off = 8; off + 8 <= n;) {
    const size_t len = static_cast<size_t>(p[off]) << 24 | static_cast<size_t>(p[off + 1]) << 16 |
                       static_cast<size_t>(p[off + 2]) << 8 | p[off + 3];
    if (len > n - off - 8) return false;
    if (std::memcmp(p + off + 4, "IEND", 4) == 0) break;
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

Decoded decode(const std::string& path, int channels) {
  const std::string where = "load_image: '" + path + "': ";
  GANTRY_CHECK(channels >= 1 && channels <= 4, where, "channels must be 1..4, got ", channels);
  std::vector<unsigned char> file = read_file_capped(path, where);
  GANTRY_CHECK(!file.empty(), where, "file is empty");
  const int len = static_cast<int>(file.size());  // <= 256 MiB, fits
  const std::string jpeg_problem = jpeg_tables_problem(file.data(), file.size());
  GANTRY_CHECK(jpeg_problem.empty(), where, "corrupt JPEG (", jpeg_problem, ")");
  GANTRY_CHECK(png_chunks_ok(file.data(), file.size()), where,
               "corrupt PNG (a chunk runs past the end of the file)");
  int w = 0, h = 0, comp = 0;
  GANTRY_CHECK(stbi_info_from_memory(file.data(), len, &w, &h, &comp), where,
               "not a readable PNG/JPEG image (", stbi_failure_reason(), ")");
  GANTRY_CHECK(w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide, where, "image is ", w,
               "x", h, "; the limit is ", kMaxImageSide, " pixels on a side");
  const uint64_t decoded = static_cast<uint64_t>(w) * h * std::max(channels, comp);
  GANTRY_CHECK(decoded <= kMaxImageDecodedBytes, where, "image is ", w, "x", h, "x",
               std::max(channels, comp), " = ", decoded,
               " bytes decoded; the limit is ", kMaxImageDecodedBytes);
  int w2 = 0, h2 = 0, comp2 = 0;
  unsigned char* px = stbi_load_from_memory(file.data(), len, &w2, &h2, &comp2, channels);
  GANTRY_CHECK(px != nullptr, where, "cannot decode (", stbi_failure_reason(), ")");
  if (w2 != w || h2 != h) {
    stbi_image_free(px);
    throw Error(str(where, "decoded size ", w2, "x", h2, " differs from the header's ", w, "x",
                    h));
  }
  Decoded d;
  d.w = w;
  d.h = h;
  const int64_t plane = static_cast<int64_t>(w) * h;
  d.chw.resize(static_cast<size_t>(plane * channels));
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < channels; ++c)
      d.chw[c * plane + i] = static_cast<float>(px[i * channels + c]) / 127.5f - 1.0f;
  stbi_image_free(px);
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

ImageDataset load_image_folder(const std::string& dir, int channels, int64_t size) {
  const std::string where = "load_image_folder: '" + dir + "': ";
  GANTRY_CHECK(channels >= 1 && channels <= 4, where, "channels must be 1..4, got ", channels);
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
  // The dataset is allocated once the first image gives the size, and each
  // image is copied in as it is decoded.
  ImageDataset ds;
  const int64_t n = static_cast<int64_t>(names.size());
  int64_t H = size, W = size, per = 0;
  float* out = nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const std::string p = dir + "/" + names[i];
    Decoded d = decode(p, channels);
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

}  // namespace gan
}  // namespace gantry
