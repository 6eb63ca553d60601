// CUDA twin of normalization.cc's _scale_shift_channels: y = x * scale[c] + shift[c] along the channel axis.
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

template <class T>
__global__ void scale_shift_kernel(const T* x, const T* scale, const T* shift, T* y, std::int64_t n,
                                   std::int64_t channels, std::int64_t inner) {
  using E = Elem<T>;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t c = (j / inner) % channels;
    y[j] = E::store(E::load(x[j]) * E::load(scale[c]) + E::load(shift[c]));
  }
}

}  // namespace

void scale_shift(int dtype, const void* x, const void* scale, const void* shift, void* y, std::int64_t outer,
                 std::int64_t channels, std::int64_t inner, Stream stream) {
  const std::int64_t n = outer * channels * inner;
  if (n == 0) return;
  dispatch_arithmetic(dtype, "_scale_shift_channels", [&](auto tag) {
    using T = decltype(tag);
    scale_shift_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(
        static_cast<const T*>(x), static_cast<const T*>(scale), static_cast<const T*>(shift), static_cast<T*>(y), n,
        channels, inner);
  });
  check_launch("_scale_shift_channels");
}

}  // namespace mx::op::gpu
