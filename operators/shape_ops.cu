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

namespace mx::op::gpu {
namespace {

template <class W>
__global__ void strided_copy_kernel(const W* src, W* dst, StridedCopy c, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    std::int64_t rest = i, from = c.src_offset, to = c.dst_offset;
    for (int d = c.ndim - 1; d >= 0; --d) {
      const std::int64_t index = rest % c.extent[d];
      rest /= c.extent[d];
      from += index * c.src_stride[d];
      to += index * c.dst_stride[d];
    }
    dst[to] = src[from];
  }
}

}  // namespace

void strided_copy(int dtype, const void* src, void* dst, const StridedCopy& c, Stream stream) {
  std::int64_t n = 1;
  for (int d = 0; d < c.ndim; ++d) n *= c.extent[d];
  if (n == 0) return;
  const auto launch = [&](auto word) {
    using W = decltype(word);
    strided_copy_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const W*>(src), static_cast<W*>(dst), c, n);
  };
  switch (dtype) {  // by element size: the bits move unchanged
    case kU8: case kI8: case kBool: launch(std::uint8_t{}); break;
    case kF16: case kBF16: launch(std::uint16_t{}); break;
    case kF32: case kI32: launch(std::uint32_t{}); break;
    default: launch(std::uint64_t{});
  }
  check_launch("strided copy");
}

}  // namespace mx::op::gpu
