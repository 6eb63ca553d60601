// CUDA twins of convolution.cc's im2col and col2im, over 1 to 3 spatial axes. col2im gathers: each pixel sums
// the column entries that came from it, so no two threads write one place and the sum's order is fixed.
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

// Column entry (row, col): row = c * kernel_size + kk, col = n * out_size + l.
template <class T>
__global__ void im2col_kernel(const T* x, T* cols, Patches p, T fill) {
  const std::int64_t width = p.batch * p.out_size, n_total = p.channels * p.kernel_size * width;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < n_total;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t row = j / width, col = j % width;
    const std::int64_t c = row / p.kernel_size, n = col / p.out_size;
    std::int64_t kk = row % p.kernel_size, l = col % p.out_size, offset = 0, scale = 1;
    bool inside = true;
    for (int a = p.axes - 1; a >= 0; --a) {
      const std::int64_t k = kk % p.kernel[a], o = l % p.out[a];
      kk /= p.kernel[a];
      l /= p.out[a];
      const std::int64_t i = o * p.stride[a] - p.pad[a] + k * p.dilate[a];
      inside = inside && i >= 0 && i < p.in[a];
      offset += i * scale;
      scale *= p.in[a];
    }
    cols[j] = inside ? x[(n * p.channels + c) * p.image_size + offset] : fill;
  }
}

template <class T>
__global__ void col2im_kernel(const T* cols, T* x, Patches p) {
  const std::int64_t width = p.batch * p.out_size, n_total = p.batch * p.channels * p.image_size;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < n_total;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t plane = j / p.image_size, c = plane % p.channels, n = plane / p.channels;
    std::int64_t position[3] = {0, 0, 0}, rest = j % p.image_size;
    for (int a = p.axes - 1; a >= 0; --a) {
      position[a] = rest % p.in[a];
      rest /= p.in[a];
    }
    T sum = 0;
    for (std::int64_t kk = 0; kk < p.kernel_size; ++kk) {
      std::int64_t left = kk, l = 0, scale = 1;
      bool hit = true;
      for (int a = p.axes - 1; a >= 0 && hit; --a) {
        const std::int64_t k = left % p.kernel[a];
        left /= p.kernel[a];
        const std::int64_t shifted = position[a] + p.pad[a] - k * p.dilate[a];  // = o * stride
        const std::int64_t o = shifted / p.stride[a];
        hit = shifted >= 0 && shifted % p.stride[a] == 0 && o < p.out[a];
        l += o * scale;
        scale *= p.out[a];
      }
      if (hit) sum += cols[(c * p.kernel_size + kk) * width + n * p.out_size + l];
    }
    x[j] = sum;
  }
}

template <class Fn>
void dispatch_conv(int dtype, const char* what, Fn&& fn) {
  if (dtype == kF32) fn(float{});
  else if (dtype == kF64) fn(double{});
  else no_kernel(what, dtype);
}

}  // namespace

void im2col(int dtype, const void* x, void* cols, const Patches& p, double fill, Stream stream) {
  const std::int64_t n = p.channels * p.kernel_size * p.batch * p.out_size;
  if (n == 0) return;
  dispatch_conv(dtype, "im2col", [&](auto tag) {
    using T = decltype(tag);
    im2col_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const T*>(x), static_cast<T*>(cols), p,
                                                                     static_cast<T>(fill));
  });
  check_launch("im2col");
}

void col2im(int dtype, const void* cols, void* x, const Patches& p, Stream stream) {
  const std::int64_t n = p.batch * p.channels * p.image_size;
  if (n == 0) return;
  dispatch_conv(dtype, "col2im", [&](auto tag) {
    using T = decltype(tag);
    col2im_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const T*>(cols), static_cast<T*>(x), p);
  });
  check_launch("col2im");
}

}  // namespace mx::op::gpu
