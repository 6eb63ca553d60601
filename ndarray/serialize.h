#pragma once
// Saving and loading arrays in Apache MXNet 1.x's binary NDArray format (mx.nd.save / mx.nd.load, and Gluon's
// .params files): files written by MXNet load here, and files written here load in MXNet.
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/ndarray/ndarray.h>

namespace mx {

// A file that is not a well-formed NDArray file. The message names the file and what was wrong.
class FormatError : public Error {
 public:
  using Error::Error;
};

namespace nd {

// What a file holds: arrays, with names when it was saved from a dict (names is then as long as arrays).
struct LoadedArrays {
  std::vector<std::string> names;
  std::vector<NDArray> arrays;

  // The name-to-array map; throws mx::FormatError when the file holds no names.
  std::map<std::string, NDArray> dict() const;
};

// Waits for the arrays' values and writes them; the file appears under `path` only once complete (written to a
// temporary file in the same directory, then renamed), so a failure mid-save leaves an existing file intact.
// Throws mx::Error naming the file when it cannot be written.
void save(const std::string& path, const std::vector<NDArray>& arrays);
void save(const std::string& path, const std::map<std::string, NDArray>& arrays);

// Loads every array onto cpu(0). Throws mx::FormatError naming the file for truncated, corrupt or foreign files,
// before allocating anything larger than the file could describe, and for sparse arrays (nd::sparse::load reads
// those).
LoadedArrays load(const std::string& path);
// The same, from bytes in memory; `source` names them in errors.
LoadedArrays load_from_bytes(std::span<const std::byte> bytes, std::string_view source);

// ---- Files that hold sparse arrays too: for the sparse layer (nd::sparse::save and load) ----
// A sparse array as MXNet's files store it: storage type 1 (row sparse) or 2 (CSR), the array's shape, the
// stored values' shape and bytes, and the int64 index arrays (CSR: indptr, then column indices; row sparse: the
// row numbers).
struct SparseRecord {
  std::int32_t stype = 0;
  Shape shape, storage_shape;
  DType dtype = DType::kFloat32;
  std::vector<std::byte> values;
  std::vector<std::vector<std::int64_t>> aux;
};
using Record = std::variant<NDArray, SparseRecord>;
struct LoadedRecords {
  std::vector<std::string> names;
  std::vector<Record> records;
};
void save_records(const std::string& path, const std::vector<Record>& records, const std::vector<std::string>& names);
LoadedRecords load_records(const std::string& path);

}  // namespace nd
}  // namespace mx
