#pragma once
// The unary math functions as functors over compute types, shared by the CPU loops (elemwise_unary.cc,
// elemwise_math.cc) and the CUDA kernels (elemwise_kernels.cu). C++17, no mxpp types: nvcc compiles it too.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include <mx/operators/host_device.h>

namespace mx::op {

// The type a math function computes in: float for float and 16-bit floats, double for the rest (integers
// compute through double and convert back, as MXNet's legacy operators).
template <class C>
using math_t = std::conditional_t<std::is_same_v<C, float>, float, double>;

}  // namespace mx::op

// A functor computing `expr` of `x` (of type M, the math type).
#define MX_MATH_FUNCTOR(Name, expr)                 \
  struct Name {                                     \
    template <class C>                              \
    MX_HOST_DEVICE C operator()(C value) const {    \
      using M = ::mx::op::math_t<C>;                \
      const M x = static_cast<M>(value);            \
      return static_cast<C>(expr);                  \
    }                                               \
  };

namespace mx::op::functors {

inline constexpr double kPi = 3.14159265358979323846;

MX_MATH_FUNCTOR(Negative, -x)
MX_MATH_FUNCTOR(Abs, std::abs(x))
MX_MATH_FUNCTOR(Sign, (x > 0) - (x < 0))
MX_MATH_FUNCTOR(Sqrt, std::sqrt(x))
MX_MATH_FUNCTOR(Rsqrt, M{1} / std::sqrt(x))
MX_MATH_FUNCTOR(Square, x* x)
MX_MATH_FUNCTOR(Reciprocal, M{1} / x)
MX_MATH_FUNCTOR(Exp, std::exp(x))
MX_MATH_FUNCTOR(Log, std::log(x))
MX_MATH_FUNCTOR(Sin, std::sin(x))
MX_MATH_FUNCTOR(Cos, std::cos(x))
MX_MATH_FUNCTOR(Floor, std::floor(x))
MX_MATH_FUNCTOR(Ceil, std::ceil(x))
MX_MATH_FUNCTOR(Relu, std::max(x, M{0}))  // branch-free: random signs would mispredict
MX_MATH_FUNCTOR(Sigmoid, M{1} / (M{1} + std::exp(-x)))
MX_MATH_FUNCTOR(Tanh, std::tanh(x))
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
