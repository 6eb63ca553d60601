#include <mx/engine/operation.h>

#include <tbb/scalable_allocator.h>

#include <algorithm>
#include <new>
#include <string>

#include <mx/engine/cuda_stream.h>
#include <mx/engine/error.h>
#include <mx/engine/trace.h>

namespace mx::engine::detail {
namespace {

thread_local int tls_operation_depth = 0;

// Keeps tls_operation_depth right however the function exits.
struct OperationScope {
  OperationScope() { ++tls_operation_depth; }
  ~OperationScope() { --tls_operation_depth; }
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

std::int64_t now_ns() { return trace::now_ns(); }

// Blocks are made on the pushing thread and freed on a worker: oneTBB's allocator takes such frees without the
// lock hand-off of glibc's arenas (a third of the time of a tiny operation). Sanitizer builds keep the
// instrumented allocator, so that they see every block's birth and death.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
void* allocate_block(std::size_t bytes) { return ::operator new(bytes); }
void free_block(void* block) { ::operator delete(block); }
#else
void* allocate_block(std::size_t bytes) {
  void* block = scalable_malloc(bytes);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}
void free_block(void* block) { scalable_free(block); }
#endif

}  // namespace

OprBlock* OprBlock::create(OpKind kind, Context ctx, VarList reads, VarList writes, const PushOptions& options) {
  const std::size_t capacity = reads.size() + writes.size();
  void* memory = allocate_block(sizeof(OprBlock) + capacity * sizeof(VarEntry));
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
  return op;
}

void OprBlock::destroy(OprBlock* op) {
  op->~OprBlock();
  free_block(op);
}

FailurePtr OprBlock::input_failure() const {
  for (const VarEntry& entry : entries()) {
    // Readers never run beside a writer of the same variable, so its failure is stable here.
    if (entry.read && entry.var->failure) return entry.var->failure;
  }
  return nullptr;
}

Outcome run_sync(OprBlock& op, const RunContext& rctx, int worker_id) {
  if (op.skippable()) {
    if (FailurePtr inherited = op.input_failure()) return {std::move(inherited), false};
  }
  const bool tracing = trace::enabled();
  const std::int64_t start = tracing ? now_ns() : 0;
  Outcome outcome;
  try {
    OperationScope scope;
    op.sync_fn(rctx);
    if (rctx.stream != nullptr) cuda_synchronize(rctx.stream);
  } catch (...) {
    outcome = {std::make_shared<Failure>(std::current_exception(), op.name), true};
  }
  if (tracing) trace::record({op.name, op.ctx, worker_id, start, now_ns()});
  return outcome;
}

Outcome start_async(OprBlock& op, const RunContext& rctx, int worker_id, OnComplete on_complete) {
  if (FailurePtr inherited = op.input_failure()) return {std::move(inherited), false};
  op.worker_id = worker_id;
  if (trace::enabled()) op.start_ns = now_ns();
  try {
    OperationScope scope;
    op.async_fn(rctx, on_complete);
  } catch (...) {
    return {std::make_shared<Failure>(std::current_exception(), op.name), true};
  }
  return {};
}

Outcome end_async(OprBlock& op, std::exception_ptr error) {
  if (op.start_ns != 0 && trace::enabled()) trace::record({op.name, op.ctx, op.worker_id, op.start_ns, now_ns()});
  if (!error) return {};
  return {std::make_shared<Failure>(std::move(error), op.name), true};
}

bool inside_operation() { return tls_operation_depth > 0; }

}  // namespace mx::engine::detail
