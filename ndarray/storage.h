#pragma once
// Pooled memory for array data, one pool per context. Released blocks are kept by size class and handed out
// again, so a training loop that makes the same temporaries every step stops calling the system allocator
// after its first step. Thread-safe.
#include <cstddef>
#include <cstdint>

#include <mx/engine/context.h>

namespace mx::storage {

struct Handle {
  void* ptr = nullptr;
  std::size_t size = 0;  // the size class reserved: at least what was asked
  Context ctx;
};

struct PoolStats {
  std::size_t live_bytes = 0;     // handed out, not yet released
  std::size_t cached_bytes = 0;   // released and kept for reuse
  std::uint64_t allocations = 0;  // calls to allocate
  std::uint64_t reuses = 0;       // of those, served from the cache
};

// The size class of a request: multiples of 64 bytes up to 512, then four classes per power of two, so a block
// wastes less than a quarter of itself.
std::size_t size_class(std::size_t bytes);

class Pool {
 public:
  virtual ~Pool() = default;
  // Throws mx::Error naming the context, the request and the pool's state when memory runs out, after
  // returning the cache to the system and trying once more.
  virtual Handle allocate(std::size_t bytes) = 0;
  virtual void release(Handle handle) = 0;
  // Returns every cached block to the system.
  virtual void release_all() = 0;
  virtual PoolStats stats() const = 0;
};

// The process-wide pool of a context: host memory for cpu(i), the device's memory for gpu(i) (cudaMalloc'd
// once per block, MX_GPU_MEM_POOL_RESERVE percent of the device kept free), page-locked host memory for
// cpu_pinned(i). Throws mx::Error for a GPU that is not there.
Pool& pool(Context ctx);

}  // namespace mx::storage
