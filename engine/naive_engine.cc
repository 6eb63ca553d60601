#include <mx/engine/naive_engine.h>

#include <condition_variable>

#include <mx/engine/error.h>
#include <mx/engine/logging.h>
#include <mx/engine/trace.h>

namespace mx::engine::detail {
namespace {

// An asynchronous operation's completion, awaited by the pushing thread.
struct Completion {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;  // guarded by mutex
  std::exception_ptr error;

  static void signal(void* self, std::exception_ptr error) {
    auto* c = static_cast<Completion*>(self);
    std::lock_guard lock(c->mutex);
    c->error = std::move(error);
    c->done = true;
    c->cv.notify_one();  // under the lock: the waiter cannot free `c` before this returns
  }
};

}  // namespace

NaiveEngine::NaiveEngine() : worker_id_(trace::register_worker("naive engine (pushing thread)")) {}

NaiveEngine::~NaiveEngine() {
  for (const FailurePtr& failure : failures_.take_unreported()) {
    log_warn("engine destroyed with an unreported failure of operation '{}': {}", failure->op_name,
             describe(failure->error));
  }
}

VarHandle NaiveEngine::new_variable() { return vars_.make(); }

RunContext NaiveEngine::run_context(Context ctx) {
  if (!ctx.is_gpu()) return RunContext{ctx};
  const int available = cuda_device_count();
  if (ctx.dev_id < 0 || ctx.dev_id >= available || ctx.dev_id >= kMaxGpuDevices) {
    throw EngineError(ctx.str() + " is not available: " + std::to_string(available) + " CUDA device(s) found");
  }
  auto& stream = streams_[ctx.dev_id];
  if (!stream) stream = std::make_unique<CudaStream>(ctx.dev_id);
  return RunContext{ctx, stream->handle()};
}

void NaiveEngine::push_sync(SyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) {
  push(OpKind::kSync, &OprBlock::sync_fn, std::move(fn), ctx, reads, writes, options);
}

void NaiveEngine::push_async(AsyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) {
  push(OpKind::kAsync, &OprBlock::async_fn, std::move(fn), ctx, reads, writes, options);
}

template <class Fn>
void NaiveEngine::push(OpKind kind, Fn OprBlock::*slot, Fn fn, Context ctx, VarList reads, VarList writes,
                       const PushOptions& options) {
  std::lock_guard lock(run_mutex_);
  const RunContext rctx = run_context(ctx);  // an unusable context throws before anything is made
  OprBlock* op = OprBlock::create(kind, ctx, reads, writes, options);
  note_traced_accesses(*op);
  op->*slot = std::move(fn);
  run(op, rctx);
}

void NaiveEngine::delete_variable(SyncFn on_delete, Context ctx, VarHandle var) {
  std::lock_guard lock(run_mutex_);
  OprBlock* op = OprBlock::create(OpKind::kDelete, ctx, {}, {var}, {.name = "delete_variable"});
  op->sync_fn = std::move(on_delete);
  var->deleted.store(true, std::memory_order_relaxed);
  run(op, RunContext{ctx});
}

void NaiveEngine::run(OprBlock* op, const RunContext& rctx) {
  Outcome outcome;
  if (op->kind == OpKind::kAsync) {
    Completion completion;
    outcome = start_async(*op, rctx, worker_id_, OnComplete(&Completion::signal, &completion));
    std::unique_lock wait(completion.mutex);
    // A failure with no completion: an input failed, or the function threw instead of completing.
    if (!outcome.failure || completion.done) {
      completion.cv.wait(wait, [&] { return completion.done; });
      if (outcome.failure) {
        log_error("operation '{}' threw after calling OnComplete; the error is dropped: {}", op->name,
                  describe(outcome.failure->error));
      }
      outcome = end_async(*op, completion.error);
    }
  } else {
    outcome = run_sync(*op, rctx, worker_id_, /*gpu_async=*/false);  // everything is done at its push
  }
  for (VarEntry& entry : op->entries()) {
    if (!entry.write) continue;
    std::lock_guard lock(entry.var->mutex);
    entry.var->failure = outcome.failure;
  }
  if (outcome.originated) failures_.add(outcome.failure);
  if (has_run_to_record(*op)) record_run(*op);
  if (op->kind == OpKind::kDelete) vars_.destroy(op->entries()[0].var);
  OprBlock::destroy(op);
}

void NaiveEngine::wait_for_var(VarHandle var) {
  FailurePtr failure;
  {
    std::lock_guard lock(var->mutex);
    failure = var->failure;
  }
  if (failure) failure->rethrow();
}

void NaiveEngine::wait_for_all() { failures_.rethrow_first_unreported(); }

}  // namespace mx::engine::detail
