// CUDA twins of reduce.cc's reducers over (outer, count, inner): a block per output row where the reduced axis
// is innermost (inner == 1), else a thread per output walking the reduced axis, its neighbours reading
// neighbouring elements. Floating values accumulate in double and integers in int64, as on the CPU.
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/reduce_identity.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

template <class T>
using acc_t = std::conditional_t<std::is_floating_point_v<typename Elem<T>::C>, double, std::int64_t>;

// Integer accumulators wrap around on overflow, as the CPU's (in unsigned arithmetic, where that is defined);
// floating ones compute as written.
template <class A> __device__ A plus(A a, A b) { return functors::Wrapping<functors::Add>{}(a, b); }
template <class A> __device__ A times(A a, A b) { return functors::Wrapping<functors::Mul>{}(a, b); }

struct SumR {
  template <class A> __device__ static A init() { return 0; }
  template <class A> __device__ static void add(A& acc, A v) { acc = plus(acc, v); }
  template <class A> __device__ static void merge(A& acc, A other) { acc = plus(acc, other); }
  template <class A> __device__ static A finish(A acc, std::int64_t) { return acc; }
};
struct MeanR : SumR {
  template <class A> __device__ static A finish(A acc, std::int64_t n) { return mean_of(acc, n); }
};
struct MaxR {
  template <class A> __device__ static A init() { return max_identity<A>(); }
  template <class A> __device__ static void add(A& acc, A v) { if (v > acc || v != v) acc = v; }
  template <class A> __device__ static void merge(A& acc, A other) { add(acc, other); }
  template <class A> __device__ static A finish(A acc, std::int64_t) { return acc; }
};
struct MinR {
  template <class A> __device__ static A init() { return min_identity<A>(); }
  template <class A> __device__ static void add(A& acc, A v) { if (v < acc || v != v) acc = v; }
  template <class A> __device__ static void merge(A& acc, A other) { add(acc, other); }
  template <class A> __device__ static A finish(A acc, std::int64_t) { return acc; }
};
struct ProdR {
  template <class A> __device__ static A init() { return 1; }
  template <class A> __device__ static void add(A& acc, A v) { acc = times(acc, v); }
  template <class A> __device__ static void merge(A& acc, A other) { acc = times(acc, other); }
  template <class A> __device__ static A finish(A acc, std::int64_t) { return acc; }
};
struct NansumR : SumR {
  template <class A> __device__ static void add(A& acc, A v) { if (v == v) acc = plus(acc, v); }
};
struct NanprodR : ProdR {
  template <class A> __device__ static void add(A& acc, A v) { if (v == v) acc = times(acc, v); }
};
struct L1R : SumR {
  template <class A> __device__ static void add(A& acc, A v) { acc = plus(acc, v < 0 ? times(v, A{-1}) : v); }
};
struct L2R : SumR {
  template <class A> __device__ static void add(A& acc, A v) { acc = plus(acc, times(v, v)); }
  template <class A> __device__ static A finish(A acc, std::int64_t) { return static_cast<A>(sqrt(static_cast<double>(acc))); }
};

// From the accumulator's own type, as the CPU's convert_value: an int64 sum through a double would lose bits
// above 2^53, and a double beyond int32 saturates on the GPU where the CPU's integer conversion wraps.
template <class T, class A>
__device__ T store_acc(A v) { return Elem<T>::store(static_cast<typename Elem<T>::C>(v)); }

// inner == 1: block b reduces rows b, b + gridDim.x, ...
template <class R, class T>
__global__ void reduce_rows(const T* x, T* y, std::int64_t rows, std::int64_t count) {
  using A = acc_t<T>;
  __shared__ A partial[kThreads];
  for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    A acc = R::template init<A>();
    const T* in = x + row * count;
    for (std::int64_t r = threadIdx.x; r < count; r += blockDim.x) R::add(acc, static_cast<A>(Elem<T>::load(in[r])));
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int width = blockDim.x / 2; width > 0; width /= 2) {
      if (threadIdx.x < width) R::merge(partial[threadIdx.x], partial[threadIdx.x + width]);
      __syncthreads();
    }
    if (threadIdx.x == 0) y[row] = store_acc<T>(R::finish(partial[0], count));
    __syncthreads();
  }
}

// Any other layout: output j walks its reduced elements; with the reduced axes outside the innermost one,
// neighbouring outputs read neighbouring elements.
template <class R, class T>
__global__ void reduce_general(const T* x, T* y, ReduceLayout l) {
  using A = acc_t<T>;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < l.outputs;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    std::int64_t base = 0, rest = j;
    for (int d = l.kept_ndim - 1; d >= 0; --d) {
      base += (rest % l.kept_extent[d]) * l.kept_stride[d];
      rest /= l.kept_extent[d];
    }
    A acc = R::template init<A>();
    for (std::int64_t r = 0; r < l.count; ++r) {
      std::int64_t offset = base, left = r;
      for (int d = l.reduced_ndim - 1; d >= 0; --d) {
        offset += (left % l.reduced_extent[d]) * l.reduced_stride[d];
        left /= l.reduced_extent[d];
      }
      R::add(acc, static_cast<A>(Elem<T>::load(x[offset])));
    }
    y[j] = store_acc<T>(R::finish(acc, l.count));
  }
}

template <class T, class Out>
__global__ void argmax_kernel(bool largest, const T* x, Out* y, std::int64_t outer, std::int64_t count,
                              std::int64_t inner) {
  using C = typename Elem<T>::C;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < outer * inner;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const T* row = x + (j / inner) * count * inner + j % inner;
    std::int64_t best = 0;
    C best_value = Elem<T>::load(row[0]);
    for (std::int64_t r = 1; r < count; ++r) {
      const C v = Elem<T>::load(row[r * inner]);
      const bool better = largest ? v > best_value : v < best_value;
      if (better || (v != v && best_value == best_value)) {
        best = r;
        best_value = v;
      }
    }
    y[j] = Elem<Out>::store(static_cast<typename Elem<Out>::C>(best));
  }
}

// The reduced axes innermost and contiguous: a block per output; otherwise a thread per output.
template <class R>
void reduce_with(int dtype, const void* x, void* y, const ReduceLayout& l, cudaStream_t stream) {
  const bool rows = l.reduced_ndim == 1 && l.reduced_stride[0] == 1 &&
                    (l.kept_ndim == 0 || (l.kept_ndim == 1 && l.kept_stride[0] == l.count));
  dispatch_arithmetic(dtype, "reduce", [&](auto tag) {
    using T = decltype(tag);
    const T* in = static_cast<const T*>(x);
    T* out = static_cast<T*>(y);
    if (rows) {
      reduce_rows<R><<<blocks_for(l.outputs, 1), kThreads, 0, stream>>>(in, out, l.outputs, l.count);
    } else {
      reduce_general<R><<<blocks_for(l.outputs), kThreads, 0, stream>>>(in, out, l);
    }
  });
}

}  // namespace

void reduce(Reduce kind, int dtype, const void* x, void* y, const ReduceLayout& l, Stream stream) {
  if (l.outputs == 0) return;
  const cudaStream_t s = as_stream(stream);
  switch (kind) {
    case Reduce::kSum: reduce_with<SumR>(dtype, x, y, l, s); break;
    case Reduce::kMean: reduce_with<MeanR>(dtype, x, y, l, s); break;
    case Reduce::kMax: reduce_with<MaxR>(dtype, x, y, l, s); break;
    case Reduce::kMin: reduce_with<MinR>(dtype, x, y, l, s); break;
    case Reduce::kProd: reduce_with<ProdR>(dtype, x, y, l, s); break;
    case Reduce::kNansum: reduce_with<NansumR>(dtype, x, y, l, s); break;
    case Reduce::kNanprod: reduce_with<NanprodR>(dtype, x, y, l, s); break;
    case Reduce::kL1: reduce_with<L1R>(dtype, x, y, l, s); break;
    case Reduce::kL2: reduce_with<L2R>(dtype, x, y, l, s); break;
  }
  check_launch("reduce");
}

void argmax(bool largest, int dtype, const void* x, int out_dtype, void* y, std::int64_t outer, std::int64_t count,
            std::int64_t inner, Stream stream) {
  if (outer * inner == 0) return;
  if (out_dtype != kF32) no_kernel("argmax output", out_dtype);
  dispatch_arithmetic(dtype, "argmax", [&](auto tag) {
    using T = decltype(tag);
    argmax_kernel<<<blocks_for(outer * inner), kThreads, 0, as_stream(stream)>>>(
        largest, static_cast<const T*>(x), static_cast<float*>(y), outer, count, inner);
  });
  check_launch("argmax");
}

}  // namespace mx::op::gpu
