#pragma once
// Gluon's datasets: random access to samples, each a few fields (data, label, ...). Datasets are cheap to copy
// (their arrays are handles), so the DataLoader and the transformed views hold their own copies.
#include <functional>
#include <memory>
#include <type_traits>
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
  // The samples at `indices` already stacked field by field (what the default batchify makes of them), for
  // datasets that hold their fields as whole arrays and can gather rows in one operation; empty otherwise.
  virtual std::vector<NDArray> get_batch(const std::vector<std::size_t>& indices) const {
    (void)indices;
    return {};
  }
};

// Rows `indices` of each array, in one operation per array (for get_batch).
std::vector<NDArray> gather_rows(const std::vector<NDArray>& arrays, const std::vector<std::size_t>& indices,
                                 const char* dataset);

using Transform = std::function<NDArray(const NDArray&)>;
using SampleTransform = std::function<Sample(const Sample&)>;

class TransformedDataset;

// A transform that gives the same result applied once to a stacked batch as to each sample before stacking
// (ToTensor, Normalize, Cast, and Compose of such): the DataLoader then applies it once per batch, with the
// default batchify. Random transforms are not: each sample draws its own.
class BatchableTransform {
 public:
  virtual ~BatchableTransform() = default;
  virtual bool batchable() const { return true; }
};

// Adds transform / transform_first to a concrete dataset type (which must be copyable).
template <class Derived>
class DatasetBase : public Dataset {
 public:
  // fn on every field of each sample.
  TransformedDataset transform(Transform fn) const;
  // fn on the first field (the data) of each sample, the others as they are.
  template <class F>
  TransformedDataset transform_first(F fn) const;
  // fn on whole samples.
  TransformedDataset transform_sample(SampleTransform fn) const;

 private:
  std::shared_ptr<const Dataset> share() const { return std::make_shared<Derived>(static_cast<const Derived&>(*this)); }
};

// A lazy view applying a function to each sample as it is read.
class TransformedDataset : public DatasetBase<TransformedDataset> {
 public:
  TransformedDataset(std::shared_ptr<const Dataset> base, SampleTransform fn, Transform batch_first = {})
      : base_(std::move(base)), fn_(std::move(fn)), batch_first_(std::move(batch_first)) {}
  std::size_t size() const override { return base_->size(); }
  Sample get(std::size_t i) const override { return fn_(base_->get(i)); }
  // For the DataLoader: the dataset transformed, and the first-field transform when it may run per batch.
  const Dataset& base() const { return *base_; }
  const Transform& batch_first() const { return batch_first_; }

 private:
  std::shared_ptr<const Dataset> base_;
  SampleTransform fn_;
  Transform batch_first_;  // empty unless transform_first was given a batchable transform
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
template <class F>
TransformedDataset DatasetBase<Derived>::transform_first(F f) const {
  Transform fn = f;
  Transform per_batch;
  if constexpr (std::is_base_of_v<BatchableTransform, F>) {
    if (f.batchable()) per_batch = fn;
  }
  return TransformedDataset(share(), [fn](const Sample& s) {
    Sample out = s;
    if (!out.empty()) out[0] = fn(out[0]);
    return out;
  }, per_batch);
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
  std::vector<NDArray> get_batch(const std::vector<std::size_t>& indices) const override {
    return gather_rows(arrays_, indices, "ArrayDataset");
  }

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
