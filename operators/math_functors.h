#pragma once
// The unary math functions as functors over compute types, shared by the CPU loops (elemwise_unary.cc,
// elemwise_math.cc) and the CUDA kernels (elemwise_kernels.cu). C++17, no mxpp types: nvcc compiles it too.
// Integers compute through double, except negative, abs and square: in integer arithmetic, wrapping around as
// NumPy's (and exact for int64 beyond 2^53).
#include <algorithm>
#include <cmath>
#include <type_traits>

#include <mx/ndarray/float_to_integer.h>
#include <mx/operators/host_device.h>
#if !defined(__CUDACC__)
#include <mx/operators/float_math.h>
#endif

namespace mx::op {

// The type a math function computes in: float for float and 16-bit floats, double for the rest (integers
// compute through double and convert back, as MXNet's legacy operators).
template <class C>
using math_t = std::conditional_t<std::is_same_v<C, float>, float, double>;

// A result in the math type back in the compute type: integers by float_to_integer (sqrt(-4) is NaN, 0 as an
// integer; exp(100) saturates), since a plain cast of a value beyond the type is undefined.
template <class C, class M>
MX_HOST_DEVICE C from_math(M value) {
  if constexpr (std::is_integral_v<C> && std::is_floating_point_v<M>) {  // (sign's expression is an int)
    return ::mx::float_to_integer<C>(value);
  } else {
    return static_cast<C>(value);
  }
}

}  // namespace mx::op

// A functor computing `expr` of `x` (of type M, the math type).
#define MX_MATH_FUNCTOR(Name, expr)                 \
  struct Name {                                     \
    template <class C>                              \
    MX_HOST_DEVICE C operator()(C value) const {    \
      using M = ::mx::op::math_t<C>;                \
      const M x = static_cast<M>(value);            \
      return ::mx::op::from_math<C>(expr);          \
    }                                               \
  };

namespace mx::op::functors {

inline constexpr double kPi = 3.14159265358979323846;

// The integer forms in their unsigned twins, where wrap-around is defined: -(-128) is -128 in int8.
struct Negative {
  template <class C>
  MX_HOST_DEVICE C operator()(C value) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(static_cast<U>(U{0} - static_cast<U>(value)));
    } else {
      return -value;
    }
  }
};
struct Abs {
  template <class C>
  MX_HOST_DEVICE C operator()(C value) const {
    if constexpr (std::is_integral_v<C> && std::is_signed_v<C>) {
      return value < 0 ? Negative{}(value) : value;
    } else if constexpr (std::is_integral_v<C>) {
      return value;
    } else {
      return std::abs(value);
    }
  }
};
struct Square {
  template <class C>
  MX_HOST_DEVICE C operator()(C value) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      using Wide = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;  // no promotion to int
      return static_cast<C>(static_cast<Wide>(static_cast<U>(value)) * static_cast<Wide>(static_cast<U>(value)));
    } else {
      return value * value;
    }
  }
};
MX_MATH_FUNCTOR(Sign, (x > 0) - (x < 0))
MX_MATH_FUNCTOR(Sqrt, std::sqrt(x))
MX_MATH_FUNCTOR(Rsqrt, M{1} / std::sqrt(x))
MX_MATH_FUNCTOR(Reciprocal, M{1} / x)
MX_MATH_FUNCTOR(Exp, std::exp(x))
MX_MATH_FUNCTOR(Log, std::log(x))
MX_MATH_FUNCTOR(Sin, std::sin(x))
MX_MATH_FUNCTOR(Cos, std::cos(x))
MX_MATH_FUNCTOR(Floor, std::floor(x))
MX_MATH_FUNCTOR(Ceil, std::ceil(x))
MX_MATH_FUNCTOR(Relu, std::max(x, M{0}))  // branch-free: random signs would mispredict
// sigmoid and tanh in float on the host: float_math's branch-free forms, which vectorize (libm's tanhf took
// 15 ns an element, 21% of an LSTM's training step); CUDA's own on the device.
#if defined(__CUDACC__)
MX_MATH_FUNCTOR(Sigmoid, M{1} / (M{1} + std::exp(-x)))
MX_MATH_FUNCTOR(Tanh, std::tanh(x))
#else
struct Sigmoid {
  template <class C>
  C operator()(C value) const {
    using M = math_t<C>;
    const M x = static_cast<M>(value);
    if constexpr (std::is_same_v<M, float>) {
      return from_math<C>(float_math::sigmoid(x));
    } else {
      return from_math<C>(M{1} / (M{1} + std::exp(-x)));
    }
  }
};
struct Tanh {
  template <class C>
  C operator()(C value) const {
    using M = math_t<C>;
    const M x = static_cast<M>(value);
    if constexpr (std::is_same_v<M, float>) {
      return from_math<C>(float_math::tanh(x));
    } else {
      return from_math<C>(std::tanh(x));
    }
  }
};
#endif
MX_MATH_FUNCTOR(Arcsin, std::asin(x))
MX_MATH_FUNCTOR(Arccos, std::acos(x))
MX_MATH_FUNCTOR(Arctan, std::atan(x))
MX_MATH_FUNCTOR(Tan, std::tan(x))
MX_MATH_FUNCTOR(Sinh, std::sinh(x))
MX_MATH_FUNCTOR(Cosh, std::cosh(x))
MX_MATH_FUNCTOR(Arcsinh, std::asinh(x))
MX_MATH_FUNCTOR(Arccosh, std::acosh(x))
MX_MATH_FUNCTOR(Arctanh, std::atanh(x))
MX_MATH_FUNCTOR(Degrees, x * static_cast<M>(180 / kPi))
MX_MATH_FUNCTOR(Radians, x * static_cast<M>(kPi / 180))
MX_MATH_FUNCTOR(Cbrt, std::cbrt(x))
MX_MATH_FUNCTOR(Rcbrt, M{1} / std::cbrt(x))
MX_MATH_FUNCTOR(Expm1, std::expm1(x))
MX_MATH_FUNCTOR(Log1p, std::log1p(x))
MX_MATH_FUNCTOR(Log2, std::log2(x))
MX_MATH_FUNCTOR(Log10, std::log10(x))
MX_MATH_FUNCTOR(Round, std::round(x))      // halves away from zero, as MXNet's round
MX_MATH_FUNCTOR(Rint, std::nearbyint(x))   // halves to even
MX_MATH_FUNCTOR(Trunc, std::trunc(x))      // toward zero (fix is the same)
MX_MATH_FUNCTOR(Erf, std::erf(x))

}  // namespace mx::op::functors

// The functors with a CUDA kernel, for the explicit instantiations in elemwise_kernels.cu.
#define MX_GPU_UNARY_FUNCTORS(X)                                                                              \
  X(Negative) X(Abs) X(Sign) X(Sqrt) X(Rsqrt) X(Square) X(Reciprocal) X(Exp) X(Log) X(Sin) X(Cos) X(Floor)      \
  X(Ceil) X(Relu) X(Sigmoid) X(Tanh) X(Arcsin) X(Arccos) X(Arctan) X(Tan) X(Sinh) X(Cosh) X(Arcsinh) X(Arccosh) \
  X(Arctanh) X(Degrees) X(Radians) X(Cbrt) X(Rcbrt) X(Expm1) X(Log1p) X(Log2) X(Log10) X(Round) X(Rint)         \
  X(Trunc) X(Erf)
