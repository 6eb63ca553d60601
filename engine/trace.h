#pragma once
// The engine's profiling hook. It records every operation (start, end, device, worker, what it waited on),
// counters (memory pools, engine queue depth) and the user's own markers, into per-thread buffers.
// MX_PROFILER=trace.json turns it on at start-up and writes Chrome trace JSON there at exit; mx::profiler is
// the API over it. When off, each hook costs one relaxed load and a branch.
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <mx/engine/context.h>

namespace mx::engine::trace {

// What is recorded, as bits (MXNet's profile_imperative, profile_memory, profile_api, and the user's markers).
enum Category : unsigned {
  kOperators = 1,  // every engine operation, with its dependencies and the engine's queue depth at its push
  kMemory = 2,     // pool counters, per device, at each allocation and release
  kApi = 4,        // front-end calls (an operator's invocation on the calling thread)
  kUser = 8,       // profiler::Task, Frame, Event, Counter, Marker
  kAll = 15,
};

enum class Phase : char {
  kComplete = 'X',  // a span: start_ns to end_ns
  kInstant = 'i',   // a marker at start_ns
  kCounter = 'C',   // `value` from start_ns on
};

// A variable an operation read or wrote, as the write it saw: recorded instead of the operations it waited on,
// which are derived when events are read (trace_dependencies.h): that writer and, for a write, the readers that
// saw the same writer. Keeping each variable's readers at every push cost more than the rest of profiling.
struct VarTouch {
  // The id of the variable's last traced writer at push; where it had none, a number above every operation id
  // (kFirstVariableNumber) naming the variable, so that a later writer still finds the readers; 0 for a write
  // that follows no traced access.
  std::uint64_t writer;
  bool write;

  // In one word, as operations carry and record them: the writer, and the write in the top bit.
  static constexpr std::uint64_t kWriteBit = std::uint64_t{1} << 63;
  std::uint64_t packed() const { return writer | (write ? kWriteBit : 0); }
  static VarTouch unpack(std::uint64_t word) { return {word & ~kWriteBit, (word & kWriteBit) != 0}; }
};
constexpr std::uint64_t kFirstVariableNumber = std::uint64_t{1} << 62;  // operation ids stay below

struct Event {  // the fields ordered by size, so that none pads another (each thread keeps many of these)
  std::string name;
  std::string category = "operator";    // operator, copy, api, memory, engine, or a user domain
  std::string args;                     // operations: the inputs, "float32 (128, 784); float32 (256, 784)"
  std::vector<std::uint64_t> waited_on;  // operations: the ids of those it had to wait for, sorted, each once
  std::vector<VarTouch> touches;         // operations, until read back: what waited_on is derived from
  std::int64_t start_ns = 0;  // now() while recorded; nanoseconds once read back
  std::int64_t end_ns = 0;
  std::uint64_t id = 0;              // operations: their number in push order, from 1
  std::int64_t queue_depth = 0;      // operations: pending in the engine once it was pushed
  double value = 0;                  // counters
  Context ctx;                       // the device: the trace's process
  int worker = -1;                   // the trace's thread: a register_worker() id
  Phase phase = Phase::kComplete;
  bool host = false;  // on a host thread (api and user events): the "host" process
  char scope = 'p';   // markers: g(lobal), p(rocess), t(hread)
};

namespace detail {
extern std::atomic<unsigned> g_categories;
}

// Whether any of `categories` is being recorded.
inline bool enabled(unsigned categories = kAll) {
  return (detail::g_categories.load(std::memory_order_relaxed) & categories) != 0;
}
void enable(unsigned categories = kAll);
void disable();
unsigned categories();

// The trace's clock: cheap ticks (the invariant TSC on x86-64, else nanoseconds) for start_ns and end_ns of
// recorded events; events() and take_events() turn them into nanoseconds of a monotonic clock.
std::int64_t now();

// Names a worker (a thread of a pool, a GPU stream's worker) for the trace; returns its id.
int register_worker(std::string label);
std::string worker_label(int worker);
// The worker whose operation the calling thread is running (-1 outside an operation): for events recorded
// inside one, such as the operators of a bulked graph.
int current_worker();
// The id of the calling host thread ("host thread N", registered at its first event).
int host_thread_id();

void record(Event&& event);

// An engine operation's run, as the engine hands it over on the worker. Cheaper than an Event: its name and
// category are kept by pointer (looked up once per distinct string and thread), and the Event is made only when
// events are read. `name` and `category` need only be valid during the call; `args` and `waited_on` are the
// operation's own, moved into the record unless empty; `touches` (VarTouch::packed) are copied.
struct OperationRun {
  const char* name;
  const char* category;  // nullptr: "operator"
  std::string& args;
  std::span<const std::uint64_t> touches;
  std::uint64_t id;
  std::int64_t start_ns, end_ns;  // now() ticks
  std::int64_t queue_depth;
  Context ctx;
  int worker;
};
void record_operation(const OperationRun& run);
// A thread that records an operation's run after releasing what waited on it brackets the two with these
// (nesting allowed), so that a thread reading the trace after a sync point waits for that record instead of
// missing it. begin returns the calling thread's count of such records, which end takes back.
std::atomic<int>* begin_late_record();
void end_late_record(std::atomic<int>* late_records);
// The bracket as a scope, closed however the scope exits (a reader must never wait for a record that will not
// come).
class LateRecordScope {
 public:
  explicit LateRecordScope(bool active) : late_records_(active ? begin_late_record() : nullptr) {}
  ~LateRecordScope() {
    if (late_records_ != nullptr) end_late_record(late_records_);
  }
  LateRecordScope(const LateRecordScope&) = delete;
  LateRecordScope& operator=(const LateRecordScope&) = delete;

 private:
  std::atomic<int>* late_records_;
};
// A counter of `ctx` (its process row) at the current time.
void counter(const char* name, const char* category, Context ctx, double value);
// Numbers operations in push order; 0 is never returned.
std::uint64_t next_operation_id();

// Everything recorded so far, in no particular order.
std::vector<Event> events();
// Removes and returns what was recorded so far.
std::vector<Event> take_events();
void clear();

// Writes events as Chrome trace JSON (chrome://tracing, Perfetto): one process per device plus one for host
// threads, one thread per worker, flow arrows from each operation to those that waited on it. Throws mx::Error
// naming the file if it cannot be written.
void write_chrome_trace(const std::string& path);
void write_chrome_trace(const std::string& path, const std::vector<Event>& events);

}  // namespace mx::engine::trace
