#include <mx/engine/gpu_timing.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <mx/engine/cuda_stream.h>
#include <mx/engine/logging.h>

namespace mx::engine::detail {
namespace {

constexpr int kMaxDevices = 64;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Pending {
  void* start;
  void* end;
  int device;
  trace::Event event;
};

struct Reference {
  void* event = nullptr;  // completed at host time `ns`
  std::int64_t ns = 0;
};

struct Timing {
  std::mutex mutex;
  std::vector<Pending> pending;          // guarded by mutex
  std::vector<trace::Event> resolved;    // guarded by mutex
  Reference references[kMaxDevices];     // guarded by mutex; set by the first timed operation per device
};

Timing& timing() {
  static auto* t = new Timing;  // never destroyed: workers may still time operations during exit
  return *t;
}

// The device's reference: an event on `stream`, waited for, and the host time it was seen to complete.
void ensure_reference(int device, void* stream) {
  Timing& t = timing();
  {
    std::lock_guard lock(t.mutex);
    if (t.references[device].event != nullptr) return;
  }
  void* event = cuda_timing_event_create();
  cuda_event_record(event, stream);
  cuda_event_synchronize(event);
  const std::int64_t ns = steady_ns();
  std::lock_guard lock(t.mutex);
  if (t.references[device].event == nullptr) t.references[device] = {event, ns};
}

}  // namespace

void* gpu_timing_begin(void* stream, int device) {
  ensure_reference(device, stream);
  void* start = cuda_timing_event_create();
  cuda_event_record(start, stream);
  return start;
}

void gpu_timing_end(void* start, void* stream, int device, trace::Event event) {
  void* end = cuda_timing_event_create();
  cuda_event_record(end, stream);
  Timing& t = timing();
  std::lock_guard lock(t.mutex);
  t.pending.push_back({start, end, device, std::move(event)});
}

std::vector<trace::Event> gpu_timed_events(bool take) {
  Timing& t = timing();
  std::lock_guard lock(t.mutex);
  for (Pending& p : t.pending) {
    try {
      cuda_event_synchronize(p.end);
      const Reference& ref = t.references[p.device];
      p.event.start_ns = ref.ns + std::llround(cuda_event_elapsed_ms(ref.event, p.start) * 1e6);
      p.event.end_ns = ref.ns + std::llround(cuda_event_elapsed_ms(ref.event, p.end) * 1e6);
      t.resolved.push_back(std::move(p.event));
    } catch (const std::exception& e) {  // the GPU work failed: its error belongs to a sync point
      log_warn("profiler: no device time for GPU operation '{}': {}", p.event.name, e.what());
    }
    cuda_event_destroy(p.start);
    cuda_event_destroy(p.end);
  }
  t.pending.clear();
  if (take) return std::exchange(t.resolved, {});
  return t.resolved;
}

}  // namespace mx::engine::detail
