// The NDArray file format of Apache MXNet 1.x, all integers little-endian:
//
//   file    := uint64 0x112 (list magic), uint64 0 (reserved),
//              uint64 count, array[count],
//              uint64 name_count (0, or count), name[name_count]
//   name    := uint64 length, char[length]
//   array   := uint32 magic, then by magic:
//     0xF993FAC9 (V2) / 0xF993FACA (V3, NumPy shapes): int32 storage type (0: dense, 1: row sparse, 2: CSR),
//                                                     [shape of the stored values, if sparse], shape, [body]
//     0xF993FAC8 (V1): shape, [body]
//     anything else (legacy, before V1): the magic is ndim, then uint32 extents[ndim], [body]
//   shape   := int32 ndim, int64 extents[ndim]
//   body    := absent when the array is none (ndim 0 before V3; ndim -1 in V3)
//              otherwise int32 dev_type, int32 dev_id (the saving context), int32 dtype (mshadow's type flag),
//              the elements, row-major, dtype-sized each
//              sparse: dev_type, dev_id, dtype, then per index array int32 dtype (6, int64) and its shape, the
//              stored values, then each index array's elements (CSR: indptr, indices; row sparse: row numbers)
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

void write_sparse(Writer& w, const SparseRecord& r) {
  w.put<std::uint32_t>(kMagicV2);
  w.put<std::int32_t>(r.stype);
  w.put<std::int32_t>(r.storage_shape.ndim());
  for (std::int64_t extent : r.storage_shape) w.put<std::int64_t>(extent);
  w.put<std::int32_t>(r.shape.ndim());
  for (std::int64_t extent : r.shape) w.put<std::int64_t>(extent);
  w.put<std::int32_t>(static_cast<std::int32_t>(DeviceType::kCPU));
  w.put<std::int32_t>(0);
  w.put<std::int32_t>(static_cast<std::int32_t>(r.dtype));
  for (const std::vector<std::int64_t>& aux : r.aux) {
    w.put<std::int32_t>(static_cast<std::int32_t>(DType::kInt64));
    w.put<std::int32_t>(1);
    w.put<std::int64_t>(static_cast<std::int64_t>(aux.size()));
  }
  w.put_bytes(r.values.data(), r.values.size());
  for (const std::vector<std::int64_t>& aux : r.aux) w.put_bytes(aux.data(), aux.size() * sizeof(std::int64_t));
}

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

void write_file(const std::string& path, const std::vector<const Record*>& records,
                const std::vector<std::string>& names) {
  Writer w;
  w.put<std::uint64_t>(kListMagic);
  w.put<std::uint64_t>(0);
  w.put<std::uint64_t>(records.size());
  for (const Record* record : records) {
    if (const auto* sparse = std::get_if<SparseRecord>(record)) {
      write_sparse(w, *sparse);
      continue;
    }
    const NDArray& a = std::get<NDArray>(*record);
    if (a.is_none()) throw Error("save: " + path + ": cannot save an empty array handle");
    write_array(w, a);
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

Shape read_extents(Reader& r, const std::string& which, std::int64_t ndim, bool wide) {
  if (ndim > Shape::kMaxNdim) {
    r.fail(which + " has " + std::to_string(ndim) + " axes; mxpp arrays have at most " +
           std::to_string(Shape::kMaxNdim));
  }
  Shape shape;
  for (std::int64_t i = 0; i < ndim; ++i) {
    const std::int64_t extent =
        wide ? r.get<std::int64_t>("an extent") : static_cast<std::int64_t>(r.get<std::uint32_t>("an extent"));
    if (extent < 0) r.fail(which + " has a negative extent " + std::to_string(extent));
    shape.push_back(extent);
  }
  return shape;
}

Shape read_shape(Reader& r, const std::string& which) {
  const std::int32_t ndim = r.get<std::int32_t>("the number of axes");
  if (ndim < 0) r.fail(which + " has " + std::to_string(ndim) + " axes");
  return read_extents(r, which, ndim, true);
}

DType read_dtype(Reader& r, const std::string& which) {
  const std::int32_t code = r.get<std::int32_t>("the dtype");
  try {
    return dtype_from_code(code);
  } catch (const DTypeError&) {
    r.fail(which + " has unknown dtype code " + std::to_string(code));
  }
}

// The bytes of `count` elements of `dtype`, checked against what is left before anything is allocated.
const std::byte* take_elements(Reader& r, const std::string& which, const Shape& shape, DType dtype) {
  std::size_t bytes = dtype_size(dtype);
  for (std::int64_t extent : shape) {
    if (extent != 0 && bytes > r.remaining() / static_cast<std::size_t>(extent)) {
      r.fail(which + " of shape " + shape.str() + " needs more data than the " + std::to_string(r.remaining()) +
             " bytes left");
    }
    bytes *= static_cast<std::size_t>(extent);
  }
  return r.take(bytes, "the elements");
}

SparseRecord read_sparse(Reader& r, const std::string& which, std::int32_t stype) {
  SparseRecord record;
  record.stype = stype;
  record.storage_shape = read_shape(r, which);
  record.shape = read_shape(r, which);
  r.get<std::int32_t>("the device type");
  r.get<std::int32_t>("the device id");
  record.dtype = read_dtype(r, which);
  const int aux_count = stype == 2 ? 2 : 1;
  std::vector<Shape> aux_shapes;
  for (int i = 0; i < aux_count; ++i) {
    if (read_dtype(r, which) != DType::kInt64) r.fail(which + " has index arrays that are not int64");
    aux_shapes.push_back(read_shape(r, which));
    if (aux_shapes.back().ndim() != 1) r.fail(which + " has an index array of shape " + aux_shapes.back().str());
  }
  const std::byte* values = take_elements(r, which, record.storage_shape, record.dtype);
  const std::size_t value_bytes = static_cast<std::size_t>(record.storage_shape.size()) * dtype_size(record.dtype);
  record.values.assign(values, values + value_bytes);
  for (const Shape& aux_shape : aux_shapes) {
    const std::byte* aux = take_elements(r, which, aux_shape, DType::kInt64);
    record.aux.emplace_back(static_cast<std::size_t>(aux_shape[0]));
    std::memcpy(record.aux.back().data(), aux, record.aux.back().size() * sizeof(std::int64_t));
  }
  return record;
}

Record read_array(Reader& r, std::size_t index) {
  const std::string which = "array " + std::to_string(index);
  const std::uint32_t magic = r.get<std::uint32_t>("an array's magic");
  Shape shape;
  bool none = false;
  if (magic == kMagicV1 || magic == kMagicV2 || magic == kMagicV3) {
    if (magic != kMagicV1) {
      const std::int32_t stype = r.get<std::int32_t>("the storage type");
      if (stype == 1 || stype == 2) return read_sparse(r, which, stype);
      if (stype != 0) r.fail(which + " has unknown storage type " + std::to_string(stype));
    }
    const std::int32_t ndim = r.get<std::int32_t>("the number of axes");
    if (ndim < (magic == kMagicV3 ? -1 : 0)) r.fail(which + " has " + std::to_string(ndim) + " axes");
    none = magic == kMagicV3 ? ndim == -1 : ndim == 0;
    shape = read_extents(r, which, std::max(ndim, 0), true);
  } else {
    none = magic == 0;
    shape = read_extents(r, which, magic, false);  // legacy: the magic was the number of axes
  }
  if (none) return NDArray();

  r.get<std::int32_t>("the device type");  // arrays load onto cpu(0), wherever they were saved
  r.get<std::int32_t>("the device id");
  const DType dtype = read_dtype(r, which);
  const std::byte* data = take_elements(r, which, shape, dtype);
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
  const std::vector<Record> records(arrays.begin(), arrays.end());
  save_records(path, records, {});
}

void save(const std::string& path, const std::map<std::string, NDArray>& arrays) {
  std::vector<Record> records;
  std::vector<std::string> names;
  for (const auto& [name, a] : arrays) {
    names.push_back(name);
    records.emplace_back(a);
  }
  save_records(path, records, names);
}

void save_records(const std::string& path, const std::vector<Record>& records, const std::vector<std::string>& names) {
  if (!names.empty() && names.size() != records.size()) {
    throw Error("save: " + path + ": " + std::to_string(names.size()) + " names for " + std::to_string(records.size()) +
                " arrays");
  }
  std::vector<const Record*> pointers;
  for (const Record& r : records) pointers.push_back(&r);
  write_file(path, pointers, names);
}

namespace {
LoadedRecords records_from_bytes(std::span<const std::byte> bytes, std::string_view source) {
  Reader r(bytes, source);
  if (r.get<std::uint64_t>("the file's magic") != kListMagic) r.fail("not an MXNet NDArray file (wrong magic)");
  r.get<std::uint64_t>("the reserved field");
  const std::uint64_t count = r.get<std::uint64_t>("the array count");
  if (count > r.remaining() / sizeof(std::uint32_t)) {
    r.fail("claims " + std::to_string(count) + " arrays in " + std::to_string(r.remaining()) + " bytes");
  }
  LoadedRecords loaded;
  for (std::uint64_t i = 0; i < count; ++i) loaded.records.push_back(read_array(r, static_cast<std::size_t>(i)));
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

std::vector<std::byte> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error("load: cannot open " + path + ": " + std::strerror(errno));
  std::vector<std::byte> bytes(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    throw Error("load: reading " + path + " failed");
  }
  return bytes;
}
}  // namespace

LoadedArrays load_from_bytes(std::span<const std::byte> bytes, std::string_view source) {
  LoadedRecords records = records_from_bytes(bytes, source);
  LoadedArrays loaded;
  loaded.names = std::move(records.names);
  for (std::size_t i = 0; i < records.records.size(); ++i) {
    if (std::holds_alternative<SparseRecord>(records.records[i])) {
      throw FormatError("load: " + std::string(source) + ": array " + std::to_string(i) +
                        " is sparse; load the file with nd::sparse::load");
    }
    loaded.arrays.push_back(std::get<NDArray>(std::move(records.records[i])));
  }
  return loaded;
}

LoadedArrays load(const std::string& path) { return load_from_bytes(read_file(path), path); }

LoadedRecords load_records(const std::string& path) { return records_from_bytes(read_file(path), path); }

}  // namespace mx::nd
