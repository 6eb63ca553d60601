#include <mx/io/iter_wrappers.h>

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <utility>

#include <tbb/task_arena.h>

#include <mx/engine/error.h>

namespace mx::io {

ResizeIter::ResizeIter(std::shared_ptr<DataIter> iter, std::int64_t size, bool reset_internal)
    : DataIter(iter ? iter->batch_size() : 0), iter_(std::move(iter)), size_(size), reset_internal_(reset_internal) {
  if (!iter_) throw Error("ResizeIter: no iterator given");
  if (size_ < 0) throw Error("ResizeIter: size must not be negative, got " + std::to_string(size_));
}

void ResizeIter::reset() {
  done_ = 0;
  if (reset_internal_) iter_->reset();
}

bool ResizeIter::next() {
  if (done_ == size_) return false;
  if (!iter_->next()) {
    iter_->reset();
    if (!iter_->next()) throw Error("ResizeIter: the wrapped iterator gives no batch even after reset()");
  }
  batch_ = iter_->batch();
  ++done_;
  return true;
}

namespace {

std::vector<DataDesc> renamed(std::vector<DataDesc> descs, const PrefetchingIter::Renames& renames, std::size_t i) {
  if (i < renames.size()) {
    for (DataDesc& desc : descs) {
      const auto to = renames[i].find(desc.name);
      if (to != renames[i].end()) desc.name = to->second;
    }
  }
  return descs;
}

}  // namespace

PrefetchingIter::PrefetchingIter(std::vector<std::shared_ptr<DataIter>> iters, Renames rename_data,
                                 Renames rename_label)
    : DataIter(iters.empty() || !iters.front() ? 0 : iters.front()->batch_size()), iters_(std::move(iters)),
      fetcher_(std::make_unique<Fetcher>()) {
  if (iters_.empty()) throw Error("PrefetchingIter: no iterators given");
  for (std::size_t i = 0; i < iters_.size(); ++i) {
    if (!iters_[i]) throw Error("PrefetchingIter: iterator " + std::to_string(i) + " is null");
    if (iters_[i]->batch_size() != batch_size_) {
      throw Error("PrefetchingIter: iterator " + std::to_string(i) + " has batch_size " +
                  std::to_string(iters_[i]->batch_size()) + ", iterator 0 " + std::to_string(batch_size_));
    }
    // Read now, on this thread: the iterators are the fetcher's once it starts.
    for (DataDesc& d : renamed(iters_[i]->provide_data(), rename_data, i)) provide_data_.push_back(std::move(d));
    for (DataDesc& d : renamed(iters_[i]->provide_label(), rename_label, i)) provide_label_.push_back(std::move(d));
  }
  fetch_ahead();
}

PrefetchingIter::~PrefetchingIter() { wait_quietly(); }

namespace detail {
// What the fetcher runs: a named type with external linkage holding one pointer, so that tests/tsan.supp can name
// its frame for oneTBB's hand-over of the functor itself (inside libtbb.so, which ThreadSanitizer does not see).
struct FetchTask {
  PrefetchingIter::Fetcher* fetcher;
  void operator()() const;
};
}  // namespace detail

// The fetch in flight. Its result (and the arrays in it) stays here until the owner's thread takes it, so none is
// released on the worker: a fetch nobody waits for any more cannot outlive the iterator, or the process.
struct PrefetchingIter::Fetcher {
  tbb::task_arena arena{1, 0};  // no slot kept for the caller: the one worker alone fetches
  std::mutex mutex;             // guards the fields below
  std::condition_variable done;
  std::function<Fetched()> job;
  bool running = false;
  Fetched result;
  std::exception_ptr error;

  // Blocks until no fetch runs; returns its result, or rethrows its error.
  Fetched take() {
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return !running; });
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    return std::exchange(result, {});
  }
};

void detail::FetchTask::operator()() const {
  std::function<PrefetchingIter::Fetched()> job;
  {
    std::lock_guard lock(fetcher->mutex);
    job = fetcher->job;
  }
  PrefetchingIter::Fetched result;
  std::exception_ptr error;
  try {
    result = job();
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard lock(fetcher->mutex);  // notified under the lock: the owner may destroy the Fetcher once it sees
  fetcher->result = std::move(result);   // `running` false, and this thread touches nothing after unlocking
  fetcher->error = error;
  fetcher->running = false;
  fetcher->done.notify_all();
}

void PrefetchingIter::fetch_ahead() {
  {
    std::lock_guard lock(fetcher_->mutex);
    fetcher_->job = [this] {
      Fetched fetched;
      for (const auto& iter : iters_) {
        fetched.push_back(iter->next() ? std::optional<DataBatch>(iter->batch()) : std::nullopt);
      }
      return fetched;
    };
    fetcher_->running = true;
  }
  pending_ = true;
  fetcher_->arena.enqueue(detail::FetchTask{fetcher_.get()});
}

// Waits for a fetch whose batch is no longer wanted, dropping it and its error.
void PrefetchingIter::wait_quietly() {
  if (!pending_) return;
  pending_ = false;
  try {
    fetcher_->take();
  } catch (...) {
  }
}

void PrefetchingIter::reset() {
  wait_quietly();
  for (const auto& iter : iters_) iter->reset();
  batch_ = {};
  fetch_ahead();
}

bool PrefetchingIter::next() {
  if (!pending_) return false;  // the pass ended
  pending_ = false;
  Fetched fetched = fetcher_->take();  // rethrows the fetcher's error
  std::size_t ended = 0;
  for (const auto& batch : fetched) ended += batch ? 0 : 1;
  if (ended > 0) {
    batch_ = {};
    if (ended != fetched.size()) {
      throw Error("PrefetchingIter: the iterators' passes differ in length: " + std::to_string(ended) + " of " +
                  std::to_string(fetched.size()) + " ended first");
    }
    return false;
  }
  DataBatch joined{{}, {}, fetched.front()->pad};
  for (std::size_t i = 0; i < fetched.size(); ++i) {
    if (fetched[i]->pad != joined.pad) {
      throw Error("PrefetchingIter: iterator " + std::to_string(i) + "'s batch has pad " +
                  std::to_string(fetched[i]->pad) + ", iterator 0's " + std::to_string(joined.pad));
    }
    joined.data.insert(joined.data.end(), fetched[i]->data.begin(), fetched[i]->data.end());
    joined.label.insert(joined.label.end(), fetched[i]->label.begin(), fetched[i]->label.end());
  }
  batch_ = std::move(joined);
  fetch_ahead();
  return true;
}

}  // namespace mx::io
