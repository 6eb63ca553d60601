#pragma once
// The default engine: dependency tracking per variable, ready work dispatched to per-device worker pools.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <memory>

#include <mx/engine/device_pools.h>
#include <mx/engine/engine.h>
#include <mx/engine/failure.h>
#include <mx/engine/gpu_reaper.h>
#include <mx/engine/operation.h>
#include <mx/engine/threaded_var.h>

namespace mx::engine::detail {

class ThreadedEngine final : public Engine {
 public:
  explicit ThreadedEngine(const EngineConfig& config);
  ~ThreadedEngine() override;

  VarHandle new_variable() override;
  void push_sync(SyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) override;
  void push_async(AsyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) override;
  void delete_variable(SyncFn on_delete, Context ctx, VarHandle var) override;
  void wait_for_var(VarHandle var) override;
  void wait_for_var_writable(VarHandle var, Context ctx) override;
  void wait_for_all() override;
  const char* type_name() const override { return "ThreadedEngine"; }

  // A worker's entry point: runs `op`, then what its completion made ready for the same pool.
  void run_on_worker(OprBlock* op, WorkerPool& pool);
  // A FIFO pool's drain task: runs its ready operations until none is left.
  void drain(WorkerPool& pool);

 private:
  class BusyScope;

  void push(OprBlock* op);
  void release(VarEntry* ready_entries);
  void schedule(OprBlock* op);
  void run_inline(OprBlock* op);
  void execute(OprBlock* op, const RunContext& rctx, int worker_id, WorkerPool* pool);
  void execute_now(OprBlock* op);  // a deletion the reaper deferred, its GPU work done
  void finish(OprBlock* op, const Outcome& outcome);
  static void complete_async(void* op, std::exception_ptr error);
  void drop_async_ref(OprBlock* op);
  void check_not_inside_operation(const char* call) const;
  void throttle();  // an application thread past max_pending: wait until half the pending work is done

  std::atomic<std::int64_t> pending_{0};  // pushed and not yet finished
  std::atomic<int> busy_threads_{0};      // threads in a worker loop or finish(): the destructor waits for them
  const std::int64_t max_pending_;        // 0: unbounded
  std::atomic<int> throttled_{0};         // threads waiting in throttle()
  std::mutex throttle_mutex_;             // with throttle_cv_: no wake-up is lost between check and wait
  std::condition_variable throttle_cv_;
  FailureLog failures_;
  LiveVars<ThreadedVar> vars_;  // outlives pools_: workers finish before variables go
  std::unique_ptr<DevicePools> pools_;
  GpuReaper reaper_;  // idle once pending_ is 0; destroyed first, before the pools and variables
};

}  // namespace mx::engine::detail
