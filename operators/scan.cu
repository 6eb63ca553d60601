// CUDA twin of scan.cc: a thread per (outer, inner) line walks the axis, accumulating in the compute type.
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

template <bool kProduct, class T>
__global__ void scan_kernel(bool reverse, const T* x, T* y, std::int64_t outer, std::int64_t count, std::int64_t inner) {
  using E = Elem<T>;
  using C = typename E::C;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < outer * inner;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t base = (j / inner) * count * inner + j % inner;
    C running = kProduct ? C{1} : C{0};
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t at = base + (reverse ? count - 1 - k : k) * inner;
      // Integers wrap around in unsigned arithmetic, as the CPU's (a signed overflow is undefined).
      running = kProduct ? functors::Wrapping<functors::Mul>{}(running, E::load(x[at]))
                         : functors::Wrapping<functors::Add>{}(running, E::load(x[at]));
      y[at] = E::store(running);
    }
  }
}

}  // namespace

void scan(bool product, bool reverse, int dtype, const void* x, void* y, std::int64_t outer, std::int64_t count,
          std::int64_t inner, Stream stream) {
  if (outer * inner == 0) return;
  dispatch_arithmetic(dtype, product ? "cumprod" : "cumsum", [&](auto tag) {
    using T = decltype(tag);
    const auto blocks = blocks_for(outer * inner);
    if (product) scan_kernel<true><<<blocks, kThreads, 0, as_stream(stream)>>>(reverse, static_cast<const T*>(x), static_cast<T*>(y), outer, count, inner);
    else scan_kernel<false><<<blocks, kThreads, 0, as_stream(stream)>>>(reverse, static_cast<const T*>(x), static_cast<T*>(y), outer, count, inner);
  });
  check_launch("scan");
}

}  // namespace mx::op::gpu
