#include "safetensors.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include "json.h"
#include "../core/error.h"
#include "../ops/ops.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian; add byte swaps for this host");

namespace tf::io {

namespace {

const char* st_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I32: return "I32";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
  }
  return "?";
}
bool st_dtype(const std::string& s, DType* out) {
  static const std::pair<const char*, DType> m[] = {
      {"F32", DType::F32}, {"F64", DType::F64}, {"I32", DType::I32}, {"I8", DType::I8}, {"U8", DType::U8}};
  for (auto& [n, d] : m)
    if (s == n) { *out = d; return true; }
  return false;
}
// valid safetensors dtypes tensorfield has no tensor type for (said as such, not as "unknown")
bool st_other(const std::string& s) {
  static const char* o[] = {"BOOL", "F4", "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16",
                            "F16", "BF16", "U32", "I64", "U64", "C64"};
  for (const char* n : o)
    if (s == n) return true;
  return false;
}

[[noreturn]] void io_fail(const std::string& op, const std::string& path, int err, const char* extra = "") {
  fail(ErrorCode::Io, op, " '", path, "': ", std::strerror(err), " (", err == ENOSPC ? "ENOSPC" : err == ENOENT ? "ENOENT"
       : err == EACCES ? "EACCES" : err == EISDIR ? "EISDIR" : err == ENOTDIR ? "ENOTDIR" : "errno", ")", extra);
}

struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) ::close(fd); }
};

void read_at(int fd, void* dst, size_t n, uint64_t pos, const std::string& path) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    ssize_t got = ::pread(fd, p, n, off_t(pos));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) io_fail("read", path, errno);
    TF_CHECK(got > 0, BadFile, "safetensors file '", path, "': unexpected end of file at byte ", pos,
             " (was it truncated while being read?)");
    p += got;
    pos += uint64_t(got);
    n -= size_t(got);
  }
}

void write_all(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) io_fail("write", path, errno, errno == ENOSPC ? "; what was there before is intact" : "");
    p += w;
    n -= size_t(w);
  }
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
  const std::string what = "safetensors file '" + path + "'";
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) io_fail("open", path, errno);
  struct stat st;
  if (::fstat(f.fd, &st) != 0) io_fail("stat", path, errno);
  TF_CHECK(!S_ISDIR(st.st_mode), Io, "open '", path, "': is a directory (EISDIR)");
  uint64_t size = uint64_t(st.st_size);
  TF_CHECK(size >= 8, BadFile, what, ": only ", size, " bytes: too short for a safetensors file (truncated or empty?)");
  unsigned char pre[8];
  read_at(f.fd, pre, 8, 0, path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | pre[i];
  TF_CHECK(n <= kMaxHeaderBytes, BadFile, what, ": header length ", n, " is over the ", kMaxHeaderBytes,
           "-byte limit: not a safetensors file, or corrupt");
  TF_CHECK(8 + n <= size, BadFile, what, ": header length ", n, " runs past the end of the ", size,
           "-byte file: truncated, or not a safetensors file");
  TF_CHECK(n >= 2, BadFile, what, ": header length ", n, " is too small to hold a JSON header");
  std::string text(size_t(n), '\0');
  read_at(f.fd, text.data(), size_t(n), 8, path);
  TF_CHECK(text[0] == '{', BadFile, what, ": the header does not start with '{': corrupt, or not a safetensors file");
  json::Value root = json::parse(text, what + ": the header");
  TF_CHECK(root.kind == json::Value::Object, BadFile, what, ": the header is not a JSON object");
  const uint64_t data_len = size - 8 - n;

  SafetensorsFile out;
  std::vector<Entry> entries;
  std::set<std::string> seen;
  for (auto& [name, info] : root.members) {
    TF_CHECK(seen.insert(name).second, BadFile, what, ": the header names '", name,
             "' twice (a tensor or a __metadata__ key): ambiguous, refused");
    if (name == "__metadata__") {
      TF_CHECK(info.kind == json::Value::Object, BadFile, what, ": __metadata__ is not an object");
      std::set<std::string> keys;
      for (auto& [k, v] : info.members) {
        TF_CHECK(keys.insert(k).second, BadFile, what, ": the header names '", k,
                 "' twice (a tensor or a __metadata__ key): ambiguous, refused");
        TF_CHECK(v.kind == json::Value::String, BadFile, what, ": __metadata__ value '", k, "' is not a string");
        out.metadata.emplace_back(k, v.str);
      }
      continue;
    }
    const std::string where = what + ": tensor '" + name + "'";
    TF_CHECK(info.kind == json::Value::Object, BadFile, where, ": header entry is not an object");
    const json::Value *dt = nullptr, *shape = nullptr, *off = nullptr;
    for (auto& [k, v] : info.members) {
      if (k == "dtype") dt = &v;
      else if (k == "shape") shape = &v;
      else if (k == "data_offsets") off = &v;
    }
    Entry e;
    e.name = name;
    TF_CHECK(dt && dt->kind == json::Value::String, BadFile, where, ": no dtype string");
    if (!st_dtype(dt->str, &e.dtype)) {
      TF_CHECK(!st_other(dt->str), BadFile, where, ": dtype ", dt->str, " is not supported by tensorfield (F32, F64, I32, I8, U8)");
      fail(ErrorCode::BadFile, where, ": unknown dtype ", json::quote(dt->str));
    }
    const double kSafe = 9007199254740991.0;  // 2^53 - 1, as the Node reader (Number.isSafeInteger)
    auto nonneg_int = [&](const json::Value& v) { return v.kind == json::Value::Number && v.integer && v.number >= 0 && v.number <= kSafe; };
    TF_CHECK(shape && shape->kind == json::Value::Array && shape->items.size() <= size_t(kMaxDims), BadFile, where,
             ": shape is not a list of at most ", kMaxDims, " non-negative integers");
    double nbytes = double(dtype_size(e.dtype));
    for (const json::Value& d : shape->items) {
      TF_CHECK(nonneg_int(d), BadFile, where, ": shape is not a list of non-negative integers");
      e.shape.push_back(int64_t(d.number));
      nbytes *= d.number;
      TF_CHECK(nbytes <= kSafe, BadFile, where, ": shape ", shape_str(e.shape), " is impossibly large");
    }
    TF_CHECK(off && off->kind == json::Value::Array && off->items.size() == 2 && nonneg_int(off->items[0]) &&
                 nonneg_int(off->items[1]) && off->items[0].number <= off->items[1].number,
             BadFile, where, ": data_offsets is not a [begin, end] pair with 0 <= begin <= end");
    e.begin = uint64_t(off->items[0].number);
    e.end = uint64_t(off->items[1].number);
    TF_CHECK(double(e.end - e.begin) == nbytes, BadFile, where, ": shape ", shape_str(e.shape), " of ", st_name(e.dtype),
             " needs ", uint64_t(nbytes), " bytes but data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin);
    TF_CHECK(e.end <= data_len, BadFile, where, ": data_offsets [", e.begin, ", ", e.end, "] run past the end of the ",
             data_len, "-byte data section: truncated?");
    entries.push_back(std::move(e));
  }
  // the tensors must tile the data section exactly: no gaps, no overlaps, nothing after the last
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  uint64_t cursor = 0;
  std::string prev;
  for (const Entry& e : entries) {
    TF_CHECK(e.begin >= cursor, BadFile, what, ": tensor '", e.name, "' (bytes ", e.begin, "..", e.end,
             ") overlaps tensor '", prev, "' (ending at ", cursor, ")");
    TF_CHECK(e.begin == cursor, BadFile, what, ": gap in the data section: bytes ", cursor, "..", e.begin,
             " before tensor '", e.name, "' belong to no tensor");
    cursor = e.end;
    prev = e.name;
  }
  TF_CHECK(cursor == data_len, BadFile, what, ": ", data_len - cursor, " bytes of trailing data after the last tensor (data section ",
           data_len, " bytes, tensors end at ", cursor, ")");
  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype, Device::CPU);
    if (e.end > e.begin) read_at(f.fd, t.raw_ptr(), size_t(e.end - e.begin), 8 + n + e.begin, path);
    out.tensors.push_back({e.name, t});
  }
  return out;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const Metadata& metadata,
                      bool with_metadata) {
  std::set<std::string> names;
  for (const NamedTensor& nt : tensors) {
    TF_CHECK(nt.tensor.defined(), InvalidArgument, "save_safetensors: tensor '", nt.name, "' is undefined");
    TF_CHECK(nt.name != "__metadata__", InvalidArgument, "'__metadata__' is reserved and cannot name a tensor");
    TF_CHECK(names.insert(nt.name).second, InvalidArgument, "the name '", nt.name, "' is given twice");
  }
  std::set<std::string> keys;
  for (auto& [k, v] : metadata) TF_CHECK(keys.insert(k).second, InvalidArgument, "the metadata key '", k, "' is given twice");
  // largest elements first (stable), so each tensor starts at a multiple of its element size
  std::vector<const NamedTensor*> order;
  for (const NamedTensor& nt : tensors) order.push_back(&nt);
  std::stable_sort(order.begin(), order.end(), [](const NamedTensor* a, const NamedTensor* b) {
    return dtype_size(a->tensor.dtype()) > dtype_size(b->tensor.dtype());
  });
  std::string h = "{";
  if (with_metadata) {
    h += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); ++i)
      h += (i ? "," : "") + json::quote(metadata[i].first) + ":" + json::quote(metadata[i].second);
    h += "}";
  }
  uint64_t offset = 0;
  std::vector<Tensor> data;
  for (const NamedTensor* nt : order) {
    Tensor c = contiguous(to_device(detach_op(nt->tensor), Device::CPU));
    uint64_t nbytes = uint64_t(c.numel()) * dtype_size(c.dtype());
    std::string shape;
    for (int64_t d : c.shape()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    h += (h.size() > 1 ? "," : "") + json::quote(nt->name) + ":{\"dtype\":\"" + st_name(c.dtype()) + "\",\"shape\":[" +
         shape + "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
    data.push_back(c);
  }
  h += "}";
  h.resize((h.size() + 7) / 8 * 8, ' ');
  unsigned char pre[8];
  for (int i = 0; i < 8; ++i) pre[i] = uint8_t(uint64_t(h.size()) >> (8 * i));

  std::random_device rd;
  char hex[13];
  std::snprintf(hex, sizeof hex, "%06x%06x", rd() & 0xffffff, rd() & 0xffffff);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + hex;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) io_fail("create", tmp, errno);
  try {
    write_all(fd, reinterpret_cast<const char*>(pre), 8, path);
    write_all(fd, h.data(), h.size(), path);
    for (const Tensor& c : data)
      write_all(fd, c.raw_ptr(), size_t(c.numel()) * dtype_size(c.dtype()), path);
    if (::fsync(fd) != 0) io_fail("fsync", tmp, errno, errno == ENOSPC ? "; what was there before is intact" : "");
    if (::close(fd) != 0) {
      fd = -1;
      io_fail("close", tmp, errno);
    }
    fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) io_fail("rename to", path, errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // make the rename itself durable (filesystems that cannot sync a directory are not an error)
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace tf::io
