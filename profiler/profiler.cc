#include <mx/profiler/profiler.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <mx/engine/error.h>
#include <mx/engine/thread_name.h>
#include <mx/engine/trace.h>
#include <mx/profiler/aggregate.h>

namespace mx::profiler {
namespace trace = engine::trace;
namespace {

// The profiler's state, shared by its calls; every field guarded by mutex.
struct Profiler {
  std::mutex mutex;
  Config config;
  State state = State::kStop;
  bool paused = false;
  // Continuous dump: a thread rewriting the file every dump_period while running.
  std::thread dumper;
  std::condition_variable wake_dumper;
  bool stop_dumper = false;

  ~Profiler() {  // at exit while a continuous dump runs: end its thread rather than std::terminate
    {
      std::lock_guard lock(mutex);
      stop_dumper = true;
    }
    wake_dumper.notify_all();
    if (dumper.joinable()) dumper.join();
  }
};

Profiler& profiler() {
  static Profiler instance;
  return instance;
}

unsigned categories_of(const Config& c) {
  if (c.profile_all) return trace::kAll;
  unsigned bits = trace::kUser;
  if (c.profile_imperative) bits |= trace::kOperators;
  if (c.profile_memory) bits |= trace::kMemory;
  if (c.profile_api) bits |= trace::kApi;
  return bits;
}

void run_dumper(Profiler& p) {
  std::unique_lock lock(p.mutex);
  while (!p.stop_dumper) {
    const auto period = std::chrono::duration<double>(p.config.dump_period);
    p.wake_dumper.wait_for(lock, period, [&] { return p.stop_dumper; });
    const std::string path = p.config.filename;
    lock.unlock();
    try {
      trace::write_chrome_trace(path, trace::events());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mxpp profiler: continuous dump failed: %s\n", e.what());
    }
    lock.lock();
  }
}

void stop_dumper(Profiler& p, std::unique_lock<std::mutex>& lock) {
  if (!p.dumper.joinable()) return;
  p.stop_dumper = true;
  p.wake_dumper.notify_all();
  std::thread dumper = std::move(p.dumper);
  lock.unlock();
  dumper.join();
  lock.lock();
}

}  // namespace

void set_config(const Config& config) {
  Profiler& p = profiler();
  std::lock_guard lock(p.mutex);
  if (p.state == State::kRun) throw Error("profiler: set_config while running; call set_state(State::kStop) first");
  if (!(config.dump_period > 0)) throw Error("profiler: dump_period must be positive, got " + std::to_string(config.dump_period));
  if (config.filename.empty()) throw Error("profiler: the filename is empty");
  p.config = config;
  std::remove(config.filename.c_str());  // as MXNet: a new configuration starts a new file
}

Config config() {
  Profiler& p = profiler();
  std::lock_guard lock(p.mutex);
  return p.config;
}

void set_state(State state) {
  Profiler& p = profiler();
  std::unique_lock lock(p.mutex);
  if (state == p.state) return;
  p.state = state;
  p.paused = false;
  if (state == State::kRun) {
    trace::enable(categories_of(p.config));
    if (p.config.continuous_dump) {
      p.stop_dumper = false;
      p.dumper = std::thread([&p] {
        engine::set_thread_name("mx-prof-dump");
        run_dumper(p);
      });
    }
  } else {
    trace::disable();
    stop_dumper(p, lock);
  }
}

State state() {
  Profiler& p = profiler();
  std::lock_guard lock(p.mutex);
  return p.state;
}

void pause() {
  Profiler& p = profiler();
  std::lock_guard lock(p.mutex);
  if (p.state != State::kRun || p.paused) return;
  p.paused = true;
  trace::disable();
}

void resume() {
  Profiler& p = profiler();
  std::lock_guard lock(p.mutex);
  if (p.state != State::kRun || !p.paused) return;
  p.paused = false;
  trace::enable(categories_of(p.config));
}

void dump(bool finished) {
  const std::string path = config().filename;
  const std::vector<trace::Event> events = finished ? trace::take_events() : trace::events();
  trace::write_chrome_trace(path, events);
}

std::string dumps(const DumpsOptions& options) {
  const std::vector<trace::Event> events = options.reset ? trace::take_events() : trace::events();
  return format_aggregate(aggregate(events), options);
}

}  // namespace mx::profiler
