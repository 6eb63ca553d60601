#pragma once
// Deletions of variables whose GPU work is still in flight (gpu_marks.h): rather than block the thread that
// made the deletion ready (often a GPU worker, which would then wait for its own stream), a thread of its own
// waits for the variable's events, then runs the deletion, so memory goes back to its pool only once the GPU
// is done with it. Started on the first such deletion.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace mx::engine::detail {

struct OprBlock;

class GpuReaper {
 public:
  // `run` performs a deletion whose GPU work is done (the engine's own execution of it).
  explicit GpuReaper(std::function<void(OprBlock*)> run) : run_(std::move(run)) {}
  ~GpuReaper();  // after the engine's pending work is done: the queue is empty
  GpuReaper(const GpuReaper&) = delete;
  GpuReaper& operator=(const GpuReaper&) = delete;

  void defer(OprBlock* deletion);
  // Leaves the thread running, for an engine that abandons work it cannot finish.
  void abandon();

 private:
  void loop();

  const std::function<void(OprBlock*)> run_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<OprBlock*> queue_;  // guarded by mutex_
  bool stop_ = false;            // guarded by mutex_
  std::thread thread_;           // started by the first defer, under mutex_
};

}  // namespace mx::engine::detail
