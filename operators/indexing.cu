// CUDA twins of indexing.cc's take and _take_backward; the backward adds with atomics where indices repeat.
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

__device__ inline std::int64_t resolve(double raw, std::int64_t extent, bool wrap) {
  std::int64_t k = float_to_integer<std::int64_t>(raw);  // as the CPU's: NaN is 0, beyond int64 saturates
  if (wrap) return ((k % extent) + extent) % extent;
  return k < 0 ? 0 : (k > extent - 1 ? extent - 1 : k);
}

template <class W>
__global__ void take_kernel(const W* x, int index_dtype, const void* index, std::int64_t count, bool wrap, W* y,
                            std::int64_t outer, std::int64_t extent, std::int64_t inner) {
  const std::int64_t n = outer * count * inner;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t i = j % inner, row = j / inner, o = row / count;
    const std::int64_t k = resolve(load_as_double(index_dtype, index, row % count), extent, wrap);
    y[j] = x[(o * extent + k) * inner + i];
  }
}

template <class T>
__global__ void take_backward_kernel(const T* g, int index_dtype, const void* index, std::int64_t count, bool wrap,
                                     T* dx, std::int64_t outer, std::int64_t extent, std::int64_t inner) {
  const std::int64_t n = outer * count * inner;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t i = j % inner, row = j / inner, o = row / count;
    const std::int64_t k = resolve(load_as_double(index_dtype, index, row % count), extent, wrap);
    atomicAdd(dx + (o * extent + k) * inner + i, g[j]);
  }
}

}  // namespace

void take(int dtype, const void* x, int index_dtype, const void* index, std::int64_t count, bool wrap, void* y,
          std::int64_t outer, std::int64_t extent, std::int64_t inner, Stream stream) {
  const std::int64_t n = outer * count * inner;
  if (n == 0) return;
  const auto launch = [&](auto word) {
    using W = decltype(word);
    take_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const W*>(x), index_dtype, index, count,
                                                                  wrap, static_cast<W*>(y), outer, extent, inner);
  };
  switch (dtype) {
    case kU8: case kI8: case kBool: launch(std::uint8_t{}); break;
    case kF16: case kBF16: launch(std::uint16_t{}); break;
    case kF32: case kI32: launch(std::uint32_t{}); break;
    default: launch(std::uint64_t{});
  }
  check_launch("take");
}

void take_backward(int dtype, const void* g, int index_dtype, const void* index, std::int64_t count, bool wrap,
                   void* dx, std::int64_t outer, std::int64_t extent, std::int64_t inner, Stream stream) {
  fill(dtype, dx, 0, outer * extent * inner, stream);
  const std::int64_t n = outer * count * inner;
  if (n == 0) return;
  dispatch_floating(dtype, "_take_backward", [&](auto tag) {
    using T = decltype(tag);
    take_backward_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(
        static_cast<const T*>(g), index_dtype, index, count, wrap, static_cast<T*>(dx), outer, extent, inner);
  });
  check_launch("_take_backward");
}

}  // namespace mx::op::gpu
