#pragma once
// A set of workers serving one queue: a oneTBB arena with one slot per worker. A GPU stream's worker is a pool
// of one whose RunContext carries the stream.
#include <tbb/concurrent_priority_queue.h>
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
  // On a worker: runs `op` (FIFO), or the first queued operation by priority.
  void run(OprBlock* op);
  void run_first_by_priority();

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

  const RunContext run_context_;
  const Order order_;
  ThreadedEngine& engine_;
  TbbThreadReservation threads_;
  std::vector<int> worker_ids_;  // by arena slot
  tbb::task_arena arena_;
  tbb::concurrent_priority_queue<Queued, RunsFirst> priority_queue_;  // kPriority only
  std::atomic<std::uint64_t> next_sequence_{0};  // also the priority queue's hand-over point
};

}  // namespace mx::engine::detail
