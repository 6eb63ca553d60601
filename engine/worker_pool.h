#pragma once
// A set of workers serving one queue: a oneTBB arena with one slot per worker. A GPU stream's worker is a pool
// of one whose RunContext carries the stream.
#include <tbb/concurrent_priority_queue.h>
#include <tbb/spin_mutex.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <mx/engine/operation.h>
#include <mx/engine/tbb_threads.h>

namespace mx::engine::detail {

class ThreadedEngine;

class WorkerPool {
 public:
  enum class Order { kFifo, kPriority };

  WorkerPool(std::string name, RunContext run_context, int threads, Order order, ThreadedEngine& engine);
  ~WorkerPool();

  // Thread-safe. The operation is ready: every variable allows it.
  void submit(OprBlock* op);
  // On a worker: a drain task (FIFO), or the first queued operation by priority.
  void drain_ready();
  void run_first_by_priority();
  // For the engine's drain loop (FIFO): the next ready operation, if any; then, once none is left, whether this
  // drainer must go on (work came in while it waited a moment for more).
  bool next_ready(OprBlock*& op);
  bool keep_draining();

  const RunContext& run_context() const { return run_context_; }
  bool fifo() const { return order_ == Order::kFifo; }
  // The profiler's id of the worker running on the calling thread.
  int worker_id() const;

 private:
  struct Queued {
    int priority;
    std::uint64_t sequence;
    OprBlock* op;
  };
  struct RunsFirst {  // higher priority first, then push order
    bool operator()(const Queued& a, const Queued& b) const {
      return a.priority != b.priority ? a.priority < b.priority : a.sequence > b.sequence;
    }
  };

  bool wants_drainer();  // under ready_mutex_; counts the drainer it asks for
  void enqueue_drainer();

  const RunContext run_context_;
  const Order order_;
  ThreadedEngine& engine_;
  TbbThreadReservation threads_;
  std::vector<int> worker_ids_;  // by arena slot
  tbb::task_arena arena_;
  // kFifo: ready operations wait in a list, and oneTBB tasks drain it. A task is enqueued only while fewer drain
  // the list than the pool has workers and it holds more than the drainers waiting for work can take, so a burst
  // of ready operations costs a list push each instead of a oneTBB task each (a task's enqueue was 40% of a tiny
  // operation's cost). One short lock guards the list and the counts, so that a drainer leaving and a submit
  // arriving cannot miss each other.
  tbb::spin_mutex ready_mutex_;
  OprBlock* ready_head_ = nullptr;  // linked through OprBlock::next_ready
  OprBlock* ready_tail_ = nullptr;
  int draining_ = 0;                // tasks enqueued or draining
  int spinning_ = 0;                // drainers waiting a moment for more work
  std::atomic<int> ready_count_{0};  // operations in the list: written under the lock, read by waiting drainers
  std::atomic<int> drain_tasks_{0};     // enqueued and not yet returned: the destructor waits for them
  tbb::concurrent_priority_queue<Queued, RunsFirst> priority_queue_;  // kPriority only
  std::atomic<std::uint64_t> next_sequence_{0};  // also the priority queue's hand-over point
};

}  // namespace mx::engine::detail
