// CUDA twins of nn.cc's softmax, log_softmax and softmax_cross_entropy (forward and backward), in the same
// numerically stable form: subtract the maximum, sum the exponentials in the compute type.
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

template <class T>
using math_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// The block's maximum or sum of `value`, seen by every thread. blockDim.x is a power of two up to kThreads.
template <bool kMax, class C>
__device__ C block_reduce(C value, C* scratch) {
  scratch[threadIdx.x] = value;
  __syncthreads();
  for (int width = blockDim.x / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) {
      const C other = scratch[threadIdx.x + width];
      scratch[threadIdx.x] = kMax ? (other > scratch[threadIdx.x] ? other : scratch[threadIdx.x])
                                  : scratch[threadIdx.x] + other;
    }
    __syncthreads();
  }
  const C result = scratch[0];
  __syncthreads();
  return result;
}

// Row-wise (inner == 1): block per row. Returns the row's maximum and log of the sum of exp(x - max).
template <class T, class C>
__device__ void row_stats(const T* row, std::int64_t extent, C* scratch, C& top, C& log_total) {
  C local = -INFINITY;
  for (std::int64_t k = threadIdx.x; k < extent; k += blockDim.x) {
    const C v = static_cast<C>(Elem<T>::load(row[k]));
    local = v > local ? v : local;
  }
  top = block_reduce<true>(local, scratch);
  C sum = 0;
  for (std::int64_t k = threadIdx.x; k < extent; k += blockDim.x) sum += exp(static_cast<C>(Elem<T>::load(row[k])) - top);
  log_total = log(block_reduce<false>(sum, scratch));
}

template <bool kLog, class T>
__global__ void softmax_rows(const T* x, T* y, std::int64_t rows, std::int64_t extent) {
  using C = math_t<typename Elem<T>::C>;
  __shared__ C scratch[kThreads];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* in = x + r * extent;
    C top, log_total;
    row_stats(in, extent, scratch, top, log_total);
    for (std::int64_t k = threadIdx.x; k < extent; k += blockDim.x) {
      const C shifted = static_cast<C>(Elem<T>::load(in[k])) - top;
      y[r * extent + k] = Elem<T>::store(static_cast<typename Elem<T>::C>(kLog ? shifted - log_total : exp(shifted - log_total)));
    }
  }
}

// Strided (inner > 1): thread per (o, i).
template <bool kLog, class T>
__global__ void softmax_strided(const T* x, T* y, std::int64_t outer, std::int64_t extent, std::int64_t inner) {
  using C = math_t<typename Elem<T>::C>;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < outer * inner;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t base = (j / inner) * extent * inner + j % inner;
    C top = -INFINITY;
    for (std::int64_t k = 0; k < extent; ++k) {
      const C v = static_cast<C>(Elem<T>::load(x[base + k * inner]));
      top = v > top ? v : top;
    }
    C total = 0;
    for (std::int64_t k = 0; k < extent; ++k) total += exp(static_cast<C>(Elem<T>::load(x[base + k * inner])) - top);
    const C log_total = log(total);
    for (std::int64_t k = 0; k < extent; ++k) {
      const C shifted = static_cast<C>(Elem<T>::load(x[base + k * inner])) - top;
      y[base + k * inner] = Elem<T>::store(static_cast<typename Elem<T>::C>(kLog ? shifted - log_total : exp(shifted - log_total)));
    }
  }
}

__device__ inline bool label_ok(double want, std::int64_t classes) { return want >= 0 && want < static_cast<double>(classes); }

template <class T>
__global__ void xent_forward(const T* x, int label_dtype, const void* label, double* losses, std::int64_t batch,
                             std::int64_t classes, int* bad_row) {
  using C = math_t<typename Elem<T>::C>;
  __shared__ C scratch[kThreads];
  for (std::int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T* row = x + b * classes;
    C top, log_total;
    row_stats(row, classes, scratch, top, log_total);
    if (threadIdx.x == 0) {
      const double want = load_as_double(label_dtype, label, b);
      if (!label_ok(want, classes)) {
        atomicMin(bad_row, static_cast<int>(b));
        losses[b] = 0;
      } else {
        losses[b] = static_cast<double>(top + log_total) - static_cast<double>(Elem<T>::load(row[static_cast<std::int64_t>(want)]));
      }
    }
  }
}

template <class T>
__global__ void xent_finish(const double* losses, T* y, std::int64_t batch, bool per_sample) {
  if (per_sample) {
    for (std::int64_t b = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; b < batch;
         b += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
      y[b] = Elem<T>::store(static_cast<typename Elem<T>::C>(losses[b]));
    }
    return;
  }
  __shared__ double scratch[kThreads];
  double sum = 0;
  for (std::int64_t b = threadIdx.x; b < batch; b += blockDim.x) sum += losses[b];
  const double total = block_reduce<false>(sum, scratch);
  if (threadIdx.x == 0) y[0] = Elem<T>::store(static_cast<typename Elem<T>::C>(total));
}

// The labels were checked by the forward pass (the only caller is its gradient): a label out of range here
// matches no class, and nothing waits for the stream.
template <class T>
__global__ void xent_backward(const T* x, int label_dtype, const void* label, const T* g, std::int64_t g_count, T* dx,
                              std::int64_t batch, std::int64_t classes) {
  using C = math_t<typename Elem<T>::C>;
  __shared__ C scratch[kThreads];
  for (std::int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T* row = x + b * classes;
    C top, log_total;
    row_stats(row, classes, scratch, top, log_total);
    const double want = load_as_double(label_dtype, label, b);
    const C scale = static_cast<C>(Elem<T>::load(g[g_count == 1 ? 0 : b]));
    for (std::int64_t k = threadIdx.x; k < classes; k += blockDim.x) {
      const C p = exp(static_cast<C>(Elem<T>::load(row[k])) - top - log_total) - (static_cast<double>(k) == want ? C{1} : C{0});
      dx[b * classes + k] = Elem<T>::store(static_cast<typename Elem<T>::C>(p * scale));
    }
  }
}

// Threads per row: the smallest power of two covering the row, between a warp and kThreads.
int row_threads(std::int64_t extent) {
  int threads = 32;
  while (threads < kThreads && threads < extent) threads *= 2;
  return threads;
}

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw Error(std::string(what) + ": " + cudaGetErrorString(status));
}

// Device scratch in the stream's order (cudaMallocAsync), freed in that order when it goes out of scope.
template <class T>
struct Scratch {
  Scratch(std::int64_t count, cudaStream_t stream) : stream_(stream) {
    check(cudaMallocAsync(reinterpret_cast<void**>(&data), sizeof(T) * static_cast<std::size_t>(std::max<std::int64_t>(count, 1)), stream),
          "cudaMallocAsync");
  }
  ~Scratch() { cudaFreeAsync(data, stream_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* data = nullptr;
  cudaStream_t stream_;
};

// The label check: the first bad row (INT_MAX: none), in device memory.
struct BadRow {
  explicit BadRow(cudaStream_t stream) : scratch_(1, stream), device_(scratch_.data), stream_(stream) {
    const int none = INT_MAX;
    check(cudaMemcpyAsync(device_, &none, sizeof(int), cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync");
  }
  // Waits for the stream; throws naming the first row with a label outside [0, classes).
  void throw_if_set(const char* op, std::int64_t classes) {
    int row = INT_MAX;
    check(cudaMemcpyAsync(&row, device_, sizeof(int), cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync");
    check(cudaStreamSynchronize(stream_), op);
    if (row != INT_MAX) {
      throw Error(std::string(op) + ": the label at row " + std::to_string(row) + " is outside [0, " +
                  std::to_string(classes) + ")");
    }
  }
  Scratch<int> scratch_;
  int* device_;
  cudaStream_t stream_;
};

}  // namespace

void softmax(bool log, int dtype, const void* x, void* y, std::int64_t outer, std::int64_t extent,
             std::int64_t inner, Stream stream) {
  if (outer * extent * inner == 0) return;
  dispatch_floating(dtype, "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* in = static_cast<const T*>(x);
    T* out = static_cast<T*>(y);
    const cudaStream_t s = as_stream(stream);
    if (inner == 1) {
      const unsigned blocks = blocks_for(outer, 1);
      if (log) softmax_rows<true><<<blocks, row_threads(extent), 0, s>>>(in, out, outer, extent);
      else softmax_rows<false><<<blocks, row_threads(extent), 0, s>>>(in, out, outer, extent);
    } else {
      const unsigned blocks = blocks_for(outer * inner);
      if (log) softmax_strided<true><<<blocks, kThreads, 0, s>>>(in, out, outer, extent, inner);
      else softmax_strided<false><<<blocks, kThreads, 0, s>>>(in, out, outer, extent, inner);
    }
  });
  check_launch("softmax");
}

void softmax_cross_entropy(int dtype, const void* x, int label_dtype, const void* label, void* y, bool per_sample,
                           std::int64_t batch, std::int64_t classes, Stream stream) {
  const cudaStream_t s = as_stream(stream);
  BadRow bad(s);
  Scratch<double> scratch(batch, s);
  double* losses = scratch.data;
  dispatch_floating(dtype, "softmax_cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    if (batch > 0) {
      xent_forward<<<blocks_for(batch, 1), row_threads(classes), 0, s>>>(static_cast<const T*>(x), label_dtype, label,
                                                                         losses, batch, classes, bad.device_);
    }
    xent_finish<<<per_sample ? blocks_for(batch) : 1, kThreads, 0, s>>>(losses, static_cast<T*>(y), batch, per_sample);
  });
  check_launch("softmax_cross_entropy");
  bad.throw_if_set("softmax_cross_entropy", classes);
}

void softmax_cross_entropy_backward(int dtype, const void* x, int label_dtype, const void* label, const void* g,
                                    std::int64_t g_count, void* dx, std::int64_t batch, std::int64_t classes,
                                    Stream stream) {
  if (batch * classes == 0) return;
  const cudaStream_t s = as_stream(stream);
  dispatch_floating(dtype, "_softmax_cross_entropy_backward", [&](auto tag) {
    using T = decltype(tag);
    xent_backward<<<blocks_for(batch, 1), row_threads(classes), 0, s>>>(
        static_cast<const T*>(x), label_dtype, label, static_cast<const T*>(g), g_count, static_cast<T*>(dx), batch,
        classes);
  });
  check_launch("_softmax_cross_entropy_backward");
}

}  // namespace mx::op::gpu
