#pragma once
// Elementwise kernels over every dtype: the same loops serve unary, binary (with NumPy broadcasting) and
// array-scalar operators. 16-bit floats compute in float and bool in int, then convert back.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <mx/ndarray/blob.h>
#include <mx/ndarray/convert.h>
#include <mx/operators/simd_clones.h>

namespace mx::op {

template <class T>
using compute_t = std::conditional_t<std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>, float,
                                     std::conditional_t<std::is_same_v<T, bool>, std::int32_t, T>>;

template <class T, class F>
void unary_kernel(const Blob& in, const Blob& out, F f) {
  const T* x = in.ptr<T>();
  T* y = out.ptr<T>();
  parallel_for_simd<T>(out.size(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) y[i] = convert_value<T>(f(static_cast<compute_t<T>>(x[i])));
  });
}

template <class T, class F>
void scalar_kernel(const Blob& in, compute_t<T> scalar, bool scalar_first, const Blob& out, F f) {
  const T* x = in.ptr<T>();
  T* y = out.ptr<T>();
  parallel_for_simd<T>(out.size(), [&](std::int64_t begin, std::int64_t end) {
    if (scalar_first) {
      for (std::int64_t i = begin; i < end; ++i) y[i] = convert_value<T>(f(scalar, static_cast<compute_t<T>>(x[i])));
    } else {
      for (std::int64_t i = begin; i < end; ++i) y[i] = convert_value<T>(f(static_cast<compute_t<T>>(x[i]), scalar));
    }
  });
}

// Strides of `in` as seen from the broadcast shape `out`: 0 along axes where `in` stretches.
struct BroadcastStrides {
  int ndim = 0;
  std::int64_t extent[Shape::kMaxNdim] = {};
  std::int64_t a[Shape::kMaxNdim] = {}, b[Shape::kMaxNdim] = {};
};
BroadcastStrides broadcast_strides(const Shape& a, const Shape& b, const Shape& out);

// Walks output elements [begin, end) in runs along the last axis, calling fn(first, length, offset_a, offset_b)
// with the operands' offsets at the run's start.
template <class Fn>
void for_each_broadcast_run(const BroadcastStrides& s, std::int64_t begin, std::int64_t end, Fn&& fn) {
  const int last = s.ndim - 1;
  std::int64_t index[Shape::kMaxNdim] = {};
  std::int64_t rest = begin, oa = 0, ob = 0;
  for (int d = last; d >= 0; --d) {
    index[d] = rest % s.extent[d];
    rest /= s.extent[d];
    oa += index[d] * s.a[d];
    ob += index[d] * s.b[d];
  }
  for (std::int64_t i = begin; i < end;) {
    const std::int64_t run = std::min(end - i, s.extent[last] - index[last]);
    fn(i, run, oa, ob);
    i += run;
    oa += run * s.a[last];
    ob += run * s.b[last];
    index[last] += run;
    for (int d = last; d > 0 && index[d] == s.extent[d]; --d) {  // carry into the outer axes
      oa += s.a[d - 1] - s.extent[d] * s.a[d];
      ob += s.b[d - 1] - s.extent[d] * s.b[d];
      index[d] = 0;
      ++index[d - 1];
    }
  }
}

template <class T, class F>
void binary_kernel(const Blob& lhs, const Blob& rhs, const Blob& out, F f) {
  const T* a = lhs.ptr<T>();
  const T* b = rhs.ptr<T>();
  T* y = out.ptr<T>();
  using C = compute_t<T>;
  const std::int64_t n = out.size();
  if (lhs.shape == rhs.shape) {
    parallel_for_simd<T>(n, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) y[i] = convert_value<T>(f(static_cast<C>(a[i]), static_cast<C>(b[i])));
    });
  } else if (rhs.size() == 1) {
    scalar_kernel<T>(lhs, static_cast<C>(b[0]), false, out, f);
  } else if (lhs.size() == 1) {
    scalar_kernel<T>(rhs, static_cast<C>(a[0]), true, out, f);
  } else {
    const BroadcastStrides s = broadcast_strides(lhs.shape, rhs.shape, out.shape);
    const int last = s.ndim - 1;
    parallel_for_simd<T>(n, [&](std::int64_t begin, std::int64_t end) {
      for_each_broadcast_run(s, begin, end, [&](std::int64_t i, std::int64_t run, std::int64_t oa, std::int64_t ob) {
        for (std::int64_t k = 0; k < run; ++k) {
          y[i + k] = convert_value<T>(f(static_cast<C>(a[oa + k * s.a[last]]), static_cast<C>(b[ob + k * s.b[last]])));
        }
      });
    });
  }
}

// `in` stretched to `out`'s shape (broadcast_to).
template <class T>
void broadcast_kernel(const Blob& in, const Blob& out) {
  const T* x = in.ptr<T>();
  T* y = out.ptr<T>();
  const BroadcastStrides s = broadcast_strides(in.shape, in.shape, out.shape);
  const int last = s.ndim - 1;
  parallel_for(out.size(), [&](std::int64_t begin, std::int64_t end) {
    if (last < 0) {
      for (std::int64_t i = begin; i < end; ++i) y[i] = x[0];
      return;
    }
    for_each_broadcast_run(s, begin, end, [&](std::int64_t i, std::int64_t run, std::int64_t oa, std::int64_t) {
      for (std::int64_t k = 0; k < run; ++k) y[i + k] = x[oa + k * s.a[last]];
    });
  });
}

}  // namespace mx::op
