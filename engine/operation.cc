#include <mx/engine/operation.h>

#include <algorithm>
#include <new>
#include <string>
#include <utility>

#include <mx/engine/cross_thread_alloc.h>
#include <mx/engine/cuda_stream.h>
#include <mx/engine/fast_thread_local.h>
#include <mx/engine/gpu_marks.h>
#include <mx/engine/gpu_timing.h>
#include <mx/engine/error.h>
#include <mx/engine/trace.h>

namespace mx::engine::detail {
namespace {

MX_FAST_THREAD_LOCAL int tls_operation_depth = 0;
MX_FAST_THREAD_LOCAL int tls_worker_id = -1;  // the worker running the thread's current operation

// Keeps tls_operation_depth and tls_worker_id right however the function exits.
struct OperationScope {
  explicit OperationScope(int worker_id) : saved_worker(std::exchange(tls_worker_id, worker_id)) {
    ++tls_operation_depth;
  }
  ~OperationScope() {
    --tls_operation_depth;
    tls_worker_id = saved_worker;
  }
  int saved_worker;
};

// Repeated variables merge into one entry; small lists (the common case) are merged in place.
std::uint32_t merge_duplicates(VarEntry* entries, std::uint32_t n) {
  auto merge_into = [](VarEntry& kept, const VarEntry& dup) {
    kept.read |= dup.read;
    kept.write |= dup.write;
  };
  if (n <= 16) {
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint32_t j = 0;
      while (j < kept && entries[j].var != entries[i].var) ++j;
      if (j < kept) {
        merge_into(entries[j], entries[i]);
      } else {
        entries[kept++] = entries[i];
      }
    }
    return kept;
  }
  std::sort(entries, entries + n, [](const VarEntry& a, const VarEntry& b) { return a.var < b.var; });
  std::uint32_t kept = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (kept > 0 && entries[kept - 1].var == entries[i].var) {
      merge_into(entries[kept - 1], entries[i]);
    } else {
      entries[kept++] = entries[i];
    }
  }
  return kept;
}

std::int64_t now_ns() { return trace::now(); }  // trace ticks

trace::Event describe_operation(OprBlock& op, int worker_id, std::int64_t start, std::int64_t end) {
  trace::Event e;
  e.name = op.name;
  if (op.category != nullptr) e.category = op.category;  // else the default, "operator"
  e.ctx = op.ctx;
  e.worker = worker_id;
  e.start_ns = start;
  e.end_ns = end;
  e.id = op.trace_id;
  e.queue_depth = op.queue_depth;
  for (std::uint32_t i = 0; i < op.num_entries; ++i) e.touches.push_back(trace::VarTouch::unpack(op.trace_touches[i]));
  e.args = std::move(op.args);
  return e;
}

// A variable's number in traces while no traced operation has written it, from the first traced operation to
// touch it: that operation's id and the entry's place among its variables, so that numbering a variable needs no
// shared counter. Operations of over a million variables (none are known) number the rest from a counter.
std::uint64_t variable_number(const OprBlock& op, const VarEntry& entry) {
  constexpr int kEntryBits = 20;
  const auto index = static_cast<std::uint64_t>(&entry - op.entries().data());
  if (index < (1u << kEntryBits) && op.trace_id < (std::uint64_t{1} << (61 - kEntryBits))) {
    return trace::kFirstVariableNumber | (op.trace_id << kEntryBits) | index;
  }
  static std::atomic<std::uint64_t> beyond{0};
  return trace::kFirstVariableNumber | (std::uint64_t{1} << 61) | beyond.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

OprBlock* OprBlock::create(OpKind kind, Context ctx, VarList reads, VarList writes, const PushOptions& options) {
  const std::size_t capacity = reads.size() + writes.size();
  const bool traced = trace::enabled(trace::kOperators) && skippable(kind);
  void* memory = cross_thread_allocate(sizeof(OprBlock) + capacity * sizeof(VarEntry) +
                                       (traced ? capacity * sizeof(std::uint64_t) : 0));
  auto* op = new (memory) OprBlock();
  op->kind = kind;
  op->ctx = ctx;
  op->prop = options.prop;
  op->priority = options.priority;
  if (options.name != nullptr) op->name = options.name;

  auto* entries = reinterpret_cast<VarEntry*>(op + 1);
  std::uint32_t n = 0;
  for (VarHandle var : reads) entries[n++] = VarEntry{var, op, nullptr, true, false};
  for (VarHandle var : writes) entries[n++] = VarEntry{var, op, nullptr, false, true};
  for (std::uint32_t i = 0; i < n; ++i) {
    const char* problem = entries[i].var == nullptr                                  ? "a null variable"
                          : entries[i].var->deleted.load(std::memory_order_relaxed) ? "a deleted variable"
                                                                                     : nullptr;
    if (problem != nullptr) {
      const std::string name = op->name;
      destroy(op);
      throw EngineError("push '" + name + "': uses " + problem);
    }
  }
  op->num_entries = merge_duplicates(entries, n);
  if (traced) {  // numbered in push order
    op->trace_id = trace::next_operation_id();
    op->trace_touches = reinterpret_cast<std::uint64_t*>(entries + capacity);
    op->category = options.category;
    op->args = options.args;
  }
  return op;
}

void OprBlock::destroy(OprBlock* op) {
  op->~OprBlock();
  cross_thread_free(op);
}

void note_traced_access(VarEntry& entry) {
  const OprBlock& op = *entry.op;
  if (op.trace_id == 0) return;
  std::uint64_t& last_writer = entry.var->trace_last_writer;
  if (last_writer == 0 && !entry.write) last_writer = variable_number(op, entry);
  op.trace_touches[&entry - op.entries().data()] = trace::VarTouch{last_writer, entry.write}.packed();
  if (entry.write) last_writer = op.trace_id;
}

void note_traced_accesses(OprBlock& op) {
  if (op.trace_id == 0) return;
  for (VarEntry& entry : op.entries()) {
    std::lock_guard lock(entry.var->mutex);
    note_traced_access(entry);
  }
}

FailurePtr OprBlock::input_failure() const {
  for (const VarEntry& entry : entries()) {
    // Readers never run beside a writer of the same variable, so its failure is stable here.
    if (entry.read && entry.var->failure) return entry.var->failure;
  }
  return nullptr;
}

namespace {

// A GPU operation: after the other streams' work it depends on, then either marked with an event (the stream
// keeps its order; nothing waits here) or waited for. Copies always wait: the host memory on their other side is
// read and written by CPU operations that know nothing of streams.
// Returns whether the operation was timed on the device (while profiling, an operation that does not wait for
// its stream); the others are timed on the host as usual.
bool run_on_stream(OprBlock& op, const RunContext& rctx, bool gpu_async, int worker_id) {
  cuda_set_device(rctx.ctx.dev_id);
  wait_marks_on_stream(op, rctx.stream);
  const bool copy = op.prop == FnProperty::kCopyToGPU || op.prop == FnProperty::kCopyFromGPU;
  const bool async = gpu_async && !copy && !gpu_sync_each_op();
  void* timer = async && op.trace_id != 0 ? gpu_timing_begin(rctx.stream, rctx.ctx.dev_id) : nullptr;
  op.sync_fn(rctx);
  if (!async) {
    cuda_synchronize(rctx.stream);
    clear_marks_after_sync(op);
    return false;
  }
  mark_after_stream_op(op, rctx.stream, rctx.ctx.dev_id);
  if (timer == nullptr) return false;
  gpu_timing_end(timer, rctx.stream, rctx.ctx.dev_id, describe_operation(op, worker_id, 0, 0));
  return true;
}

// After a GPU operation threw: whatever it enqueued is waited for (its error, if any, is the operation's own).
void settle_stream_after_failure(OprBlock& op, void* stream) {
  try {
    cuda_synchronize(stream);
  } catch (...) {
  }
  clear_marks_after_sync(op);
}

}  // namespace

Outcome run_sync(OprBlock& op, const RunContext& rctx, int worker_id, bool gpu_async) {
  if (op.skippable()) {
    if (FailurePtr inherited = op.input_failure()) return {std::move(inherited), false};
  }
  const bool tracing = op.trace_id != 0;  // decided at push: pausing later does not lose work pushed before
  const std::int64_t start = tracing ? now_ns() : 0;
  Outcome outcome;
  bool timed_on_device = false;
  try {
    OperationScope scope(worker_id);
    if (rctx.stream != nullptr) {
      timed_on_device = run_on_stream(op, rctx, gpu_async, worker_id);
    } else {
      // Off the GPU streams, a variable's GPU work must be done before the function touches it. Markers and
      // deletions (waited for by the engine's reaper) need no wait here.
      if (op.kind == OpKind::kSync) host_wait_marks(op);
      op.sync_fn(rctx);
    }
  } catch (...) {
    outcome = {std::make_shared<Failure>(std::current_exception(), op.name), true};
    if (rctx.stream != nullptr) settle_stream_after_failure(op, rctx.stream);
  }
  if (tracing && !timed_on_device) {
    op.worker_id = worker_id;
    op.start_ns = start;
    op.end_ns = now_ns();
  }
  return outcome;
}

Outcome start_async(OprBlock& op, const RunContext& rctx, int worker_id, OnComplete on_complete) {
  if (FailurePtr inherited = op.input_failure()) return {std::move(inherited), false};
  op.worker_id = worker_id;
  if (op.trace_id != 0) op.start_ns = now_ns();
  try {
    OperationScope scope(worker_id);
    if (rctx.stream != nullptr) {
      cuda_set_device(rctx.ctx.dev_id);
      wait_marks_on_stream(op, rctx.stream);
    } else {
      host_wait_marks(op);
    }
    op.async_fn(rctx, on_complete);
  } catch (...) {
    return {std::make_shared<Failure>(std::current_exception(), op.name), true};
  }
  return {};
}

Outcome end_async(OprBlock& op, std::exception_ptr error) {
  clear_marks_after_sync(op);  // an asynchronous operation completes once its work, GPU work included, is done
  if (op.start_ns != 0) op.end_ns = now_ns();
  if (!error) return {};
  return {std::make_shared<Failure>(std::move(error), op.name), true};
}

void record_run(OprBlock& op) {
  trace::record_operation({.name = op.name,
                           .category = op.category,
                           .args = op.args,
                           .touches = {op.trace_touches, op.num_entries},
                           .id = op.trace_id,
                           .start_ns = op.start_ns,
                           .end_ns = op.end_ns,
                           .queue_depth = op.queue_depth,
                           .ctx = op.ctx,
                           .worker = op.worker_id});
}

bool inside_operation() { return tls_operation_depth > 0; }

}  // namespace mx::engine::detail

namespace mx::engine::trace {
int current_worker() { return engine::detail::tls_worker_id; }
}  // namespace mx::engine::trace

namespace mx::engine::detail {

}  // namespace mx::engine::detail
