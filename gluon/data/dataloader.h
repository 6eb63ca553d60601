#pragma once
// Gluon's DataLoader: batches of a dataset, as a C++ range.
//
//   data::DataLoader loader(dataset, {.batch_size = 128, .shuffle = true, .num_workers = 4});
//   for (auto [X, y] : loader) { ... }
//
// With num_workers > 0, batches are read and batchified on worker threads (a oneTBB arena of that many threads),
// up to `prefetch` batches ahead of the loop, and come out in order; the batches are the same whatever the
// worker count. An error while making a batch surfaces when the loop reaches it.
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include <mx/gluon/data/dataset.h>
#include <mx/gluon/data/sampler.h>

namespace mx::gluon::data {

// A batch's fields: destructures as (data, label); batch[i] reaches any field.
class Batch {
 public:
  Batch() = default;
  explicit Batch(std::vector<NDArray> fields) : fields_(std::move(fields)) {}
  const NDArray& operator[](std::size_t i) const { return fields_.at(i); }
  std::size_t size() const { return fields_.size(); }
  const std::vector<NDArray>& fields() const { return fields_; }
  template <std::size_t I>
  NDArray get() const {
    return I < fields_.size() ? fields_[I] : NDArray();
  }

 private:
  std::vector<NDArray> fields_;
};

// Stacks each field of the samples along a new first axis (Gluon's default batchify_fn).
Batch default_batchify(const std::vector<Sample>& samples);

struct DataLoaderOptions {
  std::size_t batch_size = 0;  // required unless batch_sampler is given
  bool shuffle = false;
  std::shared_ptr<Sampler> sampler;              // instead of shuffle
  std::shared_ptr<BatchSampler> batch_sampler;   // instead of batch_size, shuffle, sampler and last_batch
  LastBatch last_batch = LastBatch::kKeep;
  std::function<Batch(const std::vector<Sample>&)> batchify_fn = default_batchify;
  int num_workers = 0;
  int prefetch = 0;  // batches made ahead; 0 means 2 * num_workers
  // Where the batches are delivered (copied by the loader, on its workers when it has some); unset: the
  // current context (mx::current_context()) when the loader is made.
  std::optional<Context> ctx;
};

class DataLoader {
 public:
  template <class D>
    requires std::derived_from<D, Dataset>
  DataLoader(D dataset, DataLoaderOptions options)
      : DataLoader(std::shared_ptr<const Dataset>(std::make_shared<D>(std::move(dataset))), std::move(options)) {}
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options);

  class Epoch;
  class iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Batch operator*() const;
    iterator& operator++();
    bool operator==(const iterator& other) const { return position_ == other.position_; }

   private:
    friend class DataLoader;
    iterator(std::shared_ptr<Epoch> epoch, std::size_t position) : epoch_(std::move(epoch)), position_(position) {}
    std::shared_ptr<Epoch> epoch_;
    std::size_t position_;
    mutable std::optional<Batch> current_;  // the batch at position_, once taken from the epoch
  };
  // Starts an epoch (a new order with shuffle); only one epoch's iteration at a time.
  iterator begin();
  iterator end();
  // The number of batches an epoch gives.
  std::size_t size() const { return batch_sampler_->size(); }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<BatchSampler> batch_sampler_;
  DataLoaderOptions options_;
  std::size_t epoch_batches_ = 0;
};

}  // namespace mx::gluon::data

template <>
struct std::tuple_size<mx::gluon::data::Batch> : std::integral_constant<std::size_t, 2> {};
template <std::size_t I>
struct std::tuple_element<I, mx::gluon::data::Batch> {
  using type = mx::NDArray;
};
