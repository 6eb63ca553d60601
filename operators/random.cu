// CUDA twin of random.cc for the uniform and normal distributions: element i of a call draws from the same
// ElementRng(key, i) as on the CPU, so a seed gives the same values on either device.
#include <mx/operators/element_rng.h>
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

template <bool kNormal, class T>
__global__ void random_kernel(T* y, std::int64_t n, double a, double b, std::uint64_t key) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    random::ElementRng rng(key, static_cast<std::uint64_t>(i));
    const double v = kNormal ? a + b * rng.normal() : a + (b - a) * rng.uniform();
    y[i] = Elem<T>::store(static_cast<typename Elem<T>::C>(v));
  }
}

template <bool kNormal>
void draw(int dtype, void* y, std::int64_t n, double a, double b, std::uint64_t key, Stream stream) {
  if (n == 0) return;
  dispatch_floating(dtype, kNormal ? "random normal" : "random uniform", [&](auto tag) {
    using T = decltype(tag);
    random_kernel<kNormal><<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<T*>(y), n, a, b, key);
  });
  check_launch("random");
}

}  // namespace

void random_uniform(int dtype, void* y, std::int64_t n, double low, double high, std::uint64_t key, Stream stream) {
  draw<false>(dtype, y, n, low, high, key, stream);
}
void random_normal(int dtype, void* y, std::int64_t n, double mean, double stddev, std::uint64_t key, Stream stream) {
  draw<true>(dtype, y, n, mean, stddev, key, stream);
}

}  // namespace mx::op::gpu
