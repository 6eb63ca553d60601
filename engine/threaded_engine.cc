#include <mx/engine/threaded_engine.h>

#include <chrono>
#include <thread>
#include <type_traits>

#include <mx/engine/completion_signal.h>
#include <mx/engine/cross_thread_alloc.h>
#include <mx/engine/error.h>
#include <mx/engine/fast_thread_local.h>
#include <mx/engine/gpu_marks.h>
#include <mx/engine/logging.h>
#include <mx/engine/threaded_var.h>
#include <mx/engine/trace.h>

namespace mx::engine::detail {
namespace {

// Per thread: the pool whose worker is completing an operation (its successors for that pool may run next on
// this thread, skipping the queue), and the operations waiting to run inline here, linked through the blocks.
// Nothing here has a destructor: arrays freed during static destruction push their deletion after the main
// thread's thread_local objects are gone, and this state must still work then.
struct ThreadState {
  WorkerPool* completing_for = nullptr;
  OprBlock* next_on_this_worker = nullptr;
  OprBlock* inline_head = nullptr;
  OprBlock* inline_tail = nullptr;
  bool draining_inline = false;
  const ThreadedEngine* counted_busy_for = nullptr;  // see BusyScope
};
static_assert(std::is_trivially_destructible_v<ThreadState>);
MX_FAST_THREAD_LOCAL ThreadState tls;

// A chain may keep one worker busy this many operations before the rest of its pool's queue gets a turn.
constexpr int kMaxChainOnOneWorker = 256;

ThreadedVar* threaded(Var* var) { return static_cast<ThreadedVar*>(var); }

}  // namespace

// Counts the calling thread in busy_threads_ while alive, unless a scope further out on this thread already counts
// it for this engine: one count per thread is all the destructor needs, and each count is a read-modify-write of
// a line every worker shares (a worker finishing an operation would otherwise count itself twice).
class ThreadedEngine::BusyScope {
 public:
  explicit BusyScope(ThreadedEngine& engine) : engine_(tls.counted_busy_for == &engine ? nullptr : &engine) {
    if (engine_ == nullptr) return;
    outer_ = std::exchange(tls.counted_busy_for, engine_);
    engine_->busy_threads_.fetch_add(1, std::memory_order_acq_rel);
  }
  ~BusyScope() {
    if (engine_ == nullptr) return;
    tls.counted_busy_for = outer_;
    engine_->busy_threads_.fetch_sub(1, std::memory_order_release);
  }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  ThreadedEngine* engine_;
  const ThreadedEngine* outer_ = nullptr;
};

ThreadedEngine::ThreadedEngine(const EngineConfig& config)
    : max_pending_(config.max_pending),
      pools_(std::make_unique<DevicePools>(config, *this)),
      reaper_([this](OprBlock* deletion) { execute_now(deletion); }) {}

ThreadedEngine::~ThreadedEngine() {
  // Finish what was pushed. An operation that never completes is reported, not waited for forever.
  using namespace std::chrono;
  auto last_progress = steady_clock::now();
  std::int64_t last_pending = pending_.load();
  while (pending_.load() > 0 || busy_threads_.load() > 0) {
    std::this_thread::sleep_for(microseconds(200));
    const std::int64_t now_pending = pending_.load();
    if (now_pending != last_pending) {
      last_pending = now_pending;
      last_progress = steady_clock::now();
    } else if (now_pending > 0 && steady_clock::now() - last_progress > seconds(10)) {
      log_error("engine destroyed with {} operation(s) that made no progress for 10 s (an asynchronous "
                "operation that never called OnComplete?); abandoning them and their workers",
                now_pending);
      // Tearing down pools or variables that work still uses is undefined; leave them allocated instead.
      (void)pools_.release();
      vars_.abandon();
      reaper_.abandon();
      return;
    }
  }
  for (const FailurePtr& failure : failures_.take_unreported()) {
    log_warn("engine destroyed with an unreported failure of operation '{}': {}", failure->op_name,
             describe(failure->error));
  }
}

VarHandle ThreadedEngine::new_variable() { return vars_.make(); }

void ThreadedEngine::throttle() {
  if (max_pending_ == 0 || pending_.load(std::memory_order_relaxed) < max_pending_) return;
  // Operations pushing work, and threads that produce work for others, must never wait: the work they would
  // wait for may need them.
  if (inside_operation() || UnthrottledScope::active() || ThrottleHold::active()) return;
  std::unique_lock lock(throttle_mutex_);
  throttled_.fetch_add(1, std::memory_order_seq_cst);
  throttle_cv_.wait(lock, [&] { return pending_.load(std::memory_order_seq_cst) <= max_pending_ / 2; });
  throttled_.fetch_sub(1, std::memory_order_relaxed);
}

void ThreadedEngine::push_sync(SyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) {
  throttle();
  pools_->ensure(ctx);
  OprBlock* op = OprBlock::create(OpKind::kSync, ctx, reads, writes, options);
  op->sync_fn = std::move(fn);
  push(op);
}

void ThreadedEngine::push_async(AsyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) {
  throttle();
  pools_->ensure(ctx);
  OprBlock* op = OprBlock::create(OpKind::kAsync, ctx, reads, writes, options);
  op->async_fn = std::move(fn);
  push(op);
}

void ThreadedEngine::delete_variable(SyncFn on_delete, Context ctx, VarHandle var) {
  OprBlock* op = OprBlock::create(OpKind::kDelete, ctx, {}, {var}, {.name = "delete_variable"});
  op->sync_fn = std::move(on_delete);
  var->deleted.store(true, std::memory_order_relaxed);
  push(op);
}

void ThreadedEngine::push(OprBlock* op) {
  op->engine = this;
  const std::int64_t pending = pending_.fetch_add(1, std::memory_order_relaxed) + 1;
  op->queue_depth = pending;  // for the profiler
  // The extra count keeps the operation from starting while its entries are still being appended.
  op->wait.store(static_cast<int>(op->num_entries) + 1, std::memory_order_relaxed);
  int allowed_now = 1;
  for (VarEntry& entry : op->entries()) {
    ThreadedVar* var = threaded(entry.var);
    allowed_now += entry.write ? var->append_write(&entry) : var->append_read(&entry);
  }
  if (op->wait.fetch_sub(allowed_now, std::memory_order_acq_rel) == allowed_now) schedule(op);
}

void ThreadedEngine::release(VarEntry* entries) {
  while (entries != nullptr) {
    VarEntry* next = entries->next;  // read first: once released, the entry's operation may run and be freed
    OprBlock* op = entries->op;
    if (op->wait.fetch_sub(1, std::memory_order_acq_rel) == 1) schedule(op);
    entries = next;
  }
}

void ThreadedEngine::schedule(OprBlock* op) {
  const bool runs_inline = op->kind == OpKind::kDelete || op->kind == OpKind::kWait ||
                           (op->prop == FnProperty::kAsync && !op->ctx.is_gpu());
  if (runs_inline) {
    run_inline(op);
    return;
  }
  WorkerPool& pool = pools_->route(op->ctx, op->prop);
  if (tls.completing_for == &pool && tls.next_on_this_worker == nullptr && pool.fifo()) {
    tls.next_on_this_worker = op;
  } else {
    pool.submit(op);
  }
}

void ThreadedEngine::run_on_worker(OprBlock* op, WorkerPool& pool) {
  // Counted until the very end: a submit below may still be inside oneTBB after the operation it handed over
  // has run, and the engine must not be destroyed under it.
  const BusyScope busy(*this);
  const RunContext& rctx = pool.run_context();
  const int worker_id = pool.worker_id();
  for (int chain = 0; op != nullptr; ++chain) {
    execute(op, rctx, worker_id, &pool);
    op = std::exchange(tls.next_on_this_worker, nullptr);
    if (op != nullptr && chain >= kMaxChainOnOneWorker) {
      pool.submit(op);
      break;
    }
  }
}

void ThreadedEngine::drain(WorkerPool& pool) {
  const BusyScope busy(*this);  // once for the whole loop, not per operation
  do {
    for (OprBlock* op = nullptr; pool.next_ready(op);) run_on_worker(op, pool);
  } while (pool.keep_draining());
}

void ThreadedEngine::run_inline(OprBlock* op) {
  // Queued rather than recursive: a long chain of inline operations must not grow the stack.
  op->next_inline = nullptr;
  if (tls.inline_tail != nullptr) {
    tls.inline_tail->next_inline = op;
  } else {
    tls.inline_head = op;
  }
  tls.inline_tail = op;
  if (tls.draining_inline) return;
  tls.draining_inline = true;
  WorkerPool* const completing_for = std::exchange(tls.completing_for, nullptr);
  while (tls.inline_head != nullptr) {
    OprBlock* next = std::exchange(tls.inline_head, tls.inline_head->next_inline);
    if (tls.inline_head == nullptr) tls.inline_tail = nullptr;
    execute(next, RunContext{next->ctx}, -1, nullptr);
  }
  tls.completing_for = completing_for;
  tls.draining_inline = false;
}

void ThreadedEngine::execute(OprBlock* op, const RunContext& rctx, int worker_id, WorkerPool* pool) {
  if (op->kind == OpKind::kDelete && has_marks(*op)) {  // GPU work still uses the variable's memory
    reaper_.defer(op);
    return;
  }
  if (op->kind != OpKind::kAsync) {
    const Outcome outcome = run_sync(*op, rctx, worker_id, /*gpu_async=*/true);
    tls.completing_for = pool;
    finish(op, outcome);
    tls.completing_for = nullptr;
    return;
  }
  // Two references: the function's return (dropped below) and its completion (dropped by finish()).
  op->refs.store(2, std::memory_order_relaxed);
  Outcome outcome = start_async(*op, rctx, worker_id, OnComplete(&ThreadedEngine::complete_async, op));
  if (outcome.failure) {
    if (!op->completed.exchange(true, std::memory_order_acq_rel)) {
      finish(op, outcome);
    } else {
      log_error("operation '{}' threw after calling OnComplete; the error is dropped: {}", op->name,
                describe(outcome.failure->error));
    }
  }
  drop_async_ref(op);
}

void ThreadedEngine::execute_now(OprBlock* op) {
  const BusyScope busy(*this);
  const Outcome outcome = run_sync(*op, RunContext{op->ctx}, -1, /*gpu_async=*/true);
  finish(op, outcome);
}

void ThreadedEngine::complete_async(void* opaque, std::exception_ptr error) {
  auto* op = static_cast<OprBlock*>(opaque);
  auto* engine = static_cast<ThreadedEngine*>(op->engine);
  if (op->completed.exchange(true, std::memory_order_acq_rel)) {
    log_error("operation '{}' called OnComplete twice; the second call is ignored", op->name);
    return;
  }
  engine->finish(op, end_async(*op, std::move(error)));
}

void ThreadedEngine::drop_async_ref(OprBlock* op) {
  if (op->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) OprBlock::destroy(op);
}

void ThreadedEngine::finish(OprBlock* op, const Outcome& outcome) {
  const BusyScope busy(*this);  // also for completions from threads of no pool
  {
    // What waited on the operation goes first; its record for the profiler is written after.
    const bool to_record = has_run_to_record(*op);
    const trace::LateRecordScope late_record(to_record);
    for (VarEntry& entry : op->entries()) {
      ThreadedVar* var = threaded(entry.var);
      release(entry.write ? var->complete_write(outcome.failure) : var->complete_read());
    }
    if (to_record) record_run(*op);
  }
  if (outcome.originated) failures_.add(outcome.failure);
  if (op->kind == OpKind::kDelete) {
    vars_.destroy(op->entries()[0].var);
  }
  if (op->kind == OpKind::kAsync) {
    drop_async_ref(op);
  } else {
    OprBlock::destroy(op);
  }
  const std::int64_t pending = pending_.fetch_sub(1, std::memory_order_seq_cst) - 1;
  if (pending == 0) pending_.notify_all();
  // Each value is passed one decrement at a time, so a throttled thread (counted before it checks) is woken
  // when the count comes down to half.
  if (pending == max_pending_ / 2 && max_pending_ > 0 && throttled_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard lock(throttle_mutex_);
    throttle_cv_.notify_all();
  }
}

void ThreadedEngine::check_not_inside_operation(const char* call) const {
  if (inside_operation()) {
    throw EngineError(std::string(call) +
                      " called inside an engine operation: it would wait for work queued behind itself");
  }
}

void ThreadedEngine::wait_for_var(VarHandle var) {
  check_not_inside_operation("wait_for_var");
  FailurePtr failure;
  if (!threaded(var)->readable(&failure)) {
    // A marker that reads the variable; it runs on whichever thread completes the last write before it.
    auto signal = std::allocate_shared<CompletionSignal>(CrossThreadAllocator<CompletionSignal>{});
    OprBlock* op = OprBlock::create(OpKind::kWait, cpu(), {var}, {}, {.name = "wait_for_var"});
    op->sync_fn = cross_thread_fn([signal, var](RunContext) { signal->set(var->failure); });
    push(op);
    failure = signal->wait();
  }
  if (failure) failure->rethrow();
  host_wait_var(var, /*reads_too=*/false);  // the last write's GPU work, if it is still in flight
}

void ThreadedEngine::wait_for_var_writable(VarHandle var, Context ctx) {
  check_not_inside_operation("wait_for_var_writable");
  FailurePtr failure;
  if (threaded(var)->idle(&failure)) {  // the common case of a finished array: no round trip through a worker
    if (failure) failure->rethrow();
    host_wait_var(var, /*reads_too=*/true);
    return;
  }
  // An empty operation that reads and writes the variable: it runs after every pending read and write, and
  // keeps (rather than clears) an error the variable holds, so that waiting rethrows it.
  push_sync([](RunContext) {}, ctx, {var}, {var}, {.name = "wait_to_write"});
  wait_for_var(var);
  host_wait_var(var, /*reads_too=*/true);
}

void ThreadedEngine::wait_for_all() {
  check_not_inside_operation("wait_for_all");
  for (std::int64_t n = pending_.load(std::memory_order_acquire); n != 0; n = pending_.load(std::memory_order_acquire)) {
    pending_.wait(n, std::memory_order_acquire);
  }
  pools_->synchronize_gpus();  // GPU operations complete when enqueued: their streams may still run
  failures_.rethrow_first_unreported();
}

}  // namespace mx::engine::detail
