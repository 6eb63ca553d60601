#pragma once
// Where the threaded engine sends ready work: per CPU context a worker pool, one small priority pool for CPU,
// and per GPU its compute streams, a host-to-device and a device-to-host copy stream and a priority stream,
// each served by its own worker. Pools are made on a context's first push.
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <mx/engine/cuda_stream.h>
#include <mx/engine/engine.h>
#include <mx/engine/worker_pool.h>

namespace mx::engine::detail {

class DevicePools {
 public:
  static constexpr int kMaxCpuDevices = 64;
  static constexpr int kMaxGpuDevices = 16;

  DevicePools(const EngineConfig& config, ThreadedEngine& engine);
  ~DevicePools();

  // Makes the pools `ctx` needs; throws mx::EngineError for a context that cannot run work.
  void ensure(Context ctx);
  // Thread-safe once ensure(ctx) has returned.
  WorkerPool& route(Context ctx, FnProperty prop);
  // Waits for every stream of every GPU in use; throws mx::EngineError with CUDA's message for failed work.
  void synchronize_gpus();

 private:
  struct Gpu {
    std::vector<std::unique_ptr<CudaStream>> streams;  // destroyed after the pools that use them
    std::vector<std::unique_ptr<WorkerPool>> compute;
    std::unique_ptr<WorkerPool> copy_to_gpu, copy_from_gpu, prioritized;
    std::atomic<unsigned> next_compute{0};
  };

  void make_cpu(int dev_id);   // with mutex_ held
  void make_gpu(int dev_id);   // with mutex_ held

  const EngineConfig config_;
  ThreadedEngine& engine_;
  std::mutex mutex_;  // serialises making pools; routing reads the atomics below without it
  std::array<std::atomic<WorkerPool*>, kMaxCpuDevices> cpu_{};
  std::array<std::atomic<Gpu*>, kMaxGpuDevices> gpu_{};
  std::atomic<WorkerPool*> cpu_prioritized_{nullptr};
  std::vector<std::unique_ptr<WorkerPool>> owned_cpu_;  // guarded by mutex_
  std::vector<std::unique_ptr<Gpu>> owned_gpu_;         // guarded by mutex_
};

}  // namespace mx::engine::detail
