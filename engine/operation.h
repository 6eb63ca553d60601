#pragma once
// One pushed operation: its function, where it runs, and one entry per distinct variable it uses. Allocated
// in one block with its entries; shared by both engines.
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <mx/engine/engine.h>
#include <mx/engine/failure.h>
#include <mx/engine/trace.h>
#include <mx/engine/var.h>

namespace mx::engine::detail {

struct OprBlock;

// One (operation, variable) pair; the threaded engine queues it on the variable while the operation waits.
struct VarEntry {
  Var* var;
  OprBlock* op;
  VarEntry* next;  // guarded by var->mutex while queued
  bool read;       // read and write together: an in-place update, which inherits the variable's failure
  bool write;
};

enum class OpKind : std::uint8_t {
  kSync,
  kAsync,
  kDelete,  // delete_variable: never skipped, runs where it becomes ready
  kWait,    // wait_for_var's marker: never skipped, runs where it becomes ready
};

struct OprBlock {
  std::atomic<int> wait{0};            // variables still to allow it, plus one while it is being pushed
  std::atomic<int> refs{1};            // async: one for the function's return, one for its completion
  std::atomic<bool> completed{false};  // async: OnComplete was called
  OpKind kind = OpKind::kSync;
  FnProperty prop = FnProperty::kNormal;
  int priority = 0;
  const char* name = "unnamed";
  Context ctx;
  void* engine = nullptr;
  SyncFn sync_fn;
  AsyncFn async_fn;
  std::uint32_t num_entries = 0;
  // For the profiler: the worker that ran (or started) it and when, in trace ticks; end_ns is set once it ran
  // and its run is to be recorded (record_run).
  int worker_id = -1;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  // For the profiler, set at push while it records operations (trace_id 0 otherwise).
  std::uint64_t trace_id = 0;
  std::int64_t queue_depth = 0;  // operations pending in the engine once this one was pushed
  std::uint64_t* trace_touches = nullptr;  // per entry, its variable's last writer at push (VarTouch::packed)
  const char* category = nullptr;
  std::string args;
  OprBlock* next_inline = nullptr;  // the threaded engine's per-thread queue of operations run inline
  OprBlock* next_ready = nullptr;   // a worker pool's queue of ready operations

  std::span<VarEntry> entries() { return {reinterpret_cast<VarEntry*>(this + 1), num_entries}; }
  std::span<const VarEntry> entries() const {
    return {reinterpret_cast<const VarEntry*>(this + 1), num_entries};
  }
  static bool skippable(OpKind kind) { return kind == OpKind::kSync || kind == OpKind::kAsync; }
  bool skippable() const { return skippable(kind); }

  // Builds the block, merging repeated variables. Throws mx::EngineError for a null or deleted variable.
  static OprBlock* create(OpKind kind, Context ctx, VarList reads, VarList writes, const PushOptions& options);
  static void destroy(OprBlock* op);

  // The first failure held by a variable this operation reads (in-place updates included), if any.
  FailurePtr input_failure() const;
};

// For the profiler, while it records operations (the operation's trace_id is set): notes which write of the
// variable the entry follows, and makes a write the variable's last, with the variable's mutex held: the threaded
// engine does it in the same critical section as queueing the entry. Whom the operation waited on is derived
// from these when the trace is read (trace_dependencies.h).
void note_traced_access(VarEntry& entry);
// The same for every entry, taking each variable's mutex (the naive engine's push).
void note_traced_accesses(OprBlock& op);

// The failure an operation ends with, and whether it started there (rather than being inherited).
struct Outcome {
  FailurePtr failure;
  bool originated = false;
};

// Runs a synchronous operation on the calling thread, unless an input failed. On a GPU stream it first makes
// the stream wait for other streams' work on its variables, then marks them with an event (gpu_async) or waits
// for the stream (gpu_marks.h). Notes the run for the profiler under worker `worker_id` (record_run).
Outcome run_sync(OprBlock& op, const RunContext& rctx, int worker_id, bool gpu_async);

// Starts an asynchronous operation, unless an input failed. Returns a failure (inherited, or thrown by the
// function) that the caller must finish the operation with, unless the function already called OnComplete.
Outcome start_async(OprBlock& op, const RunContext& rctx, int worker_id, OnComplete on_complete);

// Notes an asynchronous operation's end for the profiler and turns its reported error into a failure.
Outcome end_async(OprBlock& op, std::exception_ptr error);

// Whether the operation ran while the profiler recorded it and its run, timed on the host, is still to be recorded.
inline bool has_run_to_record(const OprBlock& op) { return op.end_ns != 0; }
// Records the run. The engines do it once the operation's variables are released, inside
// trace::begin_late_record/end_late_record, so that what waited on the operation does not wait for the recording.
void record_run(OprBlock& op);

// True on a thread that is inside an operation's function (waiting there could deadlock the engine).
bool inside_operation();

}  // namespace mx::engine::detail
