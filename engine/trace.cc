#include <mx/engine/trace.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <mx/engine/error.h>

namespace mx::engine::trace {
namespace detail {
std::atomic<unsigned> g_categories{0};
}

namespace {

// Each thread appends to its own buffer; the recorder owns them so they outlive their threads.
struct ThreadBuffer {
  std::mutex mutex;
  std::vector<Event> events;  // guarded by mutex
};

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
      write_chrome_trace(exit_path_, events(false));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mxpp: could not write the profiler trace: %s\n", e.what());
    }
  }

  ThreadBuffer& buffer_of_this_thread() {
    thread_local ThreadBuffer* buffer = nullptr;
    if (buffer == nullptr) {
      std::lock_guard lock(mutex_);
      buffers_.push_back(std::make_unique<ThreadBuffer>());
      buffer = buffers_.back().get();
    }
    return *buffer;
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

  std::vector<Event> events(bool take) {
    std::lock_guard lock(mutex_);
    std::vector<Event> all;
    for (auto& buffer : buffers_) {
      std::lock_guard buffer_lock(buffer->mutex);
      if (take) {
        all.insert(all.end(), std::make_move_iterator(buffer->events.begin()),
                   std::make_move_iterator(buffer->events.end()));
        buffer->events.clear();
      } else {
        all.insert(all.end(), buffer->events.begin(), buffer->events.end());
      }
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

// Constructs the recorder at load time so that MX_PROFILER works without any call.
const bool kRecorderReady = (recorder(), true);

std::atomic<std::uint64_t> g_operation_ids{0};

}  // namespace

void enable(unsigned categories) { detail::g_categories.store(categories & kAll); }
void disable() { detail::g_categories.store(0); }
unsigned categories() { return detail::g_categories.load(); }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int register_worker(std::string label) { return recorder().register_worker(std::move(label)); }
std::string worker_label(int worker) { return recorder().worker_label(worker); }

int host_thread_id() {
  thread_local const int id = recorder().register_host_thread();
  return id;
}

void record(Event event) {
  ThreadBuffer& buffer = recorder().buffer_of_this_thread();
  std::lock_guard lock(buffer.mutex);
  buffer.events.push_back(std::move(event));
}

void counter(const char* name, const char* category, Context ctx, double value) {
  Event e;
  e.phase = Phase::kCounter;
  e.name = name;
  e.category = category;
  e.ctx = ctx;
  e.start_ns = e.end_ns = now_ns();
  e.value = value;
  record(std::move(e));
}

std::uint64_t next_operation_id() { return g_operation_ids.fetch_add(1, std::memory_order_relaxed) + 1; }

std::vector<Event> events() { return recorder().events(false); }
std::vector<Event> take_events() { return recorder().events(true); }
void clear() { (void)recorder().events(true); }
void write_chrome_trace(const std::string& path) { write_chrome_trace(path, events()); }

}  // namespace mx::engine::trace
