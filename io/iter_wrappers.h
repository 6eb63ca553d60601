#pragma once
// Iterators over iterators, as MXNet's mx.io.ResizeIter and mx.io.PrefetchingIter.
//
//   auto train = std::make_shared<io::CSVIter>(options);
//   io::ResizeIter fixed(train, 1000);          // passes of exactly 1000 batches, restarting `train` as needed
//   io::PrefetchingIter ahead({train, extra});  // the next batch of both made on a thread while this one is used
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mx/io/data_iter.h>

namespace mx::io {
namespace detail {
struct FetchTask;
}

// Passes of `size` batches of `iter`: a pass that outlasts iter's restarts it; with reset_internal, reset()
// restarts it too, otherwise the next pass goes on where this one stopped.
class ResizeIter : public DataIter {
 public:
  ResizeIter(std::shared_ptr<DataIter> iter, std::int64_t size, bool reset_internal = true);

  bool next() override;
  void reset() override;
  std::vector<DataDesc> provide_data() const override { return iter_->provide_data(); }
  std::vector<DataDesc> provide_label() const override { return iter_->provide_label(); }

 private:
  std::shared_ptr<DataIter> iter_;
  std::int64_t size_, done_ = 0;
  bool reset_internal_;
};

// Joins iterators that go in step (the same batch size and pass length): a batch's data and labels are theirs
// in turn, its pad the first's. While one batch is used, the next is made on a thread of its own; an error
// there surfaces at the next() that would return it. rename_data[i] and rename_label[i] rename the i-th
// iterator's inputs in provide_data() and provide_label().
class PrefetchingIter : public DataIter {
 public:
  using Renames = std::vector<std::map<std::string, std::string>>;
  explicit PrefetchingIter(std::vector<std::shared_ptr<DataIter>> iters, Renames rename_data = {},
                           Renames rename_label = {});
  ~PrefetchingIter() override;

  bool next() override;
  void reset() override;
  std::vector<DataDesc> provide_data() const override { return provide_data_; }
  std::vector<DataDesc> provide_label() const override { return provide_label_; }

 private:
  friend struct detail::FetchTask;
  using Fetched = std::vector<std::optional<DataBatch>>;  // each iterator's next batch; nullopt at a pass's end
  void fetch_ahead();
  void wait_quietly();

  std::vector<std::shared_ptr<DataIter>> iters_;  // touched by the fetching thread while a fetch is pending
  std::vector<DataDesc> provide_data_, provide_label_;
  struct Fetcher;  // a oneTBB arena of one thread
  std::unique_ptr<Fetcher> fetcher_;
  bool pending_ = false;  // a fetch was started and not yet taken
};

}  // namespace mx::io
