#pragma once
// MXNet's mx.io data iterators: batches of named arrays, the API of MXNet's Module-era training loops (Gluon
// code reads gluon::data::DataLoader instead). An iterator is a C++ range of DataBatch, a pass ending when the
// data does; as in MXNet, reset() starts the next pass:
//
//   io::NDArrayIter train(X, y, {.batch_size = 128, .shuffle = true});
//   for (int epoch = 0; epoch < 10; ++epoch, train.reset())
//     for (const io::DataBatch& batch : train) step(batch.data[0], batch.label[0]);
//
// LibSVMIter (mx/sparse/libsvm.h), whose batches are CSR, sits with the sparse arrays.
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::io {

// One input's name and its shape and dtype in every batch (MXNet's DataDesc).
struct DataDesc {
  std::string name;
  Shape shape;
  DType dtype = DType::kFloat32;
  std::string layout = "NCHW";
};

// One batch: its inputs and labels in the order of provide_data() and provide_label(). The last `pad` samples
// of a padded last batch repeat earlier ones: a prediction ignores them.
struct DataBatch {
  std::vector<NDArray> data, label;
  std::int64_t pad = 0;
  // From bucketing iterators (BucketSentenceIter): the batch's bucket and its own shapes, by which
  // mod::BucketingModule picks the module that runs it.
  std::optional<std::int64_t> bucket_key = std::nullopt;
  std::vector<DataDesc> provide_data = {}, provide_label = {};
};

class DataIter {
 public:
  explicit DataIter(std::int64_t batch_size) : batch_size_(batch_size) {}
  virtual ~DataIter() = default;
  DataIter(const DataIter&) = delete;
  DataIter& operator=(const DataIter&) = delete;

  // Moves to the next batch (MXNet's iter_next); false once the pass is over, until reset().
  virtual bool next() = 0;
  // Starts the next pass.
  virtual void reset() = 0;
  virtual std::vector<DataDesc> provide_data() const = 0;
  virtual std::vector<DataDesc> provide_label() const = 0;

  // The batch the last true next() moved to.
  const DataBatch& batch() const { return batch_; }
  const std::vector<NDArray>& getdata() const { return batch_.data; }
  const std::vector<NDArray>& getlabel() const { return batch_.label; }
  std::int64_t getpad() const { return batch_.pad; }
  std::int64_t batch_size() const { return batch_size_; }

  // for (const DataBatch& batch : iter): the rest of the current pass.
  class iterator {
   public:
    using value_type = DataBatch;
    using difference_type = std::ptrdiff_t;
    const DataBatch& operator*() const { return iter_->batch(); }
    iterator& operator++() {
      if (!iter_->next()) iter_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return iter_ == nullptr; }

   private:
    friend class DataIter;
    explicit iterator(DataIter* iter) : iter_(iter) {}
    DataIter* iter_;
  };
  iterator begin() { return iterator(next() ? this : nullptr); }
  std::default_sentinel_t end() const { return {}; }

 protected:
  DataBatch batch_;
  std::int64_t batch_size_;
};

}  // namespace mx::io
