#include <mx/engine/worker_pool.h>

#include <mx/engine/threaded_engine.h>
#include <mx/engine/trace.h>

#include <chrono>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mx::engine::detail {

WorkerPool::WorkerPool(std::string name, RunContext run_context, int threads, Order order, ThreadedEngine& engine)
    : run_context_(run_context),
      order_(order),
      engine_(engine),
      threads_(threads),
      arena_(threads, /*reserved_for_masters=*/0) {
  for (int slot = 0; slot < threads; ++slot) {
    worker_ids_.push_back(trace::register_worker(threads == 1 ? name : name + " " + std::to_string(slot)));
  }
  arena_.initialize();
}

WorkerPool::~WorkerPool() {
  // A drain task may be queued after another drainer ran its operation, so that no work is pending; it finds the
  // queue empty and returns, and must not find the pool gone.
  while (drain_tasks_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  arena_.terminate();
}

int WorkerPool::worker_id() const {
  const int slot = tbb::this_task_arena::current_thread_index();
  return slot >= 0 && slot < static_cast<int>(worker_ids_.size()) ? worker_ids_[slot] : -1;
}

// What oneTBB runs for each drain task or priority submission: only their captures are read in their own
// frames, which tests/tsan.supp exempts from ThreadSanitizer (it cannot see oneTBB hand them over). Everything
// else runs in the pool's members, after an acquire that pairs with submit(). Not inlined, and of external
// linkage, so that the frame keeps its class in its name: inlined, or in an anonymous namespace at -O0 (the
// sanitizer builds), GCC's symbolizer names it plain "operator()", which the suppression cannot tell from any
// other.
struct DrainReady {
  WorkerPool* pool;
  [[gnu::noinline]] void operator()() const { pool->drain_ready(); }
};
struct RunFirstByPriority {
  WorkerPool* pool;
  [[gnu::noinline]] void operator()() const { pool->run_first_by_priority(); }
};

namespace {

// How long a drainer that emptied its queue waits for more work before it leaves.
constexpr std::chrono::microseconds kSpinForWork{3};

void pause() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

}  // namespace

void WorkerPool::submit(OprBlock* op) {
  if (order_ == Order::kFifo) {
    bool new_task = false;
    {
      const tbb::spin_mutex::scoped_lock lock(ready_mutex_);  // the hand-over point: pairs with next_ready()
      op->next_ready = nullptr;
      (ready_tail_ != nullptr ? ready_tail_->next_ready : ready_head_) = op;
      ready_tail_ = op;
      ready_count_.store(ready_count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      new_task = wants_drainer();
    }
    if (new_task) enqueue_drainer();
    return;
  }
  // Each task runs whichever queued operation comes first by then, not necessarily the one it was made for.
  priority_queue_.push({op->priority, next_sequence_.fetch_add(1, std::memory_order_release), op});
  arena_.enqueue(RunFirstByPriority{this});
}

void WorkerPool::drain_ready() {
  (void)drain_tasks_.load(std::memory_order_acquire);  // what the pool's creator and submit() wrote is visible
  engine_.drain(*this);
  drain_tasks_.fetch_sub(1, std::memory_order_release);  // the task's last touch of the pool
}

bool WorkerPool::wants_drainer() {
  // Another drainer while the pool has a free worker, unless the drainers waiting for work can take everything
  // queued: two long operations pushed together must not wait for one worker.
  const int workers = static_cast<int>(worker_ids_.size());
  if (draining_ >= workers || ready_count_.load(std::memory_order_relaxed) <= spinning_) return false;
  ++draining_;
  return true;
}

void WorkerPool::enqueue_drainer() {
  drain_tasks_.fetch_add(1, std::memory_order_release);  // pairs with drain_ready()
  arena_.enqueue(DrainReady{this});
}

bool WorkerPool::next_ready(OprBlock*& op) {
  bool new_task = false;
  {
    const tbb::spin_mutex::scoped_lock lock(ready_mutex_);
    if (ready_head_ == nullptr) return false;
    op = ready_head_;
    ready_head_ = op->next_ready;
    ready_count_.store(ready_count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    if (ready_head_ == nullptr) ready_tail_ = nullptr;
    new_task = wants_drainer();  // more is queued than this drainer, about to be busy, and the waiting ones take
  }
  if (new_task) enqueue_drainer();
  return true;
}

bool WorkerPool::keep_draining() {
  {
    const tbb::spin_mutex::scoped_lock lock(ready_mutex_);
    if (ready_head_ != nullptr) return true;
    ++spinning_;
  }
  // Wait a moment for more work before leaving: an application thread that waits for each result pushes its
  // next operation a microsecond or two later, and a drainer still here takes it without a oneTBB task and the
  // wake-up of a sleeping worker (an inter-processor interrupt in a VM: several microseconds).
  const auto deadline = std::chrono::steady_clock::now() + kSpinForWork;
  for (int round = 1; ready_count_.load(std::memory_order_relaxed) == 0; ++round) {
    if (round % 16 == 0 && std::chrono::steady_clock::now() > deadline) break;
    pause();
  }
  const tbb::spin_mutex::scoped_lock lock(ready_mutex_);
  --spinning_;
  if (ready_head_ != nullptr) return true;
  --draining_;  // from here a submit enqueues a task of its own
  return false;
}

void WorkerPool::run_first_by_priority() {
  (void)next_sequence_.load(std::memory_order_acquire);
  Queued next{};
  if (priority_queue_.try_pop(next)) engine_.run_on_worker(next.op, *this);
}

}  // namespace mx::engine::detail
