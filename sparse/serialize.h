#pragma once
// MXNet's NDArray files with sparse arrays among the dense ones (mx.nd.save of CSRNDArray and RowSparseNDArray):
// files written here load in MXNet and MXNet's load here. nd::save and nd::load (ndarray/serialize.h) keep
// handling dense arrays alone.
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::nd::sparse {

using AnyArray = std::variant<NDArray, CSRNDArray, RowSparseNDArray>;

// Waits for the arrays' values and writes them (atomically, as nd::save). Throws mx::Error naming the file.
void save(const std::string& path, const std::vector<AnyArray>& arrays);
void save(const std::string& path, const std::map<std::string, AnyArray>& arrays);

struct LoadedAnyArrays {
  std::vector<std::string> names;
  std::vector<AnyArray> arrays;
  // The name-to-array map; throws mx::FormatError when the file holds no names.
  std::map<std::string, AnyArray> dict() const;
};
// Loads every array onto cpu(0). Throws mx::FormatError naming the file and the array for malformed ones.
LoadedAnyArrays load(const std::string& path);

}  // namespace mx::nd::sparse
