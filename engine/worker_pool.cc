#include <mx/engine/worker_pool.h>

#include <mx/engine/threaded_engine.h>
#include <mx/engine/trace.h>

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

WorkerPool::~WorkerPool() { arena_.terminate(); }

int WorkerPool::worker_id() const {
  const int slot = tbb::this_task_arena::current_thread_index();
  return slot >= 0 && slot < static_cast<int>(worker_ids_.size()) ? worker_ids_[slot] : -1;
}

namespace {

// What oneTBB runs for each submission: only their captures are read in their own frames, which tests/tsan.supp
// exempts from ThreadSanitizer (it cannot see oneTBB hand them over). Everything else runs in the pool's
// members, after an acquire that pairs with submit(). Not inlined, so that the frame keeps its class in its
// name (inlined, GCC names it plain "operator()", which the suppression cannot tell from any other).
struct RunOperation {
  WorkerPool* pool;
  OprBlock* op;
  [[gnu::noinline]] void operator()() const { pool->run(op); }
};
struct RunFirstByPriority {
  WorkerPool* pool;
  [[gnu::noinline]] void operator()() const { pool->run_first_by_priority(); }
};

}  // namespace

void WorkerPool::submit(OprBlock* op) {
  if (order_ == Order::kFifo) {
    op->wait.store(0, std::memory_order_release);  // the hand-over point: pairs with run()
    arena_.enqueue(RunOperation{this, op});
    return;
  }
  // Each task runs whichever queued operation comes first by then, not necessarily the one it was made for.
  priority_queue_.push({op->priority, next_sequence_.fetch_add(1, std::memory_order_release), op});
  arena_.enqueue(RunFirstByPriority{this});
}

void WorkerPool::run(OprBlock* op) {
  (void)op->wait.load(std::memory_order_acquire);
  engine_.run_on_worker(op, *this);
}

void WorkerPool::run_first_by_priority() {
  (void)next_sequence_.load(std::memory_order_acquire);
  Queued next{};
  if (priority_queue_.try_pop(next)) engine_.run_on_worker(next.op, *this);
}

}  // namespace mx::engine::detail
