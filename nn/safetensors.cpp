// nn/safetensors.cpp — safetensors reader/writer and the atomic file writer.
//
// The reader trusts nothing in the file: the header length is checked against
// the cap and the file size before it is read, the JSON is parsed with errors
// caught, and every tensor's dtype, shape and offsets are checked (product of
// the shape times the item size equals end - begin, without overflow; ranges
// inside the data section and not overlapping) before any tensor is allocated.
#include "nn/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors I/O assumes a little-endian host");

namespace gantry {
namespace nn {

namespace {

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

const char* st_dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::Int32: return "I32";
    case DType::UInt8: return "U8";
    case DType::BFloat16: return "BF16";
    case DType::Float16: return "F16";
  }
  return nullptr;
}

bool st_dtype_from_name(const std::string& s, DType* t) {
  if (s == "F32") *t = kFloat32;
  else if (s == "F64") *t = kFloat64;
  else if (s == "I64") *t = kInt64;
  else if (s == "I32") *t = kInt32;
  else if (s == "U8") *t = kUInt8;
  else if (s == "BF16") *t = kBFloat16;
  else if (s == "F16") *t = kFloat16;
  else return false;
  return true;
}

// Owns a FILE* opened for reading, with its size.
struct InFile {
  std::string path;
  FILE* f = nullptr;
  uint64_t size = 0;
  explicit InFile(const std::string& p) : path(p) {
    f = std::fopen(p.c_str(), "rb");
    GANTRY_CHECK(f != nullptr, "load_safetensors: cannot open '", p, "': ", std::strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
      std::fclose(f);
      f = nullptr;
      throw Error(str("load_safetensors: '", p, "' is not a regular file"));
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  ~InFile() {
    if (f) std::fclose(f);
  }
  InFile(const InFile&) = delete;
  InFile& operator=(const InFile&) = delete;
  void read_at(uint64_t offset, void* dst, uint64_t n) {
    GANTRY_CHECK(offset <= size && n <= size - offset, "load_safetensors: '", path,
                 "': read of ", n, " bytes at offset ", offset, " past the end of the file (",
                 size, " bytes)");
    GANTRY_CHECK(fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0, "load_safetensors: '",
                 path, "': seek failed: ", std::strerror(errno));
    if (n == 0) return;
    size_t got = std::fread(dst, 1, n, f);
    GANTRY_CHECK(got == n, "load_safetensors: '", path, "': file truncated while reading (",
                 got, " of ", n, " bytes at offset ", offset, ")");
  }
};

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

}  // namespace

void write_file_atomic(const std::string& path,
                       const std::vector<std::pair<const void*, size_t>>& parts,
                       const std::string& what) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  GANTRY_CHECK(f != nullptr, what, ": cannot create '", tmp, "': ", std::strerror(errno));
  auto fail = [&](const std::string& step) {
    int e = errno;
    if (f) std::fclose(f);
    std::remove(tmp.c_str());
    throw Error(str(what, ": ", step, " '", tmp, "' failed: ", std::strerror(e), " ('", path,
                    "' left unchanged)"));
  };
  for (const auto& p : parts) {
    if (p.second == 0) continue;
    if (std::fwrite(p.first, 1, p.second, f) != p.second) fail("writing");
  }
  if (std::fflush(f) != 0) fail("flushing");
  if (fsync(fileno(f)) != 0) fail("fsync of");
  int rc = std::fclose(f);
  f = nullptr;
  if (rc != 0) fail("closing");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    throw Error(str(what, ": renaming '", tmp, "' to '", path, "' failed: ", std::strerror(e)));
  }
  // Make the rename itself durable (best effort: not every file system allows it).
  int dfd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    (void)fsync(dfd);
    ::close(dfd);
  }
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json md = nlohmann::ordered_json::object();
    for (const auto& kv : metadata) md[kv.first] = kv.second;
    header["__metadata__"] = md;
  }
  std::vector<Tensor> data;  // contiguous CPU copies, in order
  data.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& nt : tensors) {
    const std::string& name = nt.first;
    const Tensor& t = nt.second;
    GANTRY_CHECK(!name.empty(), "save_safetensors: '", path, "': a tensor has an empty name");
    GANTRY_CHECK(name != "__metadata__", "save_safetensors: '", path,
                 "': '__metadata__' is reserved and cannot name a tensor");
    GANTRY_CHECK(!header.contains(name), "save_safetensors: '", path, "': duplicate tensor name '",
                 name, "'");
    GANTRY_CHECK(t.defined(), "save_safetensors: '", path, "': tensor '", name, "' is undefined");
    const char* dn = st_dtype_name(t.dtype());
    GANTRY_CHECK(dn != nullptr, "save_safetensors: '", path, "': tensor '", name, "' has dtype ",
                 dtype_name(t.dtype()),
                 "; supported: float32, float64, int64, int32, uint8, bfloat16, float16");
    Tensor c = t;
    if (!c.device().is_cpu()) c = core::to_device(c, kCPU);
    c = core::contiguous(c);
    const uint64_t nbytes = static_cast<uint64_t>(c.numel()) * c.itemsize();
    nlohmann::ordered_json e = nlohmann::ordered_json::object();
    e["dtype"] = dn;
    e["shape"] = nlohmann::ordered_json::array();
    for (int64_t d : c.shape()) e["shape"].push_back(d);
    e["data_offsets"] = {offset, offset + nbytes};
    header[name] = e;
    offset += nbytes;
    data.push_back(c);
  }
  std::string hs;
  try {
    hs = header.dump();
  } catch (const nlohmann::json::exception& ex) {  // e.g. invalid UTF-8 in a name
    throw Error(str("save_safetensors: '", path, "': cannot encode the header: ", ex.what()));
  }
  while (hs.size() % 8 != 0) hs.push_back(' ');
  unsigned char len[8];
  uint64_t n = hs.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  std::vector<std::pair<const void*, size_t>> parts;
  parts.emplace_back(len, 8);
  parts.emplace_back(hs.data(), hs.size());
  for (const Tensor& c : data)
    parts.emplace_back(c.raw_data(), static_cast<size_t>(c.numel()) * c.itemsize());
  write_file_atomic(path, parts, "save_safetensors");
}

SafetensorsFile load_safetensors(const std::string& path) {
  InFile in(path);
  const std::string where = "load_safetensors: '" + path + "': ";
  GANTRY_CHECK(in.size >= 8, where, "file is ", in.size,
               " bytes, too short for the 8-byte header length");
  unsigned char len[8];
  in.read_at(0, len, 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(len[i]) << (8 * i);
  GANTRY_CHECK(n <= kMaxSafetensorsHeader, where, "header length ", n, " exceeds the limit of ",
               kMaxSafetensorsHeader, " bytes");
  GANTRY_CHECK(n <= in.size - 8, where, "header length ", n, " exceeds the file size (",
               in.size, " bytes)");
  GANTRY_CHECK(n >= 2, where, "header length ", n, " is too small for a JSON object");
  std::string hs(n, '\0');
  in.read_at(8, hs.data(), n);
  const uint64_t data_start = 8 + n, data_size = in.size - data_start;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(hs);
  } catch (const nlohmann::json::exception& ex) {
    throw Error(str(where, "header is not valid JSON: ", ex.what()));
  }
  GANTRY_CHECK(header.is_object(), where, "header is not a JSON object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      GANTRY_CHECK(v.is_object(), where, "__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        GANTRY_CHECK(m.value().is_string(), where, "__metadata__ value for '", m.key(),
                     "' is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string te = where + "tensor '" + name + "': ";
    GANTRY_CHECK(v.is_object(), te, "entry is not an object");
    GANTRY_CHECK(v.contains("dtype") && v["dtype"].is_string(), te, "missing string 'dtype'");
    GANTRY_CHECK(v.contains("shape") && v["shape"].is_array(), te, "missing array 'shape'");
    GANTRY_CHECK(v.contains("data_offsets") && v["data_offsets"].is_array() &&
                     v["data_offsets"].size() == 2,
                 te, "missing 'data_offsets' [begin, end]");
    Entry e;
    e.name = name;
    const std::string dn = v["dtype"].get<std::string>();
    GANTRY_CHECK(st_dtype_from_name(dn, &e.dtype), te, "unsupported dtype '", dn,
                 "' (supported: F32, F64, I64, I32, U8)");
    GANTRY_CHECK(v["shape"].size() <= 64, te, "shape has ", v["shape"].size(),
                 " dimensions (limit 64)");
    // numel * itemsize computed with overflow checks (capped by the file size).
    for (const auto& d : v["shape"]) {
      GANTRY_CHECK(d.is_number_unsigned(), te, "shape entry ", d.dump(),
                   " is not a non-negative integer");
      uint64_t x = d.get<uint64_t>();
      GANTRY_CHECK(x <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), te,
                   "shape entry ", x, " is absurd");
      e.shape.push_back(static_cast<int64_t>(x));
    }
    uint64_t bytes = dtype_size(e.dtype);
    if (std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end()) {
      bytes = 0;
    } else {
      for (int64_t x : e.shape) {
        GANTRY_CHECK(bytes <= data_size / static_cast<uint64_t>(x), te, "shape ",
                     v["shape"].dump(), " needs more bytes than the data section holds (",
                     data_size, ")");
        bytes *= static_cast<uint64_t>(x);
      }
    }
    for (const auto& o : v["data_offsets"])
      GANTRY_CHECK(o.is_number_unsigned(), te, "data_offsets entry ", o.dump(),
                   " is not a non-negative integer");
    e.begin = v["data_offsets"][0].get<uint64_t>();
    e.end = v["data_offsets"][1].get<uint64_t>();
    GANTRY_CHECK(e.begin <= e.end, te, "data_offsets [", e.begin, ", ", e.end,
                 "] has begin > end");
    GANTRY_CHECK(e.end <= data_size, te, "data_offsets [", e.begin, ", ", e.end,
                 "] run past the data section (", data_size, " bytes)");
    GANTRY_CHECK(e.end - e.begin == bytes, te, "data_offsets [", e.begin, ", ", e.end, "] span ",
                 e.end - e.begin, " bytes but dtype ", dn, " shape ", v["shape"].dump(),
                 " needs ", bytes);
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < entries.size(); ++i)
    GANTRY_CHECK(entries[i].begin >= entries[i - 1].end, where, "tensors '", entries[i - 1].name,
                 "' [", entries[i - 1].begin, ", ", entries[i - 1].end, ") and '",
                 entries[i].name, "' [", entries[i].begin, ", ", entries[i].end, ") overlap");
  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    in.read_at(data_start + e.begin, t.raw_data(), e.end - e.begin);
    out.tensors.emplace_back(e.name, t);
  }
  return out;
}

}  // namespace nn
}  // namespace gantry
