// tests/fuzz/make_corpus.cpp — writes the committed seed corpus in
// tests/fuzz/corpus/<target>/ (small valid files of every format, a few
// variants each). Self-contained: needs only zlib and Debian's libstb-dev.
//
//   g++ -std=c++17 -O1 tests/fuzz/make_corpus.cpp -lz -o /tmp/make_corpus
//   /tmp/make_corpus tests/fuzz/corpus
//
// The config seeds are configs/dcgan.toml (copied by hand) plus one written here.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string root;

void write(const std::string& rel, const std::string& bytes) {
  const std::string p = root + "/" + rel;
  FILE* f = std::fopen(p.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f)) {
    std::perror(p.c_str());
    std::exit(1);
  }
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}
std::string le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += char(v >> (8 * i));
  return s;
}
template <typename T>
std::string raw(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string idx(int code, const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string s = {0, 0, char(code), char(dims.size())};
  for (uint32_t d : dims) s += be32(d);
  return s + payload;
}

std::string gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip wrapper
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A .npy file: version 1.0 (or 2.0), header padded to a multiple of 64 bytes.
std::string npy(const std::string& descr, const std::string& shape, const std::string& payload,
                int major = 1) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string s = "\x93NUMPY";
  s += char(major);
  s += char(0);
  s += le(h.size(), major == 1 ? 2 : 4);
  return s + h + payload;
}

std::string safetensors(const std::string& json, const std::string& payload) {
  return le(json.size(), 8) + json + payload;
}

void append(void* ctx, void* data, int size) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size);
}
std::vector<unsigned char> gradient(int w, int h, int c) {
  std::vector<unsigned char> px(w * h * c);
  for (int i = 0; i < w * h * c; ++i) px[i] = static_cast<unsigned char>((i * 37) & 0xff);
  return px;
}
std::string png(int w, int h, int c) {
  std::string s;
  auto px = gradient(w, h, c);
  stbi_write_png_to_func(append, &s, w, h, c, px.data(), w * c);
  return s;
}
std::string jpg(int w, int h, int c, int quality) {
  std::string s;
  auto px = gradient(w, h, c);
  stbi_write_jpg_to_func(append, &s, w, h, c, px.data(), quality);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  root = argv[1];

  // IDX: uint8 2x3 (like the labels/images), int32, float32 gzipped, an empty dim.
  write("fuzz_idx/u8_2x3.idx", idx(0x08, {2, 3}, "\x01\x02\x03\x04\x05\x06"));
  write("fuzz_idx/i32_3.idx", idx(0x0C, {3}, be32(1) + be32(0xfffffffe) + be32(7)));
  write("fuzz_idx/i16_2.idx", idx(0x0B, {2}, "\x00\x05\xff\xfe"));
  write("fuzz_idx/f32_2x2.idx.gz",
        gzip(idx(0x0D, {2, 2}, be32(0x3f800000) + be32(0x40000000) + be32(0) + be32(0xbf800000))));
  write("fuzz_idx/u8_3x2x2.idx.gz", gzip(idx(0x08, {3, 2, 2}, std::string(12, '\x2a'))));
  write("fuzz_idx/f64_0x3.idx", idx(0x0E, {0, 3}, ""));

  // .npy: float32 [2,3], uint8 [4], int64 scalar, float64 version 2.0, int32 [0].
  write("fuzz_npy/f4_2x3.npy", npy("<f4", "(2, 3)", raw(std::vector<float>{1, 2, 3, -1, 0.5f, 0})));
  write("fuzz_npy/u1_4.npy", npy("|u1", "(4,)", "\x00\x7f\x80\xff"));
  write("fuzz_npy/i8_scalar.npy", npy("<i8", "()", raw(std::vector<int64_t>{-42})));
  write("fuzz_npy/f8_1x2_v2.npy", npy("<f8", "(1, 2)", raw(std::vector<double>{3.5, -2}), 2));
  write("fuzz_npy/i4_0.npy", npy("<i4", "(0,)", ""));

  // safetensors: two tensors with metadata, one tensor, an empty file.
  const std::string two =
      "{\"__metadata__\":{\"step\":\"30\",\"format\":\"pt\"},"
      "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
      "\"n\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[16,40]}}";
  write("fuzz_safetensors/two.safetensors",
        safetensors(two, raw(std::vector<float>{1, 2, 3, 4}) + raw(std::vector<int64_t>{5, 6, 7})));
  write("fuzz_safetensors/one.safetensors",
        safetensors("{\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}  ",
                    raw(std::vector<double>{0.25})));
  write("fuzz_safetensors/empty.safetensors", safetensors("{}", ""));

  // Images: PNG gray / RGB / RGBA, JPEG gray / RGB.
  write("fuzz_image/gray_4x3.png", png(4, 3, 1));
  write("fuzz_image/rgb_5x4.png", png(5, 4, 3));
  write("fuzz_image/rgba_3x3.png", png(3, 3, 4));
  write("fuzz_image/gray_8x8.jpg", jpg(8, 8, 1, 90));
  write("fuzz_image/rgb_16x9.jpg", jpg(16, 9, 3, 75));

  // A config using every value type.
  write("fuzz_config/types.toml",
        "# every value type\n"
        "name = \"x\\ty \\u00e9\"   # a comment\n"
        "lit = 'raw\\path'\n"
        "n = -42\n"
        "big = 1_000_000\n"
        "f = 2.5e-4\n"
        "inf_val = inf\n"
        "yes = true\n"
        "no = false\n"
        "arr = [1, 2.5,\n  -3e2, ]\n"
        "\n"
        "[section]\n"
        "key-with_dash = 7\n");
  return 0;
}
