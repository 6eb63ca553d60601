#include <mx/engine/gpu_marks.h>

#include <atomic>
#include <mutex>
#include <string>

#include <mx/engine/cuda_stream.h>
#include <mx/engine/env.h>
#include <mx/engine/error.h>
#include <mx/engine/operation.h>
#include <mx/engine/var.h>

namespace mx::engine::detail {

class GpuEvent {
 public:
  GpuEvent(void* event, void* stream, int device) : event_(event), stream_(stream), device_(device) {}
  void* event() const { return event_; }
  void* stream() const { return stream_; }
  int device() const { return device_; }

 private:
  void* event_;
  void* stream_;
  int device_;
};

namespace {

std::atomic<bool> g_in_use{false};

// Events are reused: creating one costs more than recording it. An event belongs to the device current when it
// was made, and is recorded only on that device's streams: one pool per device.
class EventPool {
 public:
  void* take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        void* e = free_.back();
        free_.pop_back();
        return e;
      }
    }
    return cuda_event_create();
  }
  void give_back(void* e) {
    std::lock_guard lock(mutex_);
    free_.push_back(e);
  }

 private:
  std::mutex mutex_;
  std::vector<void*> free_;  // guarded by mutex_; never destroyed (events may be dropped during static exit)
};

constexpr int kMaxDevices = 64;

EventPool& pool(int device) {
  static auto* pools = new EventPool[kMaxDevices];  // never destroyed, as the events
  return pools[device];
}

// On the calling thread, whose current device is `device` (a GPU worker's).
GpuEventPtr record(void* stream, int device) {
  void* e = pool(device).take();
  try {
    cuda_event_record(e, stream);
  } catch (...) {
    pool(device).give_back(e);
    throw;
  }
  return GpuEventPtr(new GpuEvent(e, stream, device), [](const GpuEvent* ev) {
    pool(ev->device()).give_back(ev->event());
    delete ev;
  });
}

// Relaxed: a mark set by an operation this one depends on is visible through the engine's ordering of the two;
// one set by an unrelated operation concerns nothing this operation must wait for.
bool ever_marked(const Var* var) { return var->gpu_marked.load(std::memory_order_relaxed); }

// The events `entry`'s operation must wait for: the last write, and for a writer the reads since.
void collect(const VarEntry& entry, std::vector<GpuEventPtr>& out) {
  if (!ever_marked(entry.var)) return;
  std::lock_guard lock(entry.var->mutex);
  const GpuMarks& m = entry.var->gpu;
  if (m.write) out.push_back(m.write);
  if (entry.write) out.insert(out.end(), m.reads.begin(), m.reads.end());
}

}  // namespace

bool gpu_sync_each_op() {
  static const bool sync = env_int("MX_GPU_SYNC_EACH_OP", 0, 0) != 0;
  return sync;
}

bool gpu_marks_in_use() { return g_in_use.load(std::memory_order_relaxed); }

void wait_marks_on_stream(OprBlock& op, void* stream) {
  if (!gpu_marks_in_use()) return;
  std::vector<GpuEventPtr> events;
  for (const VarEntry& entry : op.entries()) collect(entry, events);
  for (const GpuEventPtr& e : events) {
    if (e->stream() != stream) cuda_stream_wait_event(stream, e->event());  // the same stream keeps order itself
  }
}

void mark_after_stream_op(OprBlock& op, void* stream, int device) {
  if (device < 0 || device >= kMaxDevices) throw EngineError("gpu(" + std::to_string(device) + "): no such device");
  g_in_use.store(true, std::memory_order_relaxed);
  const GpuEventPtr e = record(stream, device);
  for (const VarEntry& entry : op.entries()) {
    std::lock_guard lock(entry.var->mutex);
    entry.var->gpu_marked.store(true, std::memory_order_relaxed);
    GpuMarks& m = entry.var->gpu;
    if (entry.write) {
      m.write = e;
      m.reads.clear();
      continue;
    }
    bool replaced = false;
    for (GpuEventPtr& r : m.reads) {
      if (r->stream() == stream) {  // a later event on one stream stands for the earlier
        r = e;
        replaced = true;
      }
    }
    if (!replaced) m.reads.push_back(e);
  }
}

void clear_marks_after_sync(OprBlock& op) {
  if (!gpu_marks_in_use()) return;
  for (const VarEntry& entry : op.entries()) {
    if (!entry.write || !ever_marked(entry.var)) continue;
    std::lock_guard lock(entry.var->mutex);
    entry.var->gpu = {};
  }
}

bool has_marks(OprBlock& op) {
  if (!gpu_marks_in_use()) return false;
  for (const VarEntry& entry : op.entries()) {
    if (!ever_marked(entry.var)) continue;
    std::lock_guard lock(entry.var->mutex);
    if (!entry.var->gpu.empty()) return true;
  }
  return false;
}

void host_wait_marks(OprBlock& op) {
  if (!gpu_marks_in_use()) return;
  std::vector<GpuEventPtr> events;
  for (const VarEntry& entry : op.entries()) {
    if (!ever_marked(entry.var)) continue;
    std::lock_guard lock(entry.var->mutex);
    const GpuMarks& m = entry.var->gpu;
    if (m.write) events.push_back(m.write);
    events.insert(events.end(), m.reads.begin(), m.reads.end());
  }
  for (const GpuEventPtr& e : events) cuda_event_synchronize(e->event());
}

void host_wait_var(Var* var, bool reads_too) {
  if (!gpu_marks_in_use() || !ever_marked(var)) return;
  std::vector<GpuEventPtr> events;
  {
    std::lock_guard lock(var->mutex);
    if (var->gpu.write) events.push_back(var->gpu.write);
    if (reads_too) events.insert(events.end(), var->gpu.reads.begin(), var->gpu.reads.end());
  }
  for (const GpuEventPtr& e : events) cuda_event_synchronize(e->event());
}

}  // namespace mx::engine::detail
