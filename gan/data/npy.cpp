// gan/data/npy.cpp — .npy reader and writer.
//
// Layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32
// LE for 2.0), then an ASCII Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n', then the raw data. The dict is read by
// a small recursive-descent parser that accepts exactly those three keys.
#include "gan/data/npy.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "nn/safetensors.h"  // nn::write_file_atomic

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, ".npy I/O assumes a little-endian host");

namespace gantry {
namespace gan {

namespace {

const char* npy_descr(DType t) {
  switch (t) {
    case DType::Float32: return "<f4";
    case DType::Float64: return "<f8";
    case DType::Int64: return "<i8";
    case DType::Int32: return "<i4";
    case DType::UInt8: return "|u1";
    default: return nullptr;
  }
}

// Parser of the header dict. Errors name the file.
struct HeaderParser {
  const std::string& s;
  const std::string& where;
  size_t i = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(str(where, "malformed header (", what, " at column ", i, "): ", s));
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(str("expected '", c, "'"));
  }
  std::string string_lit() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) fail("expected a string");
    char q = s[i++];
    std::string out;
    while (i < s.size() && s[i] != q) {
      if (s[i] == '\\') fail("escape sequences are not supported");
      out.push_back(s[i++]);
    }
    if (i >= s.size()) fail("unterminated string");
    ++i;
    return out;
  }
  bool bool_lit() {
    ws();
    if (s.compare(i, 4, "True") == 0) {
      i += 4;
      return true;
    }
    if (s.compare(i, 5, "False") == 0) {
      i += 5;
      return false;
    }
    fail("expected True or False");
  }
  int64_t int_lit() {
    ws();
    if (i >= s.size() || s[i] < '0' || s[i] > '9') fail("expected a non-negative integer");
    int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      int d = s[i++] - '0';
      if (v > (std::numeric_limits<int64_t>::max() - d) / 10) fail("integer too large");
      v = v * 10 + d;
    }
    if (i < s.size() && s[i] == 'L') ++i;  // Python 2 long suffix
    return v;
  }
  Shape tuple_lit() {
    expect('(');
    Shape out;
    if (eat(')')) return out;
    for (;;) {
      out.push_back(int_lit());
      if (out.size() > 64) fail("more than 64 dimensions");
      if (eat(')')) break;
      expect(',');
      if (eat(')')) break;
    }
    return out;
  }
};

struct InFile {
  std::string path;
  FILE* f = nullptr;
  uint64_t size = 0;
  InFile(const std::string& p, const std::string& where) : path(p) {
    f = std::fopen(p.c_str(), "rb");
    GANTRY_CHECK(f != nullptr, where, "cannot open: ", std::strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
      std::fclose(f);
      f = nullptr;
      throw Error(str(where, "not a regular file"));
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  ~InFile() {
    if (f) std::fclose(f);
  }
  InFile(const InFile&) = delete;
  InFile& operator=(const InFile&) = delete;
  // Reads exactly n bytes from the current position (sizes were checked before).
  void read(void* dst, uint64_t n, const std::string& where) {
    if (n == 0) return;
    size_t got = std::fread(dst, 1, n, f);
    GANTRY_CHECK(got == n, where, "file truncated while reading (", got, " of ", n, " bytes)");
  }
};

}  // namespace

void save_npy(const std::string& path, const Tensor& t) {
  const std::string where = "save_npy: '" + path + "': ";
  GANTRY_CHECK(t.defined(), where, "tensor is undefined");
  const char* descr = npy_descr(t.dtype());
  GANTRY_CHECK(descr != nullptr, where, "dtype ", dtype_name(t.dtype()),
               " is not supported (float32, float64, int64, int32, uint8)");
  Tensor c = t;
  if (!c.device().is_cpu()) c = core::to_device(c, kCPU);
  c = core::contiguous(c);

  // Exactly what numpy.lib.format writes (keys sorted, a trailing ", ").
  std::string shape = "(";
  for (size_t d = 0; d < c.shape().size(); ++d) {
    if (d) shape += ", ";
    shape += std::to_string(c.shape()[d]);
  }
  if (c.shape().size() == 1) shape += ",";
  shape += ")";
  std::string header =
      str("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape, ", }");
  // Pad so that magic + version + length field + header is a multiple of 64.
  auto padded = [&](size_t prefix) {
    size_t hlen = header.size() + 1;  // + '\n'
    size_t pad = 64 - (prefix + hlen) % 64;
    return header + std::string(pad, ' ') + "\n";
  };
  std::string h = padded(10);
  std::string pre = std::string("\x93NUMPY", 6);
  if (h.size() <= 0xFFFF) {
    pre += '\x01';
    pre += '\x00';
    pre += static_cast<char>(h.size() & 0xFF);
    pre += static_cast<char>((h.size() >> 8) & 0xFF);
  } else {
    h = padded(12);
    pre += '\x02';
    pre += '\x00';
    for (int k = 0; k < 4; ++k) pre += static_cast<char>((h.size() >> (8 * k)) & 0xFF);
  }
  nn::write_file_atomic(path,
                        {{pre.data(), pre.size()},
                         {h.data(), h.size()},
                         {c.raw_data(), static_cast<size_t>(c.numel()) * c.itemsize()}},
                        "save_npy");
}

Tensor load_npy(const std::string& path) {
  const std::string where = "load_npy: '" + path + "': ";
  InFile in(path, where);
  GANTRY_CHECK(in.size >= 10, where, "file is ", in.size, " bytes, too short for a .npy header");
  unsigned char pre[10];
  in.read(pre, 10, where);
  GANTRY_CHECK(std::memcmp(pre, "\x93NUMPY", 6) == 0, where,
               "not a .npy file (bad magic string)");
  const int major = pre[6], minor = pre[7];
  GANTRY_CHECK((major == 1 || major == 2) && minor == 0, where, "format version ", major, ".",
               minor, " is not supported (1.0 and 2.0 are)");
  uint64_t hlen, prefix;
  if (major == 1) {
    hlen = pre[8] | (static_cast<uint64_t>(pre[9]) << 8);
    prefix = 10;
  } else {
    GANTRY_CHECK(in.size >= 12, where, "file is ", in.size,
                 " bytes, too short for a version 2.0 header");
    unsigned char more[2];
    in.read(more, 2, where);
    hlen = pre[8] | (static_cast<uint64_t>(pre[9]) << 8) | (static_cast<uint64_t>(more[0]) << 16) |
           (static_cast<uint64_t>(more[1]) << 24);
    prefix = 12;
  }
  GANTRY_CHECK(hlen <= kMaxNpyHeader, where, "header length ", hlen, " exceeds the limit of ",
               kMaxNpyHeader, " bytes");
  GANTRY_CHECK(hlen <= in.size - prefix, where, "header length ", hlen,
               " runs past the end of the file (", in.size, " bytes)");
  std::string h(hlen, '\0');
  in.read(h.data(), hlen, where);
  for (char ch : h)
    GANTRY_CHECK(ch != '\0', where, "header contains a NUL byte");

  HeaderParser p{h, where};
  std::string descr;
  bool fortran = false, have_descr = false, have_fortran = false, have_shape = false;
  Shape shape;
  p.expect('{');
  while (!p.eat('}')) {
    std::string key = p.string_lit();
    p.expect(':');
    if (key == "descr" && !have_descr) {
      descr = p.string_lit();
      have_descr = true;
    } else if (key == "fortran_order" && !have_fortran) {
      fortran = p.bool_lit();
      have_fortran = true;
    } else if (key == "shape" && !have_shape) {
      shape = p.tuple_lit();
      have_shape = true;
    } else {
      p.fail(str("unexpected or repeated key '", key, "'"));
    }
    if (!p.eat(',')) {
      p.expect('}');
      break;
    }
  }
  p.ws();
  if (p.i != h.size()) p.fail("unexpected text after the dict");
  GANTRY_CHECK(have_descr && have_fortran && have_shape, where,
               "header lacks one of 'descr', 'fortran_order', 'shape': ", h);
  GANTRY_CHECK(!fortran, where, "fortran_order True is not supported (save a C-order array)");

  DType dt;
  if (descr == "<f4") dt = kFloat32;
  else if (descr == "<f8") dt = kFloat64;
  else if (descr == "<i8") dt = kInt64;
  else if (descr == "<i4") dt = kInt32;
  else if (descr == "|u1" || descr == "<u1" || descr == ">u1" || descr == "=u1") dt = kUInt8;
  else
    throw Error(str(where, "dtype '", descr,
                    "' is not supported (little-endian '<f4', '<f8', '<i8', '<i4', '|u1' are)"));

  const uint64_t data_size = in.size - prefix - hlen;
  uint64_t bytes = dtype_size(dt);
  bool zero = false;
  for (int64_t d : shape) zero = zero || d == 0;
  // Zero sizes count as 1 here: the strides are the product of the other sizes
  // and must fit in int64 even when the tensor is empty.
  for (int64_t d : shape)
    GANTRY_CHECK(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(d ? d : 1), &bytes) &&
                     bytes <= static_cast<uint64_t>(INT64_MAX),
                 where, "shape ", shape_str(shape), " is absurd (its size overflows)");
  if (zero) bytes = 0;
  GANTRY_CHECK(bytes == data_size, where, "shape ", shape_str(shape), " of ", descr, " needs ",
               bytes, " bytes of data but the file holds ", data_size);
  Tensor t = empty(shape, dt);
  in.read(t.raw_data(), bytes, where);
  return t;
}

}  // namespace gan
}  // namespace gantry
