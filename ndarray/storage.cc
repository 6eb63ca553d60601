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
#include <mx/engine/trace.h>

namespace mx::storage {
namespace {

constexpr std::size_t kAlignment = 64;  // a cache line, and wide enough for any SIMD load

// The pool's counters in the profiler's trace; called under the pool's lock, so the values are in order.
void trace_pool(Context ctx, const PoolStats& stats) {
  if (!engine::trace::enabled(engine::trace::kMemory)) return;
  engine::trace::counter("pool in use", "memory", ctx, static_cast<double>(stats.live_bytes));
  engine::trace::counter("pool cached", "memory", ctx, static_cast<double>(stats.cached_bytes));
}

class CpuPool final : public Pool {
 public:
  explicit CpuPool(Context ctx) : ctx_(ctx) {}

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
    void* ptr = std::aligned_alloc(kAlignment, size);
    if (ptr == nullptr) {
      release_all();
      ptr = std::aligned_alloc(kAlignment, size);
    }
    std::lock_guard lock(mutex_);
    if (ptr == nullptr) {
      throw Error(ctx_.str() + ": out of memory allocating " + std::to_string(bytes) + " bytes (size class " +
                  std::to_string(size) + "; pool: " + std::to_string(stats_.live_bytes) + " bytes in use, " +
                  std::to_string(stats_.cached_bytes) + " cached)");
    }
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
      for (void* block : blocks) std::free(block);
    }
  }

  PoolStats stats() const override {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  const Context ctx_;
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
  if (ctx.dev_type == DeviceType::kGPU) throw Error(ctx.str() + ": GPU memory pools come with the GPU backend");
  constexpr int kMaxCpuDevices = 64;
  if (ctx.dev_id < 0 || ctx.dev_id >= kMaxCpuDevices) throw Error(ctx.str() + " is not a usable context");
  // Never destroyed: arrays freed during static destruction still return their blocks here.
  static std::array<std::unique_ptr<CpuPool>, kMaxCpuDevices>* pools =
      new std::array<std::unique_ptr<CpuPool>, kMaxCpuDevices>();
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto& slot = (*pools)[ctx.dev_id];
  if (!slot) slot = std::make_unique<CpuPool>(Context{DeviceType::kCPU, ctx.dev_id});
  return *slot;
}

}  // namespace mx::storage
