#pragma once
// What both engines keep per variable, and the list of variables an engine owns.
#include <tbb/spin_mutex.h>

#include <atomic>
#include <cstdint>
#include <vector>
#include <mutex>

#include <mx/engine/failure.h>
#include <mx/engine/gpu_marks.h>

namespace mx::engine {

class Var {
 public:
  // Held for a few pointer moves at a time, by the pushing thread and a completing worker at once on a chain:
  // spinning beats a futex sleep there.
  tbb::spin_mutex mutex;
  detail::FailurePtr failure;        // guarded by mutex; set when the last write failed, cleared by a good one
  std::atomic<bool> deleted{false};  // delete_variable was pushed; a later push is a usage error
  // For the profiler, while it records operations: who last wrote the variable and who read it since, in push
  // order; guarded by mutex.
  std::uint64_t trace_last_writer = 0;
  std::vector<std::uint64_t> trace_readers;
  // GPU work in flight on the variable (gpu_marks.h); guarded by mutex. `gpu_marked` is set with the first mark
  // and never cleared, so operations on arrays that never met a GPU skip the mutex.
  detail::GpuMarks gpu;
  std::atomic<bool> gpu_marked{false};

  Var* prev_live = nullptr;  // guarded by the owning LiveVars' mutex
  Var* next_live = nullptr;
};

namespace detail {

// The variables an engine made and has not deleted. Those still alive when the engine goes are freed with it:
// their handles die with the engine anyway.
template <class V>
class LiveVars {
 public:
  LiveVars() = default;
  LiveVars(const LiveVars&) = delete;
  LiveVars& operator=(const LiveVars&) = delete;
  ~LiveVars() {
    for (Var* v = head_; v != nullptr;) {
      Var* next = v->next_live;
      delete static_cast<V*>(v);
      v = next;
    }
  }

  V* make() {
    auto* v = new V();
    std::lock_guard lock(mutex_);
    v->next_live = head_;
    if (head_ != nullptr) head_->prev_live = v;
    head_ = v;
    return v;
  }

  void destroy(Var* v) {
    {
      std::lock_guard lock(mutex_);
      (v->prev_live != nullptr ? v->prev_live->next_live : head_) = v->next_live;
      if (v->next_live != nullptr) v->next_live->prev_live = v->prev_live;
    }
    delete static_cast<V*>(v);
  }

  // Leaves the variables allocated: for an engine that abandons work still using them.
  void abandon() {
    std::lock_guard lock(mutex_);
    head_ = nullptr;
  }

 private:
  std::mutex mutex_;
  Var* head_ = nullptr;  // guarded by mutex_
};

}  // namespace detail
}  // namespace mx::engine
