#include <mx/engine/device_pools.h>

#include <string>

#include <mx/engine/error.h>

namespace mx::engine::detail {

DevicePools::DevicePools(const EngineConfig& config, ThreadedEngine& engine) : config_(config), engine_(engine) {}

DevicePools::~DevicePools() {
  // Pools before streams: a GPU worker's last operation may still be returning.
  for (auto& gpu : owned_gpu_) {
    gpu->compute.clear();
    gpu->copy_to_gpu.reset();
    gpu->copy_from_gpu.reset();
    gpu->prioritized.reset();
  }
}

void DevicePools::ensure(Context ctx) {
  if (ctx.dev_type == DeviceType::kGPU) {
    if (ctx.dev_id >= 0 && ctx.dev_id < kMaxGpuDevices && gpu_[ctx.dev_id].load(std::memory_order_acquire)) return;
    const int available = cuda_device_count();
    if (ctx.dev_id < 0 || ctx.dev_id >= available || ctx.dev_id >= kMaxGpuDevices) {
      throw EngineError(ctx.str() + " is not available: " + std::to_string(available) + " CUDA device(s) found");
    }
    std::lock_guard lock(mutex_);
    if (!gpu_[ctx.dev_id].load(std::memory_order_relaxed)) make_gpu(ctx.dev_id);
    return;
  }
  if (ctx.dev_id < 0 || ctx.dev_id >= kMaxCpuDevices) {
    throw EngineError(ctx.str() + " is not a usable context: CPU device ids go from 0 to " +
                      std::to_string(kMaxCpuDevices - 1));
  }
  if (cpu_[ctx.dev_id].load(std::memory_order_acquire)) return;
  std::lock_guard lock(mutex_);
  if (!cpu_[ctx.dev_id].load(std::memory_order_relaxed)) make_cpu(ctx.dev_id);
}

void DevicePools::make_cpu(int dev_id) {
  if (!cpu_prioritized_.load(std::memory_order_relaxed)) {
    owned_cpu_.push_back(std::make_unique<WorkerPool>("cpu prioritized", RunContext{cpu(0)},
                                                      config_.cpu_priority_workers, WorkerPool::Order::kPriority,
                                                      engine_));
    cpu_prioritized_.store(owned_cpu_.back().get(), std::memory_order_release);
  }
  const Context ctx = cpu(dev_id);
  owned_cpu_.push_back(std::make_unique<WorkerPool>(ctx.str() + " worker", RunContext{ctx}, config_.cpu_workers,
                                                    WorkerPool::Order::kFifo, engine_));
  cpu_[dev_id].store(owned_cpu_.back().get(), std::memory_order_release);
}

void DevicePools::make_gpu(int dev_id) {
  auto gpu = std::make_unique<Gpu>();
  const Context ctx = mx::gpu(dev_id);
  auto stream_pool = [&](const std::string& name, WorkerPool::Order order) {
    gpu->streams.push_back(std::make_unique<CudaStream>(dev_id));
    return std::make_unique<WorkerPool>(ctx.str() + " " + name, RunContext{ctx, gpu->streams.back()->handle()}, 1,
                                        order, engine_);
  };
  for (int i = 0; i < config_.gpu_compute_streams; ++i) {
    gpu->compute.push_back(stream_pool("compute " + std::to_string(i), WorkerPool::Order::kFifo));
  }
  gpu->copy_to_gpu = stream_pool("copy host-to-device", WorkerPool::Order::kPriority);
  gpu->copy_from_gpu = stream_pool("copy device-to-host", WorkerPool::Order::kPriority);
  gpu->prioritized = stream_pool("prioritized", WorkerPool::Order::kPriority);
  gpu_[dev_id].store(gpu.get(), std::memory_order_release);
  owned_gpu_.push_back(std::move(gpu));
}

void DevicePools::synchronize_gpus() {
  for (auto& slot : gpu_) {
    Gpu* gpu = slot.load(std::memory_order_acquire);
    if (gpu == nullptr) continue;
    for (const auto& stream : gpu->streams) cuda_synchronize(stream->handle());
  }
}

WorkerPool& DevicePools::route(Context ctx, FnProperty prop) {
  if (ctx.dev_type != DeviceType::kGPU) {
    if (prop == FnProperty::kPrioritized) return *cpu_prioritized_.load(std::memory_order_acquire);
    return *cpu_[ctx.dev_id].load(std::memory_order_acquire);
  }
  Gpu& gpu = *gpu_[ctx.dev_id].load(std::memory_order_acquire);
  switch (prop) {
    case FnProperty::kCopyToGPU: return *gpu.copy_to_gpu;
    case FnProperty::kCopyFromGPU: return *gpu.copy_from_gpu;
    case FnProperty::kPrioritized: return *gpu.prioritized;
    default: {
      const unsigned i = gpu.next_compute.fetch_add(1, std::memory_order_relaxed) % gpu.compute.size();
      return *gpu.compute[i];
    }
  }
}

}  // namespace mx::engine::detail
