#pragma once
// MXNet's mx.io.NDArrayIter: batches along the first axis of arrays already in memory.
//
//   io::NDArrayIter it(X /* (n, 784) */, y /* (n,) */, {.batch_size = 128, .shuffle = true});
//   batches: data[0] (128, 784) "data", label[0] (128,) "softmax_label"
//
// Batches are views of the arrays (copies where a batch wraps around); with shuffle, every pass (the first
// included) reads them in a new order drawn from mx::random, so seeding that repeats it.
#include <string>
#include <utility>
#include <vector>

#include <mx/io/data_iter.h>

namespace mx::io {

// What becomes of the samples left over after the last full batch (MXNet's last_batch_handle).
enum class LastBatchHandle {
  kPad,      // a last batch filled up with samples from the start; its pad says how many
  kDiscard,  // dropped
  kRollOver  // carried into the next pass's first batch (for training: that batch holds two passes' samples)
};

struct NDArrayIterOptions {
  std::int64_t batch_size = 1;
  bool shuffle = false;
  LastBatchHandle last_batch_handle = LastBatchHandle::kPad;
  // The names of a single data and label array (several are named by the caller).
  std::string data_name = "data", label_name = "softmax_label";
};

using NamedArrays = std::vector<std::pair<std::string, NDArray>>;

class NDArrayIter : public DataIter {
 public:
  // One data array and, when given, one label array, named by the options.
  explicit NDArrayIter(NDArray data, NDArray label = {}, NDArrayIterOptions options = {});
  // Several named inputs and labels (MXNet's dict form), all with the same number of samples.
  NDArrayIter(NamedArrays data, NamedArrays label, NDArrayIterOptions options = {});

  bool next() override;
  void reset() override;
  // reset() that also forgets samples rolled over from the pass before (MXNet's hard_reset).
  void hard_reset();
  std::vector<DataDesc> provide_data() const override;
  std::vector<DataDesc> provide_label() const override;
  std::int64_t num_data() const { return num_data_; }

 private:
  void shuffle();
  std::vector<NDArray> batchify(const NamedArrays& sources, std::vector<NDArray>& cache) const;

  NDArrayIterOptions options_;
  NamedArrays source_data_, source_label_;  // as given
  NamedArrays data_, label_;                // in this pass's order
  std::int64_t num_data_ = 0;               // samples a pass reads (fewer than given with kDiscard)
  // MXNet's cursor: the first sample of the current batch; negative for a batch that starts with samples
  // rolled over from the pass before, which wait in the caches.
  std::int64_t cursor_ = 0;
  bool pass_over_ = false;  // next() said false; until reset()
  std::vector<NDArray> cache_data_, cache_label_;
};

}  // namespace mx::io
