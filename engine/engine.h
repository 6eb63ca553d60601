#pragma once
// The asynchronous dependency engine. Every layer above pushes its work here as closures with the variables
// they read and write; the engine runs each one as soon as those variables allow.
//
// Ordering contract, per variable: operations that write it run in push order relative to every other operation
// on it; operations that only read it may run concurrently with each other. Pushing from several threads at once
// is safe. A variable listed twice, or in both sets, is read-and-written once (an in-place update).
//
// Errors: an exception escaping an operation is kept on the variables it writes. Operations that read them are
// skipped and carry the same error; wait_for_var rethrows it (as mx::OperatorError naming the operation) for as
// long as the variable holds it, wait_for_all rethrows the first one not yet reported. Writing the variable again
// successfully clears it.
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <mx/engine/context.h>

namespace mx::engine {

class Var;  // opaque; valid from new_variable() until its delete_variable() has run
using VarHandle = Var*;

enum class FnProperty : std::uint8_t {
  kNormal,       // compute on the context's workers (CPU pool, or a GPU's compute streams)
  kCopyToGPU,    // host-to-device copy; ctx is the GPU side; runs on that GPU's host-to-device stream
  kCopyFromGPU,  // device-to-host copy; ctx is the GPU side; runs on that GPU's device-to-host stream
  kPrioritized,  // urgent work, ordered by priority: a small CPU pool, or a GPU's own priority stream
  kAsync,        // the function only starts work; on CPU it runs on the thread that made it ready
};

// Handed to every function: where it runs. On a GPU context, `stream` is the worker's cudaStream_t.
struct RunContext {
  Context ctx;
  void* stream = nullptr;
};

// Completion callback of an asynchronous operation: call it exactly once, from any thread, with the error if the
// work failed. The operation's variables are released when it is called.
class OnComplete {
 public:
  using Fn = void (*)(void* op, std::exception_ptr error);
  OnComplete(Fn fn, void* op) : fn_(fn), op_(op) {}
  void operator()() const { fn_(op_, nullptr); }
  void operator()(std::exception_ptr error) const { fn_(op_, std::move(error)); }

 private:
  Fn fn_;
  void* op_;
};

using SyncFn = std::function<void(RunContext)>;
using AsyncFn = std::function<void(RunContext, OnComplete)>;

// A non-owning list of variables: `{a, b}`, a std::vector or a span. Only valid for the call it is passed to.
class VarList {
 public:
  VarList() = default;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"  // the list's array lives until the call returns
  VarList(std::initializer_list<VarHandle> vars) : data_(vars.begin()), size_(vars.size()) {}
#pragma GCC diagnostic pop
  VarList(const std::vector<VarHandle>& vars) : data_(vars.data()), size_(vars.size()) {}
  VarList(std::span<const VarHandle> vars) : data_(vars.data()), size_(vars.size()) {}
  const VarHandle* begin() const { return data_; }
  const VarHandle* end() const { return data_ + size_; }
  std::size_t size() const { return size_; }

 private:
  const VarHandle* data_ = nullptr;
  std::size_t size_ = 0;
};

struct PushOptions {
  FnProperty prop = FnProperty::kNormal;
  int priority = 0;             // larger runs first, where the queue is a priority queue (kPrioritized)
  const char* name = nullptr;   // for errors and the profiler; must outlive the operation (a literal, say)
  const char* category = nullptr;  // for the profiler: "operator" when null, "copy" for copies between arrays
  std::string args = {};           // for the profiler, filled only while it records: the inputs, say
};

class Engine {
 public:
  virtual ~Engine() = default;

  // The process-wide engine, chosen by MX_ENGINE_TYPE (ThreadedEngine by default, or NaiveEngine).
  static Engine& get();
  // The same engine, for objects that must keep it alive (arrays freed during static destruction).
  static std::shared_ptr<Engine> get_shared();
  // At exit: waits until nothing is pending if the process-wide engine exists and is not destroyed yet,
  // logging an error no one was told of. For the static destructor of a library whose operations call into
  // other libraries: the dynamic linker finalizes those after it, but may finalize them before the engine,
  // which arrays in static storage keep alive, so an operation still queued would run in a finalized library.
  static void drain_at_exit() noexcept;

  virtual VarHandle new_variable() = 0;
  // Runs `fn` once every variable allows; returns at once. Throws mx::EngineError for an unusable context.
  virtual void push_sync(SyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options = {}) = 0;
  // As push_sync, but the operation ends when `fn` calls its OnComplete, not when it returns.
  virtual void push_async(AsyncFn fn, Context ctx, VarList reads, VarList writes, PushOptions options = {}) = 0;
  // Runs `on_delete` after every operation pushed on `var` so far, then frees `var`.
  virtual void delete_variable(SyncFn on_delete, Context ctx, VarHandle var) = 0;
  // Blocks until every write pushed on `var` so far has run; rethrows the error it holds, if any.
  virtual void wait_for_var(VarHandle var) = 0;
  // Blocks until every operation pushed on `var` so far, reads as well as writes, has run: what must be done
  // before the caller writes the variable's data itself. Rethrows the error it holds, if any. Returns at once
  // when nothing on `var` is queued or running; otherwise waits behind an empty operation on `ctx`.
  virtual void wait_for_var_writable(VarHandle var, Context ctx) = 0;
  // Blocks until nothing is pending; rethrows the first error not yet reported at a sync point.
  virtual void wait_for_all() = 0;
  virtual const char* type_name() const = 0;
};

// While one lives on a thread, that thread's pushes never wait for max_pending (below): for threads of a pool
// that produces work (a DataLoader's workers), where waiting could hold up the very work waited for. Nestable.
class UnthrottledScope {
 public:
  UnthrottledScope();
  ~UnthrottledScope();
  UnthrottledScope(const UnthrottledScope&) = delete;
  UnthrottledScope& operator=(const UnthrottledScope&) = delete;
  static bool active();  // on the calling thread
};

// While any lives, on any thread, no push waits for max_pending: for work that can finish only after pushes still
// to come from the same thread (devices exchanging values: the first device's operations wait for the last
// device's call, which a throttled push would never reach).
class ThrottleHold {
 public:
  ThrottleHold();
  ~ThrottleHold();
  ThrottleHold(const ThrottleHold&) = delete;
  ThrottleHold& operator=(const ThrottleHold&) = delete;
  static bool active();  // anywhere in the process
};

enum class EngineType { kNaive, kThreaded };

struct EngineConfig {
  EngineType type = EngineType::kThreaded;
  int cpu_workers = 0;           // per CPU context; 0: one per core
  int cpu_priority_workers = 2;  // shared by all CPU contexts, for kPrioritized work
  int gpu_compute_streams = 2;   // per GPU, each with its own worker
  // How far an application thread may run ahead: past this many operations pushed and not finished, its next
  // push waits until half of them are done. Keeps a loop that never syncs from allocating every step's arrays
  // at once (fresh memory and page faults for every operation). 0: unbounded. Pushes inside operations and
  // under an UnthrottledScope never wait.
  int max_pending = 1024;

  // MX_ENGINE_TYPE, MX_CPU_WORKER_NTHREADS, MX_CPU_PRIORITY_NTHREADS, MX_GPU_WORKER_NTHREADS,
  // MX_ENGINE_MAX_PENDING. Without MX_CPU_WORKER_NTHREADS, a process started by mpirun beside others on its
  // machine (OMPI_COMM_WORLD_LOCAL_SIZE) takes its share of the cores, at least one.
  // Throws mx::EngineError naming the variable when a value is not understood.
  static EngineConfig from_env();
};

// A private engine, for tests and benchmarks that compare configurations side by side.
std::unique_ptr<Engine> create(const EngineConfig& config);

}  // namespace mx::engine
