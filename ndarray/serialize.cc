// The NDArray file format of Apache MXNet 1.x, all integers little-endian:
//
//   file    := uint64 0x112 (list magic), uint64 0 (reserved),
//              uint64 count, array[count],
//              uint64 name_count (0, or count), name[name_count]
//   name    := uint64 length, char[length]
//   array   := uint32 magic, then by magic:
//     0xF993FAC9 (V2) / 0xF993FACA (V3, NumPy shapes): int32 storage type (0: dense; sparse is not supported),
//                                                     shape, [body]
//     0xF993FAC8 (V1): shape, [body]
//     anything else (legacy, before V1): the magic is ndim, then uint32 extents[ndim], [body]
//   shape   := int32 ndim, int64 extents[ndim]
//   body    := absent when the array is none (ndim 0 before V3; ndim -1 in V3)
//              otherwise int32 dev_type, int32 dev_id (the saving context), int32 dtype (mshadow's type flag),
//              the elements, row-major, dtype-sized each
#include <mx/ndarray/serialize.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>

namespace mx::nd {
namespace {

constexpr std::uint64_t kListMagic = 0x112;
constexpr std::uint32_t kMagicV1 = 0xF993FAC8, kMagicV2 = 0xF993FAC9, kMagicV3 = 0xF993FACA;

// ---- Writing ----
class Writer {
 public:
  template <class T>
  void put(T value) {
    const auto* p = reinterpret_cast<const std::byte*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof value);
  }
  void put_bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::byte*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

void write_array(Writer& w, const NDArray& array) {
  // A 0-dimensional array needs V3, where ndim 0 means a scalar rather than "none".
  w.put<std::uint32_t>(array.ndim() == 0 ? kMagicV3 : kMagicV2);
  w.put<std::int32_t>(0);  // dense storage
  w.put<std::int32_t>(array.ndim());
  for (std::int64_t extent : array.shape()) w.put<std::int64_t>(extent);
  w.put<std::int32_t>(static_cast<std::int32_t>(DeviceType::kCPU));
  w.put<std::int32_t>(0);
  w.put<std::int32_t>(static_cast<std::int32_t>(array.dtype()));
  const std::size_t offset = w.bytes().size();
  w.bytes().resize(offset + static_cast<std::size_t>(array.size()) * dtype_size(array.dtype()));
  array.copy_to_host(w.bytes().data() + offset, array.dtype(), static_cast<std::size_t>(array.size()));
}

void write_file(const std::string& path, const std::vector<const NDArray*>& arrays,
                const std::vector<std::string>& names) {
  Writer w;
  w.put<std::uint64_t>(kListMagic);
  w.put<std::uint64_t>(0);
  w.put<std::uint64_t>(arrays.size());
  for (const NDArray* a : arrays) {
    if (a->is_none()) throw Error("save: " + path + ": cannot save an empty array handle");
    write_array(w, *a);
  }
  w.put<std::uint64_t>(names.size());
  for (const std::string& name : names) {
    w.put<std::uint64_t>(name.size());
    w.put_bytes(name.data(), name.size());
  }

  std::string temp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) throw Error("save: cannot create a temporary file beside " + path + ": " + std::strerror(errno));
  const std::vector<std::byte>& bytes = w.bytes();
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      throw Error("save: writing " + path + " failed: " + why);
    }
    written += static_cast<std::size_t>(n);
  }
  // Flushed to disk before the rename, so the name never points at a partly written file.
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    throw Error("save: writing " + path + " failed: " + why);
  }
}

// ---- Reading: every read is checked against the bytes left ----
class Reader {
 public:
  Reader(std::span<const std::byte> bytes, std::string_view source) : bytes_(bytes), source_(source) {}

  template <class T>
  T get(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof value, what), sizeof value);
    return value;
  }
  const std::byte* take(std::size_t size, const char* what) {
    if (size > remaining()) {
      fail("truncated: " + std::string(what) + " needs " + std::to_string(size) + " bytes at offset " +
           std::to_string(offset_) + ", " + std::to_string(remaining()) + " left");
    }
    const std::byte* p = bytes_.data() + offset_;
    offset_ += size;
    return p;
  }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  std::size_t offset() const { return offset_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw FormatError("load: " + std::string(source_) + ": " + why);
  }

 private:
  std::span<const std::byte> bytes_;
  std::string_view source_;
  std::size_t offset_ = 0;
};

NDArray read_array(Reader& r, std::size_t index) {
  const std::string which = "array " + std::to_string(index);
  const std::uint32_t magic = r.get<std::uint32_t>("an array's magic");
  Shape shape;
  bool none = false;
  auto read_extents = [&](std::int64_t ndim, bool wide) {
    if (ndim > Shape::kMaxNdim) {
      r.fail(which + " has " + std::to_string(ndim) + " axes; mxpp arrays have at most " +
             std::to_string(Shape::kMaxNdim));
    }
    for (std::int64_t i = 0; i < ndim; ++i) {
      const std::int64_t extent =
          wide ? r.get<std::int64_t>("an extent") : static_cast<std::int64_t>(r.get<std::uint32_t>("an extent"));
      if (extent < 0) r.fail(which + " has a negative extent " + std::to_string(extent));
      shape.push_back(extent);
    }
  };
  if (magic == kMagicV1 || magic == kMagicV2 || magic == kMagicV3) {
    if (magic != kMagicV1) {
      const std::int32_t stype = r.get<std::int32_t>("the storage type");
      if (stype != 0) r.fail(which + " has storage type " + std::to_string(stype) + "; only dense arrays load");
    }
    const std::int32_t ndim = r.get<std::int32_t>("the number of axes");
    if (ndim < (magic == kMagicV3 ? -1 : 0)) r.fail(which + " has " + std::to_string(ndim) + " axes");
    none = magic == kMagicV3 ? ndim == -1 : ndim == 0;
    read_extents(std::max(ndim, 0), true);
  } else {
    none = magic == 0;
    read_extents(magic, false);  // legacy: the magic was the number of axes
  }
  if (none) return NDArray();

  r.get<std::int32_t>("the device type");  // arrays load onto cpu(0), wherever they were saved
  r.get<std::int32_t>("the device id");
  const std::int32_t code = r.get<std::int32_t>("the dtype");
  DType dtype;
  try {
    dtype = dtype_from_code(code);
  } catch (const DTypeError&) {
    r.fail(which + " has unknown dtype code " + std::to_string(code));
  }
  // The element count, checked against what is left before anything is allocated.
  std::size_t bytes = dtype_size(dtype);
  for (std::int64_t extent : shape) {
    if (extent != 0 && bytes > r.remaining() / static_cast<std::size_t>(extent)) {
      r.fail(which + " of shape " + shape.str() + " needs more data than the " + std::to_string(r.remaining()) +
             " bytes left");
    }
    bytes *= static_cast<std::size_t>(extent);
  }
  const std::byte* data = r.take(bytes, "the elements");
  NDArray array(shape, cpu(), dtype);
  array.copy_from_host(data, dtype, static_cast<std::size_t>(shape.size()));
  return array;
}

}  // namespace

std::map<std::string, NDArray> LoadedArrays::dict() const {
  if (names.size() != arrays.size()) throw FormatError("load: the file holds a list of arrays, not named arrays");
  std::map<std::string, NDArray> out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace(names[i], arrays[i]);
  return out;
}

void save(const std::string& path, const std::vector<NDArray>& arrays) {
  std::vector<const NDArray*> pointers;
  for (const NDArray& a : arrays) pointers.push_back(&a);
  write_file(path, pointers, {});
}

void save(const std::string& path, const std::map<std::string, NDArray>& arrays) {
  std::vector<const NDArray*> pointers;
  std::vector<std::string> names;
  for (const auto& [name, a] : arrays) {
    names.push_back(name);
    pointers.push_back(&a);
  }
  write_file(path, pointers, names);
}

LoadedArrays load_from_bytes(std::span<const std::byte> bytes, std::string_view source) {
  Reader r(bytes, source);
  if (r.get<std::uint64_t>("the file's magic") != kListMagic) r.fail("not an MXNet NDArray file (wrong magic)");
  r.get<std::uint64_t>("the reserved field");
  const std::uint64_t count = r.get<std::uint64_t>("the array count");
  if (count > r.remaining() / sizeof(std::uint32_t)) {
    r.fail("claims " + std::to_string(count) + " arrays in " + std::to_string(r.remaining()) + " bytes");
  }
  LoadedArrays loaded;
  for (std::uint64_t i = 0; i < count; ++i) loaded.arrays.push_back(read_array(r, static_cast<std::size_t>(i)));
  const std::uint64_t name_count = r.get<std::uint64_t>("the name count");
  if (name_count != 0 && name_count != count) {
    r.fail(std::to_string(name_count) + " names for " + std::to_string(count) + " arrays");
  }
  for (std::uint64_t i = 0; i < name_count; ++i) {
    const std::uint64_t length = r.get<std::uint64_t>("a name's length");
    if (length > r.remaining()) r.fail("name " + std::to_string(i) + " is longer than the rest of the file");
    const auto* p = reinterpret_cast<const char*>(r.take(static_cast<std::size_t>(length), "a name"));
    loaded.names.emplace_back(p, static_cast<std::size_t>(length));
  }
  if (r.remaining() != 0) r.fail(std::to_string(r.remaining()) + " unexpected bytes after the names");
  return loaded;
}

LoadedArrays load(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error("load: cannot open " + path + ": " + std::strerror(errno));
  std::vector<std::byte> bytes(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    throw Error("load: reading " + path + " failed");
  }
  return load_from_bytes(bytes, path);
}

}  // namespace mx::nd
