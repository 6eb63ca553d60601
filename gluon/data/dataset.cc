#include <mx/gluon/data/dataset.h>

#include <mx/ndarray/error.h>

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

Sample SimpleDataset::get(std::size_t i) const {
  check_index(i, items_.size(), "SimpleDataset");
  return {items_[i]};
}

}  // namespace mx::gluon::data
