#include <mx/engine/trace.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include <mx/engine/error.h>

namespace mx::engine::trace {
namespace detail {
std::atomic<bool> g_enabled{false};
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
      detail::g_enabled.store(true);
    }
  }
  // Static destruction runs after the engine singleton (created later) has drained its work.
  ~Recorder() {
    if (exit_path_.empty()) return;
    try {
      write(exit_path_);
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

  std::vector<Event> events() {
    std::lock_guard lock(mutex_);
    std::vector<Event> all;
    for (auto& buffer : buffers_) {
      std::lock_guard buffer_lock(buffer->mutex);
      all.insert(all.end(), buffer->events.begin(), buffer->events.end());
    }
    return all;
  }

  void clear() {
    std::lock_guard lock(mutex_);
    for (auto& buffer : buffers_) {
      std::lock_guard buffer_lock(buffer->mutex);
      buffer->events.clear();
    }
  }

  void write(const std::string& path);

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<ThreadBuffer>> buffers_;  // guarded by mutex_
  std::vector<std::string> workers_;                    // guarded by mutex_
  std::string exit_path_;
};

Recorder& recorder() {
  static Recorder instance;
  return instance;
}

// Constructs the recorder at load time so that MX_PROFILER works without any call.
const bool kRecorderReady = (recorder(), true);

void write_json_string(std::ostream& out, const std::string& text) {
  out << '"';
  for (char c : text) {
    switch (c) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\n': out << "\\n"; break;
      case '\t': out << "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out << escaped;
        } else {
          out << c;
        }
    }
  }
  out << '"';
}

void Recorder::write(const std::string& path) {
  const std::vector<Event> all = events();
  std::ofstream out(path);
  if (!out) throw Error("profiler: cannot open '" + path + "' for writing");

  // One process per device, one thread per worker, times in microseconds from the first event.
  std::map<std::string, int> pids;
  std::map<std::pair<int, int>, bool> threads;
  std::int64_t origin = INT64_MAX;
  for (const Event& e : all) {
    pids.emplace(e.ctx.str(), static_cast<int>(pids.size()));
    origin = std::min(origin, e.start_ns);
  }
  out << "{\"traceEvents\":[\n";
  bool first = true;
  auto separator = [&] {
    if (!first) out << ",\n";
    first = false;
  };
  for (const auto& [device, pid] : pids) {
    separator();
    out << R"({"name":"process_name","ph":"M","pid":)" << pid << R"(,"args":{"name":)";
    write_json_string(out, device);
    out << "}}";
  }
  char number[64];
  for (const Event& e : all) {
    const int pid = pids[e.ctx.str()];
    if (threads.emplace(std::make_pair(pid, e.worker), true).second) {
      separator();
      out << R"({"name":"thread_name","ph":"M","pid":)" << pid << ",\"tid\":" << e.worker << R"(,"args":{"name":)";
      write_json_string(out, worker_label(e.worker));
      out << "}}";
    }
    separator();
    out << "{\"name\":";
    write_json_string(out, e.name);
    std::snprintf(number, sizeof number, "%.3f", static_cast<double>(e.start_ns - origin) / 1e3);
    out << R"(,"cat":"operator","ph":"X","ts":)" << number;
    std::snprintf(number, sizeof number, "%.3f", static_cast<double>(e.end_ns - e.start_ns) / 1e3);
    out << ",\"dur\":" << number << ",\"pid\":" << pid << ",\"tid\":" << e.worker << "}";
  }
  out << "\n],\"displayTimeUnit\":\"ms\"}\n";
  if (!out) throw Error("profiler: failed while writing '" + path + "'");
}

}  // namespace

void enable() { detail::g_enabled.store(true); }
void disable() { detail::g_enabled.store(false); }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int register_worker(std::string label) { return recorder().register_worker(std::move(label)); }
std::string worker_label(int worker) { return recorder().worker_label(worker); }

void record(Event event) {
  ThreadBuffer& buffer = recorder().buffer_of_this_thread();
  std::lock_guard lock(buffer.mutex);
  buffer.events.push_back(std::move(event));
}

std::vector<Event> events() { return recorder().events(); }
void clear() { recorder().clear(); }
void write_chrome_trace(const std::string& path) { recorder().write(path); }

}  // namespace mx::engine::trace
