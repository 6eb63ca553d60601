#pragma once
// The engine's profiling hook. It records every operation (start, end, device, worker, what it waited on),
// counters (memory pools, engine queue depth) and the user's own markers, into per-thread buffers.
// MX_PROFILER=trace.json turns it on at start-up and writes Chrome trace JSON there at exit; mx::profiler is
// the API over it. When off, each hook costs one relaxed load and a branch.
#include <atomic>
#include <cstdint>
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

struct Event {  // the fields ordered by size, so that none pads another (each thread keeps many of these)
  std::string name;
  std::string category = "operator";    // operator, copy, api, memory, engine, or a user domain
  std::string args;                     // operations: the inputs, "float32 (128, 784); float32 (256, 784)"
  std::vector<std::uint64_t> waited_on;  // operations: the ids of those it had to wait for
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

// The ids an operation waited on, collected on the pushing thread and freed on another. Most operations wait on
// one or two: those stay inline, so that recording them allocates nothing (a vector's allocation per operation
// was the largest single cost of profiling tiny operations); more spill to the cross-thread heap.
class OperationIds {
 public:
  OperationIds() = default;
  OperationIds(OperationIds&& other) noexcept { take(other); }
  OperationIds& operator=(OperationIds&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  OperationIds(const OperationIds&) = delete;
  OperationIds& operator=(const OperationIds&) = delete;
  ~OperationIds() { release(); }

  void push_back(std::uint64_t id) {
    if (size_ == capacity_) grow(size_ + 1);
    data()[size_++] = id;
  }
  void append(const std::uint64_t* first, const std::uint64_t* last) {
    const auto n = static_cast<std::uint32_t>(last - first);
    if (size_ + n > capacity_) grow(size_ + n);
    std::uint64_t* out = data() + size_;
    for (const std::uint64_t* id = first; id != last; ++id) *out++ = *id;
    size_ += n;
  }
  void reserve(std::size_t capacity) {
    if (capacity > capacity_) grow(static_cast<std::uint32_t>(capacity));
  }
  // The ids sorted, each once: what a trace shows. Done when events are read, off the operations' path.
  std::vector<std::uint64_t> sorted_unique() const;

  std::uint64_t* data() { return capacity_ > kInline ? heap_ : inline_; }
  const std::uint64_t* data() const { return capacity_ > kInline ? heap_ : inline_; }
  std::uint64_t* begin() { return data(); }
  std::uint64_t* end() { return data() + size_; }
  const std::uint64_t* begin() const { return data(); }
  const std::uint64_t* end() const { return data() + size_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  static constexpr std::uint32_t kInline = 4;
  void grow(std::uint32_t at_least);
  void release();
  void take(OperationIds& other);

  std::uint32_t size_ = 0, capacity_ = kInline;
  union {
    std::uint64_t inline_[kInline];
    std::uint64_t* heap_;
  };
};

// An engine operation's run, as the engine hands it over on the worker. Cheaper than an Event: its name and
// category are kept by pointer (looked up once per distinct string and thread), and the Event is made only when
// events are read. `name` and `category` need only be valid during the call; `args` and `waited_on` are the
// operation's own, moved straight into the record.
struct OperationRun {
  const char* name;
  const char* category;  // nullptr: "operator"
  std::string& args;
  OperationIds& waited_on;
  std::uint64_t id;
  std::int64_t start_ns, end_ns;  // now() ticks
  std::int64_t queue_depth;
  Context ctx;
  int worker;
};
void record_operation(const OperationRun& run);
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
