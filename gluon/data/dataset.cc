#include <mx/gluon/data/dataset.h>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/indexing.h>

namespace mx::gluon::data {
namespace {
void check_index(std::size_t i, std::size_t size, const char* dataset) {
  if (i >= size) {
    throw Error(std::string(dataset) + ": index " + std::to_string(i) + " is out of range for " +
                std::to_string(size) + " samples");
  }
}
}  // namespace

ArrayDataset::ArrayDataset(std::vector<NDArray> arrays) : arrays_(std::move(arrays)) {
  if (arrays_.empty()) throw Error("ArrayDataset: needs at least one array");
  for (const NDArray& a : arrays_) {
    if (a.ndim() == 0) throw ShapeError("ArrayDataset: arrays need a first axis, got shape ()");
    if (a.shape()[0] != arrays_[0].shape()[0]) {
      throw ShapeError("ArrayDataset: arrays must have the same first extent, got " + arrays_[0].shape().str() +
                       " and " + a.shape().str());
    }
  }
  size_ = static_cast<std::size_t>(arrays_[0].shape()[0]);
}

Sample ArrayDataset::get(std::size_t i) const {
  check_index(i, size_, "ArrayDataset");
  Sample s;
  for (const NDArray& a : arrays_) s.push_back(a.at(static_cast<std::int64_t>(i)));
  return s;
}

std::vector<NDArray> gather_rows(const std::vector<NDArray>& arrays, const std::vector<std::size_t>& indices,
                                 const char* dataset) {
  if (arrays.empty()) return {};
  const auto size = static_cast<std::size_t>(arrays[0].shape()[0]);
  std::vector<double> rows(indices.size());
  for (std::size_t j = 0; j < indices.size(); ++j) {
    check_index(indices[j], size, dataset);
    rows[j] = static_cast<double>(indices[j]);
  }
  const NDArray at = nd::array(std::span<const double>(rows), std::nullopt, cpu(), DType::kFloat64);
  std::vector<NDArray> gathered;
  for (const NDArray& a : arrays) gathered.push_back(nd::take(a, at));
  return gathered;
}

Sample SimpleDataset::get(std::size_t i) const {
  check_index(i, items_.size(), "SimpleDataset");
  return {items_[i]};
}

}  // namespace mx::gluon::data
