#include <mx/engine/gpu_reaper.h>

#include <mx/engine/failure.h>
#include <mx/engine/gpu_marks.h>
#include <mx/engine/logging.h>
#include <mx/engine/operation.h>
#include <mx/engine/thread_name.h>

namespace mx::engine::detail {

GpuReaper::~GpuReaper() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void GpuReaper::abandon() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) thread_.detach();
}

void GpuReaper::defer(OprBlock* deletion) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(deletion);
    if (!thread_.joinable()) thread_ = std::thread([this] {
      set_thread_name("mx-gpu-reaper");
      loop();
    });
  }
  cv_.notify_one();
}

void GpuReaper::loop() {
  for (;;) {
    OprBlock* deletion;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      deletion = queue_.front();
      queue_.pop_front();
    }
    try {
      host_wait_marks(*deletion);
    } catch (...) {  // the GPU work failed: its error belongs to a sync point; the memory is released all the same
      log_error("GPU work on a deleted array failed: {}", describe(std::current_exception()));
    }
    run_(deletion);
  }
}

}  // namespace mx::engine::detail
