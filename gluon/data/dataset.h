#pragma once
// Gluon's datasets: random access to samples, each a few fields (data, label, ...). Datasets are cheap to copy
// (their arrays are handles), so the DataLoader and the transformed views hold their own copies.
#include <functional>
#include <memory>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::data {

// One sample's fields, in order: (data, label) for the vision datasets.
using Sample = std::vector<NDArray>;

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;
  // Sample i; throws mx::Error for i out of range.
  virtual Sample get(std::size_t i) const = 0;
};

using Transform = std::function<NDArray(const NDArray&)>;
using SampleTransform = std::function<Sample(const Sample&)>;

class TransformedDataset;

// Adds transform / transform_first to a concrete dataset type (which must be copyable).
template <class Derived>
class DatasetBase : public Dataset {
 public:
  // fn on every field of each sample.
  TransformedDataset transform(Transform fn) const;
  // fn on the first field (the data) of each sample, the others as they are.
  TransformedDataset transform_first(Transform fn) const;
  // fn on whole samples.
  TransformedDataset transform_sample(SampleTransform fn) const;

 private:
  std::shared_ptr<const Dataset> share() const { return std::make_shared<Derived>(static_cast<const Derived&>(*this)); }
};

// A lazy view applying a function to each sample as it is read.
class TransformedDataset : public DatasetBase<TransformedDataset> {
 public:
  TransformedDataset(std::shared_ptr<const Dataset> base, SampleTransform fn)
      : base_(std::move(base)), fn_(std::move(fn)) {}
  std::size_t size() const override { return base_->size(); }
  Sample get(std::size_t i) const override { return fn_(base_->get(i)); }

 private:
  std::shared_ptr<const Dataset> base_;
  SampleTransform fn_;
};

template <class Derived>
TransformedDataset DatasetBase<Derived>::transform(Transform fn) const {
  return TransformedDataset(share(), [fn](const Sample& s) {
    Sample out;
    for (const NDArray& field : s) out.push_back(fn(field));
    return out;
  });
}

template <class Derived>
TransformedDataset DatasetBase<Derived>::transform_first(Transform fn) const {
  return TransformedDataset(share(), [fn](const Sample& s) {
    Sample out = s;
    if (!out.empty()) out[0] = fn(out[0]);
    return out;
  });
}

template <class Derived>
TransformedDataset DatasetBase<Derived>::transform_sample(SampleTransform fn) const {
  return TransformedDataset(share(), std::move(fn));
}

// Samples given as whole arrays, split along the first axis: ArrayDataset(X, y) gives (X[i], y[i]). Every
// array must have the same first extent.
class ArrayDataset : public DatasetBase<ArrayDataset> {
 public:
  explicit ArrayDataset(std::vector<NDArray> arrays);
  template <class... A>
  explicit ArrayDataset(const NDArray& first, const A&... rest) : ArrayDataset(std::vector<NDArray>{first, rest...}) {}
  std::size_t size() const override { return size_; }
  Sample get(std::size_t i) const override;

 private:
  std::vector<NDArray> arrays_;
  std::size_t size_ = 0;
};

// Samples given one by one, each a single field.
class SimpleDataset : public DatasetBase<SimpleDataset> {
 public:
  explicit SimpleDataset(std::vector<NDArray> items) : items_(std::move(items)) {}
  std::size_t size() const override { return items_.size(); }
  Sample get(std::size_t i) const override;

 private:
  std::vector<NDArray> items_;
};

}  // namespace mx::gluon::data
