// CUDA twin of shape_ops.cc's transpose: each output element gathers its input through the permuted strides.
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

struct Permutation {
  int ndim = 0;
  std::int64_t out_extent[kMaxDims] = {};
  std::int64_t in_stride[kMaxDims] = {};  // the input stride of each output axis
};

template <class T>
__global__ void transpose_kernel(const T* x, T* y, std::int64_t n, Permutation p) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    std::int64_t rest = i, offset = 0;
    for (int d = p.ndim - 1; d >= 0; --d) {
      offset += (rest % p.out_extent[d]) * p.in_stride[d];
      rest /= p.out_extent[d];
    }
    y[i] = x[offset];
  }
}

}  // namespace

void transpose(int dtype, const void* x, void* y, int ndim, const std::int64_t* x_shape, const int* axes,
               Stream stream) {
  Permutation p;
  p.ndim = ndim;
  std::int64_t stride[kMaxDims] = {}, n = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    stride[d] = n;
    n *= x_shape[d];
  }
  for (int d = 0; d < ndim; ++d) {
    p.out_extent[d] = x_shape[axes[d]];
    p.in_stride[d] = stride[axes[d]];
  }
  if (n == 0) return;
  dispatch_all(dtype, "transpose", [&](auto tag) {
    using T = decltype(tag);
    transpose_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const T*>(x), static_cast<T*>(y), n, p);
  });
  check_launch("transpose");
}

}  // namespace mx::op::gpu
