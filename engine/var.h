#pragma once
// What both engines keep per variable, and the list of variables an engine owns.
#include <tbb/spin_mutex.h>

#include <atomic>
#include <cstdint>
#include <vector>
#include <mutex>

#include <mx/engine/cross_thread_alloc.h>
#include <mx/engine/failure.h>
#include <mx/engine/gpu_marks.h>

namespace mx::engine {

class Var {
 public:
  // Made by the pushing thread, deleted by a worker (cross_thread_alloc.h).
  static void* operator new(std::size_t bytes) { return cross_thread_allocate(bytes); }
  static void operator delete(void* block) noexcept { cross_thread_free(block); }

  // Held for a few pointer moves at a time, by the pushing thread and a completing worker at once on a chain:
  // spinning beats a futex sleep there.
  tbb::spin_mutex mutex;
  detail::FailurePtr failure;        // guarded by mutex; set when the last write failed, cleared by a good one
  std::atomic<bool> deleted{false};  // delete_variable was pushed; a later push is a usage error
  // For the profiler, while it records operations: the last traced operation that wrote the variable, or the
  // variable's number where none has (trace::VarTouch); guarded by mutex.
  std::uint64_t trace_last_writer = 0;
  // GPU work in flight on the variable (gpu_marks.h); guarded by mutex. `gpu_marked` is set with the first mark
  // and never cleared, so operations on arrays that never met a GPU skip the mutex.
  detail::GpuMarks gpu;
  std::atomic<bool> gpu_marked{false};

  Var* prev_live = nullptr;  // guarded by the owning LiveVars' mutex
  Var* next_live = nullptr;
  Var* next_deleted = nullptr;  // once deleted: the owning LiveVars' stack of variables to free
};

namespace detail {

// The variables an engine made and has not deleted. Those still alive when the engine goes are freed with it:
// their handles die with the engine anyway. A deleted variable is unlinked and freed by the next make(), on the
// thread that makes variables, not by the worker that ran its deletion: the two threads would otherwise meet on
// the list's lock at every array (workers yielded their core waiting for it).
template <class V>
class LiveVars {
 public:
  LiveVars() = default;
  LiveVars(const LiveVars&) = delete;
  LiveVars& operator=(const LiveVars&) = delete;
  ~LiveVars() {
    free_deleted();
    for (Var* v = head_; v != nullptr;) {
      Var* next = v->next_live;
      delete static_cast<V*>(v);
      v = next;
    }
  }

  V* make() {
    auto* v = new V();
    std::lock_guard lock(mutex_);
    free_deleted();
    v->next_live = head_;
    if (head_ != nullptr) head_->prev_live = v;
    head_ = v;
    return v;
  }

  // From any thread, without waiting: the variable joins the ones the next make() frees.
  void destroy(Var* v) {
    Var* first = deleted_.load(std::memory_order_relaxed);
    do {
      v->next_deleted = first;
    } while (!deleted_.compare_exchange_weak(first, v, std::memory_order_release, std::memory_order_relaxed));
  }

  // Leaves the variables allocated: for an engine that abandons work still using them.
  void abandon() {
    std::lock_guard lock(mutex_);
    head_ = nullptr;
    deleted_.store(nullptr, std::memory_order_relaxed);
  }

 private:
  // Under mutex_, or in the destructor.
  void free_deleted() {
    for (Var* v = deleted_.exchange(nullptr, std::memory_order_acquire); v != nullptr;) {
      Var* next = v->next_deleted;
      (v->prev_live != nullptr ? v->prev_live->next_live : head_) = v->next_live;
      if (v->next_live != nullptr) v->next_live->prev_live = v->prev_live;
      delete static_cast<V*>(v);
      v = next;
    }
  }

  tbb::spin_mutex mutex_;  // taken by make() alone, so only threads that make variables at once meet here
  Var* head_ = nullptr;    // guarded by mutex_
  std::atomic<Var*> deleted_{nullptr};  // a stack, linked through Var::next_deleted
};

}  // namespace detail
}  // namespace mx::engine
