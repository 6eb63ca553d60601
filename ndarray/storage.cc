#include <mx/ndarray/storage.h>

#include <array>
#include <bit>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <mx/engine/error.h>
#include <mx/engine/env.h>
#include <mx/engine/trace.h>
#include <mx/ndarray/device_memory.h>

namespace mx::storage {
namespace {

constexpr std::size_t kAlignment = 64;  // a cache line, and wide enough for any SIMD load

// The pool's counters in the profiler's trace; called under the pool's lock, so the values are in order.
void trace_pool(Context ctx, const PoolStats& stats) {
  if (!engine::trace::enabled(engine::trace::kMemory)) return;
  engine::trace::counter("pool in use", "memory", ctx, static_cast<double>(stats.live_bytes));
  engine::trace::counter("pool cached", "memory", ctx, static_cast<double>(stats.cached_bytes));
}

// Where a pool's blocks come from: host memory, a GPU's memory, or page-locked host memory.
struct Backend {
  virtual ~Backend() = default;
  virtual void* allocate(std::size_t size) = 0;  // nullptr when out of memory
  virtual void free(void* ptr) = 0;
  // Appended to out-of-memory messages ("; device: 1.2 GB free of 80 GB").
  virtual std::string state() { return ""; }
};

struct HostBackend final : Backend {
  void* allocate(std::size_t size) override { return std::aligned_alloc(kAlignment, size); }
  void free(void* ptr) override { std::free(ptr); }
};

struct PinnedBackend final : Backend {
  void* allocate(std::size_t size) override { return pinned_malloc(size); }
  void free(void* ptr) override { pinned_free(ptr); }
};

// One GPU's memory. MX_GPU_MEM_POOL_RESERVE (percent, default 5, as MXNet's) is kept free for the CUDA
// libraries' own workspaces: a request that would eat into it counts as out of memory.
class GpuBackend final : public Backend {
 public:
  explicit GpuBackend(int device) : device_(device), reserve_percent_(engine::detail::env_int("MX_GPU_MEM_POOL_RESERVE", 5, 0)) {}
  void* allocate(std::size_t size) override {
    std::size_t free_bytes = 0, total_bytes = 0;
    gpu_memory_info(device_, free_bytes, total_bytes);
    const std::size_t reserve = total_bytes / 100 * static_cast<std::size_t>(reserve_percent_);
    if (size > free_bytes || free_bytes - size < reserve) return nullptr;
    return gpu_malloc(device_, size);
  }
  void free(void* ptr) override { gpu_free(device_, ptr); }
  std::string state() override {
    return "; device: " + gpu_memory_state(device_) + ", " + std::to_string(reserve_percent_) +
           "% reserved (MX_GPU_MEM_POOL_RESERVE)";
  }

 private:
  const int device_;
  const int reserve_percent_;
};

// Released blocks are kept by size class and handed out again; the backend is asked only on a miss.
class CachingPool final : public Pool {
 public:
  CachingPool(Context ctx, std::unique_ptr<Backend> backend) : ctx_(ctx), backend_(std::move(backend)) {}

  Handle allocate(std::size_t bytes) override {
    const std::size_t size = size_class(bytes);
    {
      std::lock_guard lock(mutex_);
      ++stats_.allocations;
      auto it = cache_.find(size);
      if (it != cache_.end() && !it->second.empty()) {
        void* ptr = it->second.back();
        it->second.pop_back();
        ++stats_.reuses;
        stats_.cached_bytes -= size;
        stats_.live_bytes += size;
        trace_pool(ctx_, stats_);
        return {ptr, size, ctx_};
      }
    }
    void* ptr = backend_->allocate(size);
    if (ptr == nullptr) {
      release_all();
      ptr = backend_->allocate(size);
    }
    if (ptr == nullptr) {
      const std::string device_state = backend_->state();
      std::lock_guard lock(mutex_);
      throw Error(ctx_.str() + ": out of memory allocating " + std::to_string(bytes) + " bytes (size class " +
                  std::to_string(size) + "; pool: " + std::to_string(stats_.live_bytes) + " bytes in use, " +
                  std::to_string(stats_.cached_bytes) + " cached" + device_state + ")");
    }
    std::lock_guard lock(mutex_);
    stats_.live_bytes += size;
    trace_pool(ctx_, stats_);
    return {ptr, size, ctx_};
  }

  void release(Handle handle) override {
    if (handle.ptr == nullptr) return;
    std::lock_guard lock(mutex_);
    cache_[handle.size].push_back(handle.ptr);
    stats_.live_bytes -= handle.size;
    stats_.cached_bytes += handle.size;
    trace_pool(ctx_, stats_);
  }

  void release_all() override {
    std::unordered_map<std::size_t, std::vector<void*>> cached;
    {
      std::lock_guard lock(mutex_);
      cached.swap(cache_);
      stats_.cached_bytes = 0;
      trace_pool(ctx_, stats_);
    }
    for (auto& [size, blocks] : cached) {
      for (void* block : blocks) backend_->free(block);
    }
  }

  PoolStats stats() const override {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  const Context ctx_;
  const std::unique_ptr<Backend> backend_;
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> cache_;  // size class -> free blocks; guarded by mutex_
  PoolStats stats_;                                            // guarded by mutex_
};

}  // namespace

std::size_t size_class(std::size_t bytes) {
  if (bytes <= 512) return bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
  const std::size_t power = std::bit_floor(bytes - 1);  // bytes lies in (power, 2 * power]
  const std::size_t step = power / 4;
  return (bytes + step - 1) / step * step;
}

Pool& pool(Context ctx) {
  constexpr int kMaxDevices = 64;
  if (ctx.dev_id < 0 || ctx.dev_id >= kMaxDevices) throw Error(ctx.str() + " is not a usable context");
  if (ctx.dev_type == DeviceType::kGPU && ctx.dev_id >= num_gpus()) {
    throw Error(ctx.str() + " is not available: " + std::to_string(num_gpus()) + " CUDA device(s) found");
  }
  // Pinned memory needs the CUDA runtime; without it, pinned arrays are plain host memory.
  const bool pinned = ctx.dev_type == DeviceType::kCPUPinned && num_gpus() > 0;
  const int kind = ctx.dev_type == DeviceType::kGPU ? 1 : (pinned ? 2 : 0);
  // Never destroyed: arrays freed during static destruction still return their blocks here.
  using Pools = std::array<std::array<std::unique_ptr<CachingPool>, kMaxDevices>, 3>;
  static Pools* pools = new Pools();
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto& slot = (*pools)[kind][ctx.dev_id];
  if (!slot) {
    switch (kind) {
      case 1: slot = std::make_unique<CachingPool>(ctx, std::make_unique<GpuBackend>(ctx.dev_id)); break;
      case 2: slot = std::make_unique<CachingPool>(cpu_pinned(ctx.dev_id), std::make_unique<PinnedBackend>()); break;
      default: slot = std::make_unique<CachingPool>(cpu(ctx.dev_id), std::make_unique<HostBackend>());
    }
  }
  return *slot;
}

}  // namespace mx::storage
