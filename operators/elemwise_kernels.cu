// CUDA twins of elemwise_kernels.h: unary math, binary arithmetic with broadcasting and scalars, casts, fills,
// and the small elementwise operators (clip, where, pick, one_hot, broadcast_to). The functors are the CPU's.
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/math_functors.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

// Grid-stride loops; indices are 64-bit, arrays may pass 2^31 elements.
#define MX_GRID_LOOP(i, n)                                                                          \
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)

template <class T, class F>
__global__ void unary_kernel(const T* x, T* y, std::int64_t n, F f) {
  using E = Elem<T>;
  MX_GRID_LOOP(i, n) y[i] = E::store(static_cast<typename E::C>(f(E::load(x[i]))));
}

// The offset of output element i in an operand broadcast to the output's shape.
__device__ inline std::int64_t operand_offset(const Operand& o, const OutLayout& out, std::int64_t i) {
  if (o.dense) return i;
  std::int64_t offset = 0;
  for (int d = out.ndim - 1; d >= 0; --d) {
    const std::int64_t extent = out.extent[d];
    offset += (i % extent) * o.stride[d];
    i /= extent;
  }
  return offset;
}

template <class T>
__device__ inline typename Elem<T>::C operand_value(const Operand& o, const OutLayout& out, std::int64_t i) {
  if (o.data == nullptr) return Elem<T>::from_double(o.scalar);
  return Elem<T>::load(static_cast<const T*>(o.data)[operand_offset(o, out, i)]);
}

template <class T, class F>
__global__ void binary_kernel(Operand a, Operand b, T* y, OutLayout out, F f) {
  using E = Elem<T>;
  MX_GRID_LOOP(i, out.size) y[i] = E::store(f(operand_value<T>(a, out, i), operand_value<T>(b, out, i)));
}

template <class In, class Out>
__global__ void cast_kernel(const In* x, Out* y, std::int64_t n) {
  // Integer to integer directly (wrapping, as the CPU's; int64 beyond 2^53 would lose bits in a double); any
  // other through double: exact for every source, and the destination rounds once.
  MX_GRID_LOOP(i, n) {
    if constexpr (std::is_integral_v<In> && std::is_integral_v<Out> && !std::is_same_v<Out, bool>) {
      y[i] = static_cast<Out>(x[i]);
    } else {
      const double v = static_cast<double>(Elem<In>::load(x[i]));
      if constexpr (std::is_same_v<Out, bool>) y[i] = v != 0;
      else if constexpr (std::is_integral_v<Out>) y[i] = float_to_integer<Out>(v);  // saturating, as the CPU's
      else y[i] = Elem<Out>::store(static_cast<typename Elem<Out>::C>(v));
    }
  }
}

template <class T>
__global__ void fill_kernel(T* y, std::int64_t n, double value) {
  const T v = Elem<T>::store(Elem<T>::from_double(value));  // as the CPU converts it
  MX_GRID_LOOP(i, n) y[i] = v;
}

template <class T>
__global__ void arange_kernel(T* y, std::int64_t n, double start, double step, std::int64_t repeat) {
  MX_GRID_LOOP(i, n) y[i] = Elem<T>::store(Elem<T>::from_double(start + step * static_cast<double>(i / repeat)));
}

template <class T>
__global__ void broadcast_kernel(Operand x, T* y, OutLayout out) {
  MX_GRID_LOOP(i, out.size) y[i] = static_cast<const T*>(x.data)[operand_offset(x, out, i)];
}

template <class T>
__global__ void clip_kernel(const T* x, T* y, std::int64_t n, double lo, double hi) {
  using E = Elem<T>;
  using C = typename E::C;
  const C low = E::from_double(lo), high = E::from_double(hi);  // in T first, saturating, as the CPU's bounds
  MX_GRID_LOOP(i, n) {
    const C v = E::load(x[i]);
    y[i] = E::store(v < low ? low : (v > high ? high : v));
  }
}

template <class T>
__global__ void where_kernel(int cond_dtype, const void* cond, const T* a, const T* b, T* y, std::int64_t n) {
  MX_GRID_LOOP(i, n) y[i] = load_as_double(cond_dtype, cond, i) != 0 ? a[i] : b[i];
}

template <class T>
__global__ void pick_kernel(const T* x, int index_dtype, const void* index, T* y, std::int64_t outer,
                            std::int64_t extent, std::int64_t inner) {
  MX_GRID_LOOP(j, outer * inner) {
    const double want = load_as_double(index_dtype, index, j);
    const std::int64_t at = float_to_integer<std::int64_t>(want);  // as the CPU's: NaN is 0
    const std::int64_t k = at < 0 ? 0 : (at > extent - 1 ? extent - 1 : at);
    y[j] = x[((j / inner) * extent + k) * inner + j % inner];
  }
}

template <class T>
__global__ void one_hot_kernel(int index_dtype, const void* index, T* y, std::int64_t n, std::int64_t depth,
                               double on, double off) {
  using E = Elem<T>;
  MX_GRID_LOOP(j, n * depth) {
    const double want = load_as_double(index_dtype, index, j / depth);
    y[j] = E::store(static_cast<typename E::C>(want == static_cast<double>(j % depth) ? on : off));
  }
}

}  // namespace

template <class F>
void unary(int dtype, const void* x, void* y, std::int64_t n, Stream stream) {
  if (n == 0) return;
  dispatch_arithmetic(dtype, "unary", [&](auto tag) {
    using T = decltype(tag);
    unary_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const T*>(x), static_cast<T*>(y), n, F{});
  });
  check_launch("unary");
}

template <class F>
void binary(int dtype, const Operand& a, const Operand& b, void* y, const OutLayout& out, Stream stream) {
  if (out.size == 0) return;
  dispatch_arithmetic(dtype, "binary", [&](auto tag) {
    using T = decltype(tag);
    binary_kernel<<<blocks_for(out.size), kThreads, 0, as_stream(stream)>>>(a, b, static_cast<T*>(y), out,
                                                                           functors::Wrapping<F>{});
  });
  check_launch("binary");
}

#define MX_INSTANTIATE_UNARY(F) template void unary<functors::F>(int, const void*, void*, std::int64_t, Stream);
MX_GPU_UNARY_FUNCTORS(MX_INSTANTIATE_UNARY)
#define MX_INSTANTIATE_BINARY(F) \
  template void binary<functors::F>(int, const Operand&, const Operand&, void*, const OutLayout&, Stream);
MX_GPU_BINARY_FUNCTORS(MX_INSTANTIATE_BINARY)

void cast(int in_dtype, const void* x, int out_dtype, void* y, std::int64_t n, Stream stream) {
  if (n == 0) return;
  dispatch_all(in_dtype, "cast", [&](auto in_tag) {
    using In = decltype(in_tag);
    dispatch_all(out_dtype, "cast", [&](auto out_tag) {
      using Out = decltype(out_tag);
      if constexpr (std::is_same_v<In, Out>) {
        cudaMemcpyAsync(y, x, static_cast<std::size_t>(n) * sizeof(In), cudaMemcpyDeviceToDevice, as_stream(stream));
      } else {
        cast_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const In*>(x), static_cast<Out*>(y), n);
      }
    });
  });
  check_launch("cast");
}

void fill(int dtype, void* y, double value, std::int64_t n, Stream stream) {
  if (n == 0) return;
  dispatch_all(dtype, "fill", [&](auto tag) {
    using T = decltype(tag);
    fill_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<T*>(y), n, value);
  });
  check_launch("fill");
}

void arange(int dtype, void* y, double start, double step, std::int64_t repeat, std::int64_t n, Stream stream) {
  if (n == 0) return;
  dispatch_arithmetic(dtype, "arange", [&](auto tag) {
    using T = decltype(tag);
    arange_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<T*>(y), n, start, step, repeat);
  });
  check_launch("arange");
}

void broadcast_to(int dtype, const Operand& x, void* y, const OutLayout& out, Stream stream) {
  if (out.size == 0) return;
  dispatch_all(dtype, "broadcast_to", [&](auto tag) {
    using T = decltype(tag);
    broadcast_kernel<<<blocks_for(out.size), kThreads, 0, as_stream(stream)>>>(x, static_cast<T*>(y), out);
  });
  check_launch("broadcast_to");
}

void pick(int dtype, const void* x, int index_dtype, const void* index, void* y, std::int64_t outer,
          std::int64_t extent, std::int64_t inner, Stream stream) {
  if (outer * inner == 0) return;
  dispatch_all(dtype, "pick", [&](auto tag) {
    using T = decltype(tag);
    pick_kernel<<<blocks_for(outer * inner), kThreads, 0, as_stream(stream)>>>(
        static_cast<const T*>(x), index_dtype, index, static_cast<T*>(y), outer, extent, inner);
  });
  check_launch("pick");
}

void one_hot(int index_dtype, const void* index, int dtype, void* y, std::int64_t n, std::int64_t depth, double on,
             double off, Stream stream) {
  if (n * depth == 0) return;
  dispatch_arithmetic(dtype, "one_hot", [&](auto tag) {
    using T = decltype(tag);
    one_hot_kernel<<<blocks_for(n * depth), kThreads, 0, as_stream(stream)>>>(index_dtype, index, static_cast<T*>(y),
                                                                            n, depth, on, off);
  });
  check_launch("one_hot");
}

void clip(int dtype, const void* x, void* y, std::int64_t n, double lo, double hi, Stream stream) {
  if (n == 0) return;
  dispatch_arithmetic(dtype, "clip", [&](auto tag) {
    using T = decltype(tag);
    clip_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(static_cast<const T*>(x), static_cast<T*>(y), n, lo, hi);
  });
  check_launch("clip");
}

void where(int cond_dtype, const void* cond, int dtype, const void* a, const void* b, void* y, std::int64_t n,
           Stream stream) {
  if (n == 0) return;
  dispatch_all(dtype, "where", [&](auto tag) {
    using T = decltype(tag);
    where_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(cond_dtype, cond, static_cast<const T*>(a),
                                                                    static_cast<const T*>(b), static_cast<T*>(y), n);
  });
  check_launch("where");
}

}  // namespace mx::op::gpu
