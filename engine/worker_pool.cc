#include <mx/engine/worker_pool.h>

#include <mx/engine/threaded_engine.h>
#include <mx/engine/trace.h>

#include <thread>

namespace mx::engine::detail {

WorkerPool::WorkerPool(std::string name, RunContext run_context, int threads, Order order, ThreadedEngine& engine)
    : run_context_(run_context),
      order_(order),
      engine_(engine),
      threads_(threads),
      threads_count_(threads),
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

namespace {

// What oneTBB runs for each submission: only their captures are read in their own frames, which tests/tsan.supp
// exempts from ThreadSanitizer (it cannot see oneTBB hand them over). Everything else runs in the pool's
// members, after an acquire that pairs with submit(). Not inlined, so that the frame keeps its class in its
// name (inlined, GCC names it plain "operator()", which the suppression cannot tell from any other).
struct DrainReady {
  WorkerPool* pool;
  [[gnu::noinline]] void operator()() const { pool->drain_ready(); }
};
struct RunFirstByPriority {
  WorkerPool* pool;
  [[gnu::noinline]] void operator()() const { pool->run_first_by_priority(); }
};

}  // namespace

void WorkerPool::submit(OprBlock* op) {
  if (order_ == Order::kFifo) {
    ready_.push(op);  // the hand-over point: a release that pairs with next_ready()'s pop
    // Against keep_draining(): either a drainer leaving sees this operation in the queue, or this sees the
    // drainer gone and enqueues another (a seq_cst fence on both sides, so that neither misses the other).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (int draining = draining_.load(std::memory_order_relaxed); draining < threads_count_;) {
      if (draining_.compare_exchange_weak(draining, draining + 1, std::memory_order_seq_cst)) {
        drain_tasks_.fetch_add(1, std::memory_order_release);  // pairs with drain_ready()
        arena_.enqueue(DrainReady{this});
        break;
      }
    }
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

bool WorkerPool::keep_draining() {
  draining_.fetch_sub(1, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // A submit that found every drainer busy enqueued nothing: take its operation if it came after the last pop.
  if (ready_.empty()) return false;
  for (int draining = draining_.load(std::memory_order_relaxed); draining < threads_count_;) {
    if (draining_.compare_exchange_weak(draining, draining + 1, std::memory_order_seq_cst)) return true;
  }
  return false;  // enough others drain it
}

void WorkerPool::run_first_by_priority() {
  (void)next_sequence_.load(std::memory_order_acquire);
  Queued next{};
  if (priority_queue_.try_pop(next)) engine_.run_on_worker(next.op, *this);
}

}  // namespace mx::engine::detail
