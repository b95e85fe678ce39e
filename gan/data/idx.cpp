// gan/data/idx.cpp — IDX reader (plain or gzipped through zlib) and the
// Fashion-MNIST loader built on it.
#include "gan/data/idx.h"

#include "autograd/ops.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace gantry {
namespace gan {

namespace {

// A byte source: a plain file (with a known size) or a gzip stream.
class Source {
 public:
  Source(const std::string& path, const std::string& where) : where_(where) {
    FILE* f = std::fopen(path.c_str(), "rb");
    GANTRY_CHECK(f != nullptr, where, "cannot open: ", std::strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
      std::fclose(f);
      throw Error(str(where, "not a regular file"));
    }
    size_ = static_cast<uint64_t>(st.st_size);
    unsigned char m[2] = {0, 0};
    size_t got = std::fread(m, 1, 2, f);
    gz_ = got == 2 && m[0] == 0x1f && m[1] == 0x8b;
    if (!gz_) {
      f_ = f;
      std::rewind(f_);
      return;
    }
    std::fclose(f);
    gz_file_ = gzopen(path.c_str(), "rb");
    GANTRY_CHECK(gz_file_ != nullptr, where, "cannot open the gzip stream: ",
                 std::strerror(errno));
    gzbuffer(gz_file_, 1 << 17);
  }
  ~Source() {
    if (f_) std::fclose(f_);
    if (gz_file_) gzclose(gz_file_);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  bool gzipped() const { return gz_; }
  uint64_t file_size() const { return size_; }

  // Reads up to n bytes; returns how many (fewer only at the end of the data).
  uint64_t read(void* dst, uint64_t n) {
    auto* p = static_cast<unsigned char*>(dst);
    uint64_t total = 0;
    while (total < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(n - total, 1u << 24));
      if (!gz_) {
        size_t got = std::fread(p + total, 1, chunk, f_);
        total += got;
        if (got < chunk) {
          GANTRY_CHECK(!std::ferror(f_), where_, "read error: ", std::strerror(errno));
          break;
        }
      } else {
        int got = gzread(gz_file_, p + total, chunk);
        int err = Z_OK;
        const char* msg = gzerror(gz_file_, &err);
        GANTRY_CHECK(got >= 0 && (err == Z_OK || err == Z_STREAM_END), where_,
                     "corrupt or truncated gzip data: ", msg ? msg : "unknown zlib error");
        total += static_cast<uint64_t>(got);
        if (static_cast<unsigned>(got) < chunk) break;
      }
    }
    return total;
  }

 private:
  std::string where_;
  FILE* f_ = nullptr;
  gzFile gz_file_ = nullptr;
  bool gz_ = false;
  uint64_t size_ = 0;
};

uint32_t be32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
uint64_t be64(const unsigned char* p) {
  return static_cast<uint64_t>(be32(p)) << 32 | be32(p + 4);
}

std::string type_name(int code) {
  switch (code) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "?";
  }
}

bool file_exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

}  // namespace

Tensor read_idx(const std::string& path) {
  const std::string where = "read_idx: '" + path + "': ";
  Source src(path, where);
  unsigned char magic[4];
  GANTRY_CHECK(src.read(magic, 4) == 4, where, "file too short for the 4-byte IDX magic");
  GANTRY_CHECK(magic[0] == 0 && magic[1] == 0, where,
               "not an IDX file (magic starts with ", int(magic[0]), ",", int(magic[1]),
               " instead of 0,0)");
  const int code = magic[2], ndim = magic[3];
  size_t item;
  DType dt;
  switch (code) {
    case 0x08: item = 1; dt = kUInt8; break;
    case 0x09: item = 1; dt = kInt32; break;
    case 0x0B: item = 2; dt = kInt32; break;
    case 0x0C: item = 4; dt = kInt32; break;
    case 0x0D: item = 4; dt = kFloat32; break;
    case 0x0E: item = 8; dt = kFloat64; break;
    default: throw Error(str(where, "unknown IDX type code 0x", std::hex, code));
  }
  GANTRY_CHECK(ndim >= 1 && ndim <= kMaxIdxDims, where, "absurd number of dimensions ", ndim,
               " (1..", kMaxIdxDims, " allowed)");
  unsigned char dims_be[4 * kMaxIdxDims];
  GANTRY_CHECK(src.read(dims_be, 4 * ndim) == static_cast<uint64_t>(4 * ndim), where,
               "file truncated inside the header (", ndim, " dimensions announced)");
  Shape shape;
  uint64_t numel = 1;
  bool zero = false;
  for (int d = 0; d < ndim; ++d) {
    uint32_t s = be32(dims_be + 4 * d);
    shape.push_back(s);
    if (s == 0) zero = true;
  }
  // The limit applies to the non-zero sizes even when one size is 0: the
  // tensor's strides are their product (a fuzzer found [4294905856,0,6398,...]).
  for (int64_t s : shape) {
    const uint64_t s1 = s ? static_cast<uint64_t>(s) : 1;
    GANTRY_CHECK(numel <= kMaxIdxBytes / item / s1, where, "shape ", shape_str(shape), " of ",
                 type_name(code), " exceeds the limit of ", kMaxIdxBytes, " bytes");
    numel *= s1;
  }
  if (zero) numel = 0;
  const uint64_t header = 4 + 4 * static_cast<uint64_t>(ndim), bytes = numel * item;
  if (!src.gzipped()) {
    GANTRY_CHECK(src.file_size() >= header + bytes, where, "file truncated: shape ",
                 shape_str(shape), " of ", type_name(code), " needs ", header + bytes,
                 " bytes, the file has ", src.file_size());
    GANTRY_CHECK(src.file_size() == header + bytes, where, "file has ",
                 src.file_size() - header - bytes, " unexpected trailing bytes after shape ",
                 shape_str(shape));
  }
  // Read the payload. A gzip stream's real length is unknown until it ends,
  // so its buffer grows as data arrives instead of trusting the header.
  std::vector<unsigned char> raw;
  const uint64_t step = 64ull << 20;
  uint64_t have = 0;
  while (have < bytes) {
    uint64_t want = std::min(bytes - have, src.gzipped() ? step : bytes);
    raw.resize(have + want);
    uint64_t got = src.read(raw.data() + have, want);
    have += got;
    GANTRY_CHECK(got == want, where, "data truncated: shape ", shape_str(shape), " of ",
                 type_name(code), " needs ", bytes, " bytes, ", (src.gzipped() ? "the stream" : "the file"),
                 " ended after ", have);
  }
  unsigned char extra;
  GANTRY_CHECK(src.read(&extra, 1) == 0, where, "unexpected data after shape ", shape_str(shape),
               " of ", type_name(code));

  Tensor t = empty(shape, dt);
  const unsigned char* r = raw.data();
  const int64_t n = static_cast<int64_t>(numel);
  switch (code) {
    case 0x08:
      if (n) std::memcpy(t.raw_data(), r, n);
      break;
    case 0x09: {
      int32_t* o = t.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<int8_t>(r[i]);
      break;
    }
    case 0x0B: {
      int32_t* o = t.data<int32_t>();
      for (int64_t i = 0; i < n; ++i)
        o[i] = static_cast<int16_t>(static_cast<uint16_t>(r[2 * i] << 8 | r[2 * i + 1]));
      break;
    }
    case 0x0C: {
      int32_t* o = t.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<int32_t>(be32(r + 4 * i));
      break;
    }
    case 0x0D: {
      float* o = t.data<float>();
      for (int64_t i = 0; i < n; ++i) {
        uint32_t b = be32(r + 4 * i);
        std::memcpy(o + i, &b, 4);
      }
      break;
    }
    case 0x0E: {
      double* o = t.data<double>();
      for (int64_t i = 0; i < n; ++i) {
        uint64_t b = be64(r + 8 * i);
        std::memcpy(o + i, &b, 8);
      }
      break;
    }
  }
  return t;
}

ImageDataset load_fashion_mnist(const std::string& dir, bool train, int64_t limit) {
  const std::string prefix = train ? "train" : "t10k";
  auto find = [&](const std::string& stem) {
    std::string base = dir + "/" + prefix + "-" + stem + "-ubyte";
    if (file_exists(base + ".gz")) return base + ".gz";
    if (file_exists(base)) return base;
    throw Error(str("load_fashion_mnist: '", base,
                    ".gz' not found; install Debian's dataset-fashion-mnist package "
                    "(apt-get install dataset-fashion-mnist) or pass the directory that "
                    "holds the IDX files"));
  };
  const std::string ipath = find("images-idx3"), lpath = find("labels-idx1");
  Tensor img = read_idx(ipath), lab = read_idx(lpath);
  GANTRY_CHECK(img.dtype() == kUInt8 && img.dim() == 3, "load_fashion_mnist: '", ipath,
               "': expected uint8 images [N,H,W], got ", tensor_desc(img));
  GANTRY_CHECK(lab.dtype() == kUInt8 && lab.dim() == 1, "load_fashion_mnist: '", lpath,
               "': expected uint8 labels [N], got ", tensor_desc(lab));
  GANTRY_CHECK(img.size(0) == lab.size(0), "load_fashion_mnist: '", ipath, "' has ",
               img.size(0), " images but '", lpath, "' has ", lab.size(0), " labels");
  int64_t n = img.size(0);
  if (limit >= 0) n = std::min(n, limit);
  const int64_t h = img.size(1), w = img.size(2), per = h * w;
  ImageDataset ds;
  ds.images = empty({n, 1, h, w}, kFloat32);
  ds.labels = empty({n}, kInt64);
  const uint8_t* ip = img.data<uint8_t>();
  const uint8_t* lp = lab.data<uint8_t>();
  float* op = ds.images.data<float>();
  int64_t* ol = ds.labels.data<int64_t>();
  for (int64_t i = 0; i < n * per; ++i) op[i] = static_cast<float>(ip[i]) / 127.5f - 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    GANTRY_CHECK(lp[i] <= 9, "load_fashion_mnist: '", lpath, "': label ", int(lp[i]),
                 " at index ", i, " is outside 0..9");
    ol[i] = lp[i];
  }
  return ds;
}

Tensor fit_fashion_mnist(const Tensor& images, int64_t r) {
  GANTRY_CHECK(images.dim() == 4 && images.size(2) == 28 && images.size(3) == 28,
               "fit_fashion_mnist: images must be [N,C,28,28], got ", shape_str(images.shape()));
  if (r == 28) return images;
  GANTRY_CHECK(r > 0 && r <= 32 && 32 % r == 0, "Fashion-MNIST is 28x28 (32x32 padded): resolution ", r,
               " is ", r > 32 ? "larger than the data" : "not 28 or 32/2^k (32, 16, 8, 4)");
  NoGradGuard ng;
  Tensor x = pad(images, {2, 2, 2, 2}, PadMode::Constant, -1.0);  // [N,C,32,32], background -1
  if (r < 32) x = avg_pool2d(x, {32 / r, 32 / r});
  return contiguous(x);
}

}  // namespace gan
}  // namespace gantry
