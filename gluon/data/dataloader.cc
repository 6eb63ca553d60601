#include <mx/gluon/data/dataloader.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>

#include <tbb/task_arena.h>

#include <mx/engine/engine.h>
#include <mx/ndarray/error.h>
#include <mx/operators/layout.h>

namespace mx::gluon::data {

Batch default_batchify(const std::vector<Sample>& samples) {
  if (samples.empty()) return Batch{};
  std::vector<NDArray> fields;
  for (std::size_t f = 0; f < samples[0].size(); ++f) {
    std::vector<NDArray> column;
    for (const Sample& s : samples) {
      if (s.size() != samples[0].size()) throw Error("batchify: samples have different numbers of fields");
      column.push_back(s[f]);
    }
    fields.push_back(nd::stack(column, 0));
  }
  return Batch(std::move(fields));
}

namespace {
bool is_default_batchify(const std::function<Batch(const std::vector<Sample>&)>& fn) {
  using Fn = Batch (*)(const std::vector<Sample>&);
  const Fn* target = fn.target<Fn>();
  return target != nullptr && *target == &default_batchify;
}
}  // namespace

// One epoch's batches, made in order by the workers (or on the caller's thread without workers).
class DataLoader::Epoch {
 public:
  Epoch(std::shared_ptr<const Dataset> dataset, std::vector<std::vector<std::size_t>> batches,
        const DataLoaderOptions& options)
      : dataset_(std::move(dataset)), batches_(std::move(batches)), batchify_(options.batchify_fn),
        default_batchify_(is_default_batchify(options.batchify_fn)), ctx_(options.ctx.value_or(cpu())),
        slots_(batches_.size()),
        workers_(options.num_workers),
        window_(options.prefetch > 0 ? static_cast<std::size_t>(options.prefetch)
                                     : static_cast<std::size_t>(2 * std::max(options.num_workers, 1))) {
    if (workers_ > 0) {
      arena_.emplace(workers_, 0);  // no slot kept for the caller: the workers alone make batches
      for (std::size_t k = 0; k < std::min(window_, batches_.size()); ++k) schedule(k);
    }
  }
  // Waits for the batches in flight (an epoch left early still lets them finish).
  ~Epoch() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return in_flight_ == 0; });
  }
  std::size_t count() const { return batches_.size(); }

  Batch take(std::size_t k) {
    if (workers_ == 0) return make(k);
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return slots_[k].done; });
    Slot slot = std::move(slots_[k]);
    slots_[k] = Slot{};
    lock.unlock();
    if (k + window_ < batches_.size()) schedule(k + window_);  // keep `window_` batches in flight
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.batch);
  }

  // A worker's task: batch k into its slot.
  void fill(std::size_t k) {
    handoff_.load(std::memory_order_acquire);  // pairs with schedule's release: the epoch's state is visible
    // The training thread waits on this batch while the engine works through its queue: the worker must never
    // in turn wait for that queue.
    engine::UnthrottledScope unthrottled;
    Slot slot;
    try {
      slot.batch = make(k);
    } catch (...) {
      slot.error = std::current_exception();
    }
    slot.done = true;
    // Notified under the lock: once it is released the destructor may run, so the task touches nothing after.
    std::lock_guard lock(mutex_);
    slots_[k] = std::move(slot);
    --in_flight_;
    ready_.notify_all();
  }

 private:
  struct Slot {
    bool done = false;
    Batch batch;
    std::exception_ptr error;
  };

  Batch make(std::size_t k) const {
    Batch batch = make_on_host(k);
    if (std::ranges::all_of(batch.fields(), [&](const NDArray& f) { return f.is_none() || f.context() == ctx_; })) {
      return batch;
    }
    std::vector<NDArray> fields = batch.fields();
    for (NDArray& field : fields) {
      if (!field.is_none()) field = field.as_in_context(ctx_);
    }
    return Batch(std::move(fields));
  }

  Batch make_on_host(std::size_t k) const {
    // A batchable transform_first with the default batchify runs once on the stacked batch: the same values
    // as per sample, with one operation instead of one per sample.
    // Datasets of whole arrays gather a batch's rows in one operation per field.
    if (default_batchify_) {
      if (std::vector<NDArray> rows = dataset_->get_batch(batches_[k]); !rows.empty()) return Batch(std::move(rows));
    }
    const auto* transformed = dynamic_cast<const TransformedDataset*>(dataset_.get());
    if (transformed != nullptr && transformed->batch_first() && default_batchify_) {
      std::vector<NDArray> fields = transformed->base().get_batch(batches_[k]);
      if (fields.empty()) {
        std::vector<Sample> samples;
        for (std::size_t i : batches_[k]) samples.push_back(transformed->base().get(i));
        fields = default_batchify(samples).fields();
      }
      if (!fields.empty()) fields[0] = transformed->batch_first()(fields[0]);
      return Batch(std::move(fields));
    }
    std::vector<Sample> samples;
    for (std::size_t i : batches_[k]) samples.push_back(dataset_->get(i));
    return batchify_(samples);
  }

  // oneTBB hands the task to a worker inside libtbb.so, which ThreadSanitizer cannot see; the release here and
  // the acquire in fill() make the hand-over of the epoch's state explicit.
  void schedule(std::size_t k);

  std::shared_ptr<const Dataset> dataset_;
  std::vector<std::vector<std::size_t>> batches_;
  std::function<Batch(const std::vector<Sample>&)> batchify_;
  bool default_batchify_;
  Context ctx_;
  std::mutex mutex_;               // guards slots_ and in_flight_
  std::condition_variable ready_;  // a slot was filled
  std::vector<Slot> slots_;
  std::size_t in_flight_ = 0;
  std::atomic<std::size_t> handoff_{0};
  int workers_;
  std::size_t window_;
  std::optional<tbb::task_arena> arena_;
};

namespace detail {
// What a worker runs: a named type, so that the sanitizer suppression for oneTBB's hand-over of the functor
// itself (tests/tsan.supp) can name it. Not in an anonymous namespace: GCC's debug information gives
// functions with internal linkage no qualified name, and ThreadSanitizer would report plain "operator()".
struct MakeBatchTask {
  DataLoader::Epoch* epoch;
  std::size_t k;
  void operator()() const { epoch->fill(k); }
};
}  // namespace detail

void DataLoader::Epoch::schedule(std::size_t k) {
  {
    std::lock_guard lock(mutex_);
    ++in_flight_;
  }
  handoff_.fetch_add(1, std::memory_order_release);
  arena_->enqueue(detail::MakeBatchTask{this, k});
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  if (options_.num_workers < 0) throw Error("DataLoader: num_workers must not be negative");
  if (!options_.ctx) options_.ctx = current_context();
  if (options_.batch_sampler) {
    if (options_.batch_size != 0 || options_.shuffle || options_.sampler) {
      throw Error("DataLoader: batch_sampler excludes batch_size, shuffle and sampler");
    }
    batch_sampler_ = options_.batch_sampler;
    return;
  }
  if (options_.batch_size == 0) throw Error("DataLoader: batch_size must be positive (or give a batch_sampler)");
  if (options_.sampler && options_.shuffle) throw Error("DataLoader: sampler excludes shuffle");
  std::shared_ptr<Sampler> sampler = options_.sampler;
  if (!sampler) {
    if (options_.shuffle) sampler = std::make_shared<RandomSampler>(dataset_->size());
    else sampler = std::make_shared<SequentialSampler>(dataset_->size());
  }
  batch_sampler_ = std::make_shared<BatchSampler>(std::move(sampler), options_.batch_size, options_.last_batch);
}

DataLoader::iterator DataLoader::begin() {
  auto epoch = std::make_shared<Epoch>(dataset_, batch_sampler_->batches(), options_);
  epoch_batches_ = epoch->count();
  return iterator(std::move(epoch), 0);
}

DataLoader::iterator DataLoader::end() { return iterator(nullptr, epoch_batches_); }

Batch DataLoader::iterator::operator*() const {
  if (!epoch_ || position_ >= epoch_->count()) throw Error("DataLoader: iterator past the end of the epoch");
  if (!current_) current_ = epoch_->take(position_);
  return *current_;
}

DataLoader::iterator& DataLoader::iterator::operator++() {
  if (epoch_ && !current_ && position_ < epoch_->count()) epoch_->take(position_);  // skipped: still consumed in order
  current_.reset();
  ++position_;
  return *this;
}

}  // namespace mx::gluon::data
