#pragma once
// The arithmetic of the binary elementwise operators, on compute types (float for 16-bit floats, int32 for
// bool), shared by the array-array and array-scalar forms.
#include <cmath>
#include <type_traits>

#include <mx/operators/host_device.h>
#include <mx/operators/math_functors.h>

namespace mx::op::functors {

struct Add { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return a + b; } };
struct Sub { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return a - b; } };
struct Mul { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return a * b; } };
struct Div {
  template <class C>
  MX_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C{0};  // NumPy gives 0 (and a warning) for integers
      if constexpr (std::is_signed_v<C>) {
        if (b == -1) return static_cast<C>(std::make_unsigned_t<C>{0} - static_cast<std::make_unsigned_t<C>>(a));
      }
      return static_cast<C>(a / b);
    } else {
      return a / b;
    }
  }
};
struct Mod {
  template <class C>
  MX_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0 || (std::is_signed_v<C> && b == static_cast<C>(-1))) return C{0};
      C r = static_cast<C>(a % b);
      return (r != 0 && ((r < 0) != (b < 0))) ? static_cast<C>(r + b) : r;
    } else {
      C r = std::fmod(a, b);
      return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    }
  }
};
// C's fmod: the sign of a (PyTorch's fmod); Mod above takes the sign of b.
struct Fmod {
  template <class C>
  MX_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      return (b == 0 || (std::is_signed_v<C> && b == static_cast<C>(-1))) ? C{0} : static_cast<C>(a % b);
    } else {
      return std::fmod(a, b);
    }
  }
};
struct Pow {
  template <class C>
  MX_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b < 0) return a == 1 ? C{1} : C{0};
      using U = std::make_unsigned_t<C>;  // overflow wraps around, as NumPy's: defined in unsigned arithmetic
      U result = 1;
      for (U base = static_cast<U>(a), e = static_cast<U>(b); e > 0; e >>= 1, base = static_cast<U>(base * base)) {
        if (e & 1) result = static_cast<U>(result * base);
      }
      return static_cast<C>(result);
    } else {
      return std::pow(a, b);
    }
  }
};
// NaN wins, as in NumPy's maximum and minimum. Comparisons give 1 or 0 without a branch (random data would
// mispredict one).
struct Max { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return (a > b || a != a) ? a : b; } };
struct Min { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return (a < b || a != a) ? a : b; } };
struct Eq { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a == b); } };
struct Ne { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a != b); } };
struct Gt { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a > b); } };
struct Ge { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a >= b); } };
struct Lt { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a < b); } };
struct Le { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a <= b); } };

// relu's gradient from its output: g where y > 0.
struct ReluBackward { template <class C> MX_HOST_DEVICE C operator()(C g, C y) const { return y > C{0} ? g : C{0}; } };
// Integers through double, back by from_math (saturating).
struct Hypot { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return from_math<C>(std::hypot(a, b)); } };
struct Atan2 { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return from_math<C>(std::atan2(a, b)); } };
struct LogicalAnd { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a != 0 && b != 0); } };
struct LogicalOr { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a != 0 || b != 0); } };
struct LogicalXor { template <class C> MX_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>((a != 0) != (b != 0)); } };
// Bitwise operators exist for integers only (inference refuses floating dtypes before they get here).
#define MX_BITWISE_FUNCTOR(Name, op)                                  \
  struct Name {                                                       \
    template <class C>                                                \
    MX_HOST_DEVICE C operator()(C a, C b) const {                                    \
      if constexpr (std::is_integral_v<C>) return static_cast<C>(a op b); \
      else return C{0};                                               \
    }                                                                 \
  };
MX_BITWISE_FUNCTOR(BitAnd, &)
MX_BITWISE_FUNCTOR(BitOr, |)
MX_BITWISE_FUNCTOR(BitXor, ^)
#undef MX_BITWISE_FUNCTOR

// Integer wrap-around stays defined: int32 and int64 compute in their unsigned twins for + - *.
template <class F>
struct Wrapping {
  template <class C>
  MX_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C> && std::is_signed_v<C> && (std::is_same_v<F, Add> || std::is_same_v<F, Sub> ||
                                                                  std::is_same_v<F, Mul>)) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(F{}(static_cast<U>(a), static_cast<U>(b)));
    } else {
      return F{}(a, b);
    }
  }
};

}  // namespace mx::op::functors

// The functors with a CUDA kernel (elemwise_kernels.cu instantiates binary<F> for each).
#define MX_GPU_BINARY_FUNCTORS(X)                                                                             \
  X(Add) X(Sub) X(Mul) X(Div) X(Mod) X(Fmod) X(Pow) X(Max) X(Min) X(Eq) X(Ne) X(Gt) X(Ge) X(Lt) X(Le)          \
  X(ReluBackward) X(Hypot) X(Atan2) X(LogicalAnd) X(LogicalOr) X(LogicalXor) X(BitAnd) X(BitOr) X(BitXor)
