#include <mx/engine/trace.h>

#include <mx/engine/gpu_timing.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <string_view>
#include <unordered_map>

#include <mx/engine/cross_thread_alloc.h>
#include <mx/engine/error.h>
#include <mx/engine/fast_thread_local.h>
#include <mx/engine/operation_log.h>
#include <mx/engine/trace_dependencies.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

namespace mx::engine::trace {
namespace detail {
alignas(64) std::atomic<unsigned> g_categories{0};  // read by every hook: kept apart from what is written
}

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The trace clock: reading the TSC costs a few nanoseconds where steady_clock costs ~25 (two reads per
// operation, so it was a fifth of the profiler's overhead). Used only where the TSC is invariant (constant rate,
// synchronized across cores); converted to nanoseconds against steady_clock when events are read back.
struct TraceClock {
  bool tsc = false;
  std::int64_t tsc0 = 0, ns0 = 0;  // one instant in both clocks, taken at load
  TraceClock() {
#if defined(__x86_64__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    tsc = __get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8)) != 0;  // invariant TSC
    if (tsc) tsc0 = static_cast<std::int64_t>(__rdtsc());
#endif
    ns0 = steady_ns();
  }
};
const TraceClock& trace_clock() {  // a function's static: ready whenever the first event is recorded
  static const TraceClock clock;
  return clock;
}
const bool kTscClock = trace_clock().tsc;  // read by now() without the static's guard (set at load)

// Maps now() values to steady_clock nanoseconds: the line through the load-time instant and the present one
// (at least a millisecond apart, so that the reads' jitter is negligible).
class TickConverter {
 public:
  TickConverter() {
#if defined(__x86_64__)
    if (!trace_clock().tsc) return;
    std::int64_t t1 = 0, n1 = 0;
    do {
      t1 = static_cast<std::int64_t>(__rdtsc());
      n1 = steady_ns();
    } while (n1 - trace_clock().ns0 < 1'000'000);
    ns_per_tick_ = static_cast<double>(n1 - trace_clock().ns0) / static_cast<double>(t1 - trace_clock().tsc0);
#endif
  }
  std::int64_t operator()(std::int64_t ticks) const {
    if (!trace_clock().tsc) return ticks;
    return trace_clock().ns0 + std::llround(static_cast<double>(ticks - trace_clock().tsc0) * ns_per_tick_);
  }

 private:
  double ns_per_tick_ = 1;
};

std::vector<Event> in_nanoseconds(std::vector<Event> events) {
  const TickConverter to_ns;
  for (Event& e : events) {
    e.start_ns = to_ns(e.start_ns);
    e.end_ns = to_ns(e.end_ns);
  }
  return events;
}

// Names and categories of operations, each kept once: a run records a number, not a string.
class NameTable {
 public:
  struct Kept {
    std::uint32_t id;
    const char* name;  // the table's copy: valid for ever
  };
  Kept keep(const char* name) {
    std::lock_guard lock(mutex_);
    const auto found = ids_.find(std::string_view(name));
    if (found != ids_.end()) return {found->second, names_[found->second].c_str()};
    names_.emplace_back(name);  // a deque: the strings already kept never move
    const auto id = static_cast<std::uint32_t>(names_.size() - 1);
    ids_.emplace(names_.back(), id);
    return {id, names_.back().c_str()};
  }
  std::deque<std::string> snapshot() {
    std::lock_guard lock(mutex_);
    return names_;
  }

 private:
  std::mutex mutex_;
  std::deque<std::string> names_;                            // guarded by mutex_
  std::unordered_map<std::string_view, std::uint32_t> ids_;  // guarded by mutex_; views into names_
};

NameTable& name_table() {
  static auto* table = new NameTable;  // never destroyed: workers may record until exit
  return *table;
}

// The default category's name id, kept at load: no static's guard on the recording path.
const std::uint32_t kOperatorName = name_table().keep("operator").id;

// A thread's recent names by pointer, in its buffer (used by that thread only).
struct NameCache {
  struct Entry {
    const char* pointer = nullptr;
    const char* kept = nullptr;
    std::uint32_t id = 0;
  };
  Entry entries[64];
};

// A pointer seen before is checked against the string kept for it (a pointer may be reused for another name),
// so that the usual case costs a comparison of a short string.
[[gnu::always_inline]] inline std::uint32_t name_id(NameCache& cache, const char* name) {
  NameCache::Entry& entry = cache.entries[(reinterpret_cast<std::uintptr_t>(name) >> 3) % 64];
  if (entry.pointer == name && std::strcmp(entry.kept, name) == 0) return entry.id;
  const NameTable::Kept kept = name_table().keep(name);
  entry = {name, kept.name, kept.id};
  return kept.id;
}

// Guards a thread's buffer: taken by its own thread at each record and by a reader now and then, so nearly
// never contended; a lock and unlock of std::mutex cost more than the rest of recording an operation's run.
class SpinLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// An operation's run as an event. Moves the inputs' description when the record goes (a take), copies otherwise.
// `names` is a copy of the name table, taken again when a record names what it lacks: a run recorded after the
// copy was taken (on another thread, or late: begin_late_record) may have added a name.
Event to_event(const detail::OperationHeader& r, std::span<const std::uint64_t> touches, std::string& args,
               std::deque<std::string>& names, bool take) {
  if (std::max(r.name, r.category) >= names.size()) names = name_table().snapshot();
  Event e;
  e.name = names[r.name];
  e.category = names[r.category];
  e.args = take ? std::move(args) : args;
  e.touches.reserve(touches.size());
  for (std::uint64_t word : touches) e.touches.push_back(VarTouch::unpack(word));
  e.id = r.id;
  e.start_ns = r.start_ns;
  e.end_ns = r.end_ns;
  e.queue_depth = r.queue_depth;
  e.ctx = r.ctx;
  e.worker = r.worker;
  return e;
}

// Items in chunks of fixed capacity: a growing vector would move every item recorded so far at each doubling,
// on the worker, while the run is being measured.
template <class T>
struct Chunks {
  static constexpr std::size_t kChunk = 4096;
  static constexpr std::size_t kChunksKept = 16;  // after a take, a few MB a thread stays ready for more
  std::vector<std::vector<T>> chunks;
  std::size_t filling = 0;  // the chunk being filled (those after it are empty)

  template <class... Args>
  void append(Args&&... args) {
    if (filling < chunks.size() && chunks[filling].size() == kChunk) ++filling;
    if (filling == chunks.size()) {
      chunks.emplace_back();
      chunks.back().reserve(kChunk);
    }
    chunks[filling].emplace_back(std::forward<Args>(args)...);  // built in place
  }
  // Empties the chunks, keeping a few: a profiler dumped and reset in a loop records into pages it has already
  // touched.
  void reset() {
    if (chunks.size() > kChunksKept) chunks.resize(kChunksKept);
    for (std::vector<T>& chunk : chunks) chunk.clear();
    filling = 0;
  }
};

// Each thread appends to its own buffer; the recorder owns them so they outlive their threads.
struct ThreadBuffer {
  SpinLock mutex;
  std::atomic<int> late_records{0};  // begun and not yet written; changed only by the owning thread
  Chunks<Event> events;             // guarded by mutex
  detail::OperationLog operations;  // guarded by mutex
  NameCache names;                  // the owning thread's only

  void reset() {  // with mutex held
    events.reset();
    operations.reset();
  }
};

// What a thread keeps for recording: a pointer to its buffer, so that the engine's block of thread_locals stays
// small (fast_thread_local.h).
struct ThreadState {
  ThreadBuffer* buffer = nullptr;
};
MX_FAST_THREAD_LOCAL ThreadState t_state;

class Recorder {
 public:
  Recorder() {
    if (const char* path = std::getenv("MX_PROFILER"); path != nullptr && *path != '\0') {
      exit_path_ = path;
      detail::g_categories.store(kAll);
    }
  }
  // Static destruction runs after the engine singleton (created later) has drained its work.
  ~Recorder() {
    if (exit_path_.empty()) return;
    try {
      std::vector<Event> all = in_nanoseconds(events(false));
      detail::derive_waited_on(all);
      write_chrome_trace(exit_path_, all);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mxpp: could not write the profiler trace: %s\n", e.what());
    }
  }

  [[gnu::always_inline]] ThreadBuffer& buffer_of(ThreadState& state) {
    if (state.buffer == nullptr) {
      std::lock_guard lock(mutex_);
      buffers_.push_back(std::make_unique<ThreadBuffer>());
      state.buffer = buffers_.back().get();
    }
    return *state.buffer;
  }

  // A record begun before the reader's sync point is written within a few hundred nanoseconds. The reading thread's
  // own are not awaited (an operation reading the trace).
  static void await_late_records(const ThreadBuffer& buffer) {
    if (&buffer == t_state.buffer) return;
    while (buffer.late_records.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }

  int register_worker(std::string label) {
    std::lock_guard lock(mutex_);
    workers_.push_back(std::move(label));
    return static_cast<int>(workers_.size()) - 1;
  }

  std::string worker_label(int worker) {
    std::lock_guard lock(mutex_);
    return worker >= 0 && worker < static_cast<int>(workers_.size()) ? workers_[worker] : "thread";
  }

  int register_host_thread() {
    std::lock_guard lock(mutex_);
    workers_.push_back("host thread " + std::to_string(++host_threads_));
    return static_cast<int>(workers_.size()) - 1;
  }

  // Drops what was recorded, without making events of it first.
  void clear() {
    std::lock_guard lock(mutex_);
    for (auto& buffer : buffers_) {
      await_late_records(*buffer);
      std::lock_guard buffer_lock(buffer->mutex);
      buffer->reset();
    }
  }

  std::vector<Event> events(bool take) {
    std::lock_guard lock(mutex_);
    std::deque<std::string> names = name_table().snapshot();
    std::vector<Event> all;
    for (auto& buffer : buffers_) {
      await_late_records(*buffer);
      std::lock_guard buffer_lock(buffer->mutex);
      for (std::vector<Event>& chunk : buffer->events.chunks) {
        if (take) {
          all.insert(all.end(), std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
        } else {
          all.insert(all.end(), chunk.begin(), chunk.end());
        }
      }
      buffer->operations.for_each([&](const detail::OperationHeader& r, std::span<const std::uint64_t> touches,
                                      std::string& args) { all.push_back(to_event(r, touches, args, names, take)); });
      if (take) buffer->reset();
    }
    return all;
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<ThreadBuffer>> buffers_;  // guarded by mutex_
  std::vector<std::string> workers_;                    // guarded by mutex_
  int host_threads_ = 0;                                // guarded by mutex_
  std::string exit_path_;
};

Recorder& recorder() {
  static Recorder instance;
  return instance;
}

// The recorder for the recording paths, without the static's guard. Made at load, before any thread of the
// engine exists, which also makes MX_PROFILER work without any call.
Recorder* const g_recorder = &recorder();

// On a cache line of its own, before and after: the pushing thread bumps it at every push, and workers read the
// recorder's pointer and the clock's flag at every record. (alignas alone only aligns its start: g_recorder
// shared its line, and the bump cost more than the rest of numbering and noting an operation.)
struct alignas(64) OperationCounter {
  std::atomic<std::uint64_t> value{0};
};
static_assert(sizeof(OperationCounter) == 64);
OperationCounter g_operation_ids;

}  // namespace

void enable(unsigned categories) { detail::g_categories.store(categories & kAll); }
void disable() { detail::g_categories.store(0); }
unsigned categories() { return detail::g_categories.load(); }

std::int64_t now() {
#if defined(__x86_64__)
  if (kTscClock) return static_cast<std::int64_t>(__rdtsc());
#endif
  return steady_ns();
}

int register_worker(std::string label) { return recorder().register_worker(std::move(label)); }
std::string worker_label(int worker) { return recorder().worker_label(worker); }

int host_thread_id() {
  thread_local const int id = recorder().register_host_thread();
  return id;
}

void record(Event&& event) {
  ThreadBuffer& buffer = g_recorder->buffer_of(t_state);
  std::lock_guard lock(buffer.mutex);
  buffer.events.append(std::move(event));
}

void record_operation(const OperationRun& run) {
  ThreadBuffer& buffer = g_recorder->buffer_of(t_state);
  const std::uint32_t category = run.category != nullptr ? name_id(buffer.names, run.category) : kOperatorName;
  const detail::OperationHeader header{.id = run.id,
                                       .start_ns = run.start_ns,
                                       .end_ns = run.end_ns,
                                       .queue_depth = run.queue_depth,
                                       .ctx = run.ctx,
                                       .worker = run.worker,
                                       .name = name_id(buffer.names, run.name),
                                       .category = category,
                                       .num_touches = static_cast<std::uint32_t>(run.touches.size()),
                                       .has_args = !run.args.empty()};
  std::lock_guard lock(buffer.mutex);
  buffer.operations.append(header, run.args, run.touches.data());
}

// The count is only written by its thread. Its increment reaches a reader through whatever the thread then
// releases (the operation's successors, and through them the reader's sync point); the decrement follows the record.
std::atomic<int>* begin_late_record() {
  std::atomic<int>& late_records = g_recorder->buffer_of(t_state).late_records;
  late_records.store(late_records.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return &late_records;
}
void end_late_record(std::atomic<int>* late_records) {
  late_records->store(late_records->load(std::memory_order_relaxed) - 1, std::memory_order_release);
}

void counter(const char* name, const char* category, Context ctx, double value) {
  Event e;
  e.phase = Phase::kCounter;
  e.name = name;
  e.category = category;
  e.ctx = ctx;
  e.start_ns = e.end_ns = now();
  e.value = value;
  record(std::move(e));
}

std::uint64_t next_operation_id() { return g_operation_ids.value.fetch_add(1, std::memory_order_relaxed) + 1; }

// GPU operations come with their device times already in nanoseconds (gpu_timing.h).
std::vector<Event> with_gpu_events(std::vector<Event> events, bool take) {
  std::vector<Event> gpu = engine::detail::gpu_timed_events(take);
  events.insert(events.end(), std::make_move_iterator(gpu.begin()), std::make_move_iterator(gpu.end()));
  return events;
}
std::vector<Event> with_dependencies(std::vector<Event> events) {
  detail::derive_waited_on(events);
  return events;
}
std::vector<Event> events() {
  return with_dependencies(with_gpu_events(in_nanoseconds(recorder().events(false)), false));
}
std::vector<Event> take_events() {
  return with_dependencies(with_gpu_events(in_nanoseconds(recorder().events(true)), true));
}
void clear() {
  recorder().clear();
  (void)engine::detail::gpu_timed_events(true);
}
void write_chrome_trace(const std::string& path) { write_chrome_trace(path, events()); }

}  // namespace mx::engine::trace
