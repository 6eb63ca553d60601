#include "simulated_gpus.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <mx/engine/error.h>

namespace mx::test {
namespace {

using Clock = std::chrono::steady_clock;

// A point of a stream, made by recording an event: reached once the work launched before it is done. It keeps
// what that work since the previous point failed with, and when it was reached (for timing events).
struct Stream;
struct Point {
  std::shared_ptr<Stream> stream;
  std::uint64_t position = 0;  // the stream's count of finished tasks once the point is reached
  std::string error;           // set before the point is reached, read after
  Clock::time_point reached;
};

struct Stream : std::enable_shared_from_this<Stream> {
  Stream() : thread([this] { run(); }) {}
  ~Stream() { stop(); }

  // Runs what was launched, then ends the thread. Points may keep the stream after: waits on them return.
  void stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    if (thread.joinable()) thread.join();
  }

  void launch(std::function<void()> work) {
    {
      std::lock_guard lock(mutex);
      tasks.push_back(std::move(work));
      ++launched;
    }
    changed.notify_all();
  }

  // A point after everything launched so far; the task that reaches it takes the failures since the last point.
  std::shared_ptr<Point> mark() {
    auto point = std::make_shared<Point>();
    point->stream = shared_from_this();
    std::lock_guard lock(mutex);
    tasks.push_back([this, point] {
      std::lock_guard inner(mutex);
      point->error = std::exchange(failed_since_mark, {});
      point->reached = Clock::now();
    });
    point->position = ++launched;
    changed.notify_all();
    return point;
  }

  void wait_for(std::uint64_t position) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return finished >= position; });
  }

  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stopping || !tasks.empty(); });
        if (tasks.empty()) return;  // stopping, and everything launched has run
        task = std::move(tasks.front());
        tasks.pop_front();
      }
      std::string failure;
      try {
        task();
      } catch (const std::exception& e) {
        failure = e.what();
      } catch (...) {
        failure = "unknown failure";
      }
      {
        std::lock_guard lock(mutex);
        if (!failure.empty() && failed_since_mark.empty()) failed_since_mark = "simulated GPU work failed: " + failure;
        ++finished;
      }
      changed.notify_all();
    }
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::function<void()>> tasks;  // guarded by mutex
  std::uint64_t launched = 0;               // guarded by mutex
  std::uint64_t finished = 0;               // guarded by mutex
  std::string failed_since_mark;            // guarded by mutex
  bool stopping = false;                    // guarded by mutex
  std::thread thread;                       // last: started once the rest is made
};

// An event: the point it was last recorded at (none yet: waits for it wait for nothing, as CUDA's).
struct Event {
  std::mutex mutex;
  std::shared_ptr<Point> point;  // guarded by mutex
  std::shared_ptr<Point> last() {
    std::lock_guard lock(mutex);
    return point;
  }
};

// What stream_create hands out: the stream, shared with the points recorded on it.
struct StreamHandle {
  std::shared_ptr<Stream> stream;
};

const std::shared_ptr<Stream>& stream_of(void* stream) { return static_cast<StreamHandle*>(stream)->stream; }
Event& event_of(void* event) { return *static_cast<Event*>(event); }

void report(const Point& point) {
  if (!point.error.empty()) throw EngineError(point.error);
}

thread_local int tls_device = -1;

void check_device(int device, int devices) {
  if (device < 0 || device >= devices) throw EngineError("simulated GPUs: no device " + std::to_string(device));
}

}  // namespace

int SimulatedGpus::current_device() { return tls_device; }

void SimulatedGpus::launch(void* stream, std::function<void()> work) { stream_of(stream)->launch(std::move(work)); }

void SimulatedGpus::set_device(int device) {
  check_device(device, devices_);
  tls_device = device;
}

void SimulatedGpus::synchronize(void* stream) {
  const std::shared_ptr<Point> point = stream_of(stream)->mark();
  point->stream->wait_for(point->position);
  report(*point);
}

void* SimulatedGpus::event_create(bool) { return new Event; }

void SimulatedGpus::event_record(void* event, void* stream) {
  std::shared_ptr<Point> point = stream_of(stream)->mark();
  std::lock_guard lock(event_of(event).mutex);
  event_of(event).point = std::move(point);
}

void SimulatedGpus::stream_wait_event(void* stream, void* event) {
  std::shared_ptr<Point> point = event_of(event).last();
  if (point == nullptr) return;
  stream_of(stream)->launch([point] { point->stream->wait_for(point->position); });
}

void SimulatedGpus::event_synchronize(void* event) {
  const std::shared_ptr<Point> point = event_of(event).last();
  if (point == nullptr) return;
  point->stream->wait_for(point->position);
  report(*point);
}

double SimulatedGpus::event_elapsed_ms(void* from, void* to) {
  const std::shared_ptr<Point> a = event_of(from).last(), b = event_of(to).last();
  if (a == nullptr || b == nullptr) throw EngineError("simulated GPUs: elapsed time of an event never recorded");
  a->stream->wait_for(a->position);
  b->stream->wait_for(b->position);
  return std::chrono::duration<double, std::milli>(b->reached - a->reached).count();
}

void SimulatedGpus::event_destroy(void* event) { delete &event_of(event); }

void* SimulatedGpus::stream_create(int device) {
  check_device(device, devices_);
  return new StreamHandle{std::make_shared<Stream>()};
}

void SimulatedGpus::stream_destroy(int, void* stream) {
  auto* handle = static_cast<StreamHandle*>(stream);
  handle->stream->stop();
  delete handle;
}

}  // namespace mx::test
