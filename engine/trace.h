#pragma once
// The engine's profiling hook: every operation's start and end, per device and worker. MX_PROFILER=trace.json
// turns it on at start-up and writes Chrome trace JSON (chrome://tracing, Perfetto) there at exit. When off,
// the hook costs one branch per operation.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <mx/engine/context.h>

namespace mx::engine::trace {

struct Event {
  std::string name;
  Context ctx;
  int worker = -1;  // a register_worker() id
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
};

namespace detail {
extern std::atomic<bool> g_enabled;
}

inline bool enabled() { return detail::g_enabled.load(std::memory_order_relaxed); }
void enable();
void disable();

// Monotonic clock of the trace, in nanoseconds.
std::int64_t now_ns();

// Names a worker (a thread of a pool, a GPU stream's worker) for the trace; returns its id.
int register_worker(std::string label);
std::string worker_label(int worker);

void record(Event event);
// Everything recorded so far, in no particular order.
std::vector<Event> events();
void clear();

// Writes what was recorded as Chrome trace JSON; throws mx::Error naming the file if it cannot.
void write_chrome_trace(const std::string& path);

}  // namespace mx::engine::trace
