#pragma once
// The debugging engine: each operation runs on the pushing thread at push, one at a time, with the same error
// semantics as the threaded engine (errors stay on variables until a sync point).
#include <array>
#include <memory>
#include <mutex>

#include <mx/engine/cuda_stream.h>
#include <mx/engine/engine.h>
#include <mx/engine/failure.h>
#include <mx/engine/operation.h>
#include <mx/engine/var.h>

namespace mx::engine::detail {

class NaiveEngine final : public Engine {
 public:
  NaiveEngine();
  ~NaiveEngine() override;

  VarHandle new_variable() override;
  void push_sync(SyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) override;
  void push_async(AsyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options) override;
  void delete_variable(SyncFn on_delete, Context ctx, VarHandle var) override;
  void wait_for_var(VarHandle var) override;
  void wait_for_var_writable(VarHandle var, Context) override { wait_for_var(var); }  // nothing is ever pending
  void wait_for_all() override;
  const char* type_name() const override { return "NaiveEngine"; }

 private:
  static constexpr int kMaxGpuDevices = 16;

  RunContext run_context(Context ctx);  // throws mx::EngineError for an unusable context
  template <class Fn>
  void push(OpKind kind, Fn OprBlock::*slot, Fn fn, Context ctx, VarList reads, VarList writes,
            const PushOptions& options);
  void run(OprBlock* op, const RunContext& rctx);

  // Recursive: an operation may push another, which then runs inside it, as pushes always run at once.
  std::recursive_mutex run_mutex_;
  std::array<std::unique_ptr<CudaStream>, kMaxGpuDevices> streams_;  // guarded by run_mutex_
  const int worker_id_;
  FailureLog failures_;
  LiveVars<Var> vars_;
};

}  // namespace mx::engine::detail
