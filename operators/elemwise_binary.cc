// Binary elementwise operators: array-array with broadcasting (MXNet's broadcast_*), and array-scalar
// (_plus_scalar, _rminus_scalar, ...).
#include <cmath>
#include <string>
#include <type_traits>

#include <mx/ndarray/error.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

struct NoParams {};
struct ScalarParams {
  double scalar = 0;
};

// ---- The arithmetic, on compute types (float for 16-bit floats, int32 for bool) ----
struct Add { template <class C> C operator()(C a, C b) const { return a + b; } };
struct Sub { template <class C> C operator()(C a, C b) const { return a - b; } };
struct Mul { template <class C> C operator()(C a, C b) const { return a * b; } };
struct Div {
  template <class C>
  C operator()(C a, C b) const {
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
  C operator()(C a, C b) const {
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
struct Pow {
  template <class C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b < 0) return a == 1 ? C{1} : C{0};
      C result = 1;
      for (C base = a, e = b; e > 0; e >>= 1, base = static_cast<C>(base * base)) {
        if (e & 1) result = static_cast<C>(result * base);
      }
      return result;
    } else {
      return std::pow(a, b);
    }
  }
};
// NaN wins, as in NumPy's maximum and minimum.
struct Max { template <class C> C operator()(C a, C b) const { return (a > b || a != a) ? a : b; } };
struct Min { template <class C> C operator()(C a, C b) const { return (a < b || a != a) ? a : b; } };
struct Eq { template <class C> C operator()(C a, C b) const { return a == b ? C{1} : C{0}; } };
struct Ne { template <class C> C operator()(C a, C b) const { return a != b ? C{1} : C{0}; } };
struct Gt { template <class C> C operator()(C a, C b) const { return a > b ? C{1} : C{0}; } };
struct Ge { template <class C> C operator()(C a, C b) const { return a >= b ? C{1} : C{0}; } };
struct Lt { template <class C> C operator()(C a, C b) const { return a < b ? C{1} : C{0}; } };
struct Le { template <class C> C operator()(C a, C b) const { return a <= b ? C{1} : C{0}; } };

// Integer wrap-around stays defined: int32 and int64 compute in their unsigned twins for + - *.
template <class F>
struct Wrapping {
  template <class C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C> && std::is_signed_v<C> && (std::is_same_v<F, Add> || std::is_same_v<F, Sub> ||
                                                                  std::is_same_v<F, Mul>)) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(F{}(static_cast<U>(a), static_cast<U>(b)));
    } else {
      return F{}(a, b);
    }
  }
};

void infer_binary(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out, const char* name) {
  if (in[0].dtype != in[1].dtype) {
    throw DTypeError(std::string(name) + ": inputs have different dtypes, " + dtype_name(in[0].dtype) + " and " +
                     dtype_name(in[1].dtype) + "; convert one with astype");
  }
  out[0] = {broadcast_shapes(in[0].shape, in[1].shape, name), in[0].dtype};
}

void infer_same(const ScalarParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) { out[0] = in[0]; }

template <class F>
void binary_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) { op::binary_kernel<decltype(tag)>(in[0], in[1], out[0], Wrapping<F>{}); });
}

template <class F, bool kScalarFirst>
void scalar_cpu(const ScalarParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const auto scalar = convert_value<op::compute_t<T>>(convert_value<T>(p.scalar));
    op::scalar_kernel<T>(in[0], scalar, kScalarFirst, out[0], Wrapping<F>{});
  });
}

#define MX_BINARY_OPERATOR(var, op_name, functor)                                                                 \
  const op::Operator<NoParams> var = op::define<NoParams>({                                                    \
      .name = op_name,                                                                                          \
      .num_inputs = 2,                                                                                         \
      .infer = [](const NoParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {                \
        infer_binary(p, in, out, op_name);                                                                      \
      },                                                                                                       \
      .cpu = &binary_cpu<functor>,                                                                             \
  });
#define MX_SCALAR_OPERATOR(var, op_name, functor, scalar_first) \
  const op::Operator<ScalarParams> var = op::define<ScalarParams>( \
      {.name = op_name, .num_inputs = 1, .infer = &infer_same, .cpu = &scalar_cpu<functor, scalar_first>});

MX_BINARY_OPERATOR(kAdd, "broadcast_add", Add)
MX_BINARY_OPERATOR(kSub, "broadcast_sub", Sub)
MX_BINARY_OPERATOR(kMul, "broadcast_mul", Mul)
MX_BINARY_OPERATOR(kDiv, "broadcast_div", Div)
MX_BINARY_OPERATOR(kMod, "broadcast_mod", Mod)
MX_BINARY_OPERATOR(kPow, "broadcast_power", Pow)
MX_BINARY_OPERATOR(kMax, "broadcast_maximum", Max)
MX_BINARY_OPERATOR(kMin, "broadcast_minimum", Min)
MX_BINARY_OPERATOR(kEq, "broadcast_equal", Eq)
MX_BINARY_OPERATOR(kNe, "broadcast_not_equal", Ne)
MX_BINARY_OPERATOR(kGt, "broadcast_greater", Gt)
MX_BINARY_OPERATOR(kGe, "broadcast_greater_equal", Ge)
MX_BINARY_OPERATOR(kLt, "broadcast_lesser", Lt)
MX_BINARY_OPERATOR(kLe, "broadcast_lesser_equal", Le)

MX_SCALAR_OPERATOR(kAddScalar, "_plus_scalar", Add, false)
MX_SCALAR_OPERATOR(kSubScalar, "_minus_scalar", Sub, false)
MX_SCALAR_OPERATOR(kRSubScalar, "_rminus_scalar", Sub, true)
MX_SCALAR_OPERATOR(kMulScalar, "_mul_scalar", Mul, false)
MX_SCALAR_OPERATOR(kDivScalar, "_div_scalar", Div, false)
MX_SCALAR_OPERATOR(kRDivScalar, "_rdiv_scalar", Div, true)
MX_SCALAR_OPERATOR(kModScalar, "_mod_scalar", Mod, false)
MX_SCALAR_OPERATOR(kRModScalar, "_rmod_scalar", Mod, true)
MX_SCALAR_OPERATOR(kPowScalar, "_power_scalar", Pow, false)
MX_SCALAR_OPERATOR(kRPowScalar, "_rpower_scalar", Pow, true)
MX_SCALAR_OPERATOR(kMaxScalar, "_maximum_scalar", Max, false)
MX_SCALAR_OPERATOR(kMinScalar, "_minimum_scalar", Min, false)
MX_SCALAR_OPERATOR(kEqScalar, "_equal_scalar", Eq, false)
MX_SCALAR_OPERATOR(kNeScalar, "_not_equal_scalar", Ne, false)
MX_SCALAR_OPERATOR(kGtScalar, "_greater_scalar", Gt, false)
MX_SCALAR_OPERATOR(kGeScalar, "_greater_equal_scalar", Ge, false)
MX_SCALAR_OPERATOR(kLtScalar, "_lesser_scalar", Lt, false)
MX_SCALAR_OPERATOR(kLeScalar, "_lesser_equal_scalar", Le, false)

NDArray binary(const op::Operator<NoParams>& op, const NDArray& a, const NDArray& b) { return op::invoke1(op, {a, b}); }
NDArray scalar(const op::Operator<ScalarParams>& op, const NDArray& a, double s) {
  return op::invoke1(op, {a}, ScalarParams{s});
}

}  // namespace

namespace nd {
NDArray add(const NDArray& a, const NDArray& b) { return binary(kAdd, a, b); }
NDArray subtract(const NDArray& a, const NDArray& b) { return binary(kSub, a, b); }
NDArray multiply(const NDArray& a, const NDArray& b) { return binary(kMul, a, b); }
NDArray divide(const NDArray& a, const NDArray& b) { return binary(kDiv, a, b); }
NDArray modulo(const NDArray& a, const NDArray& b) { return binary(kMod, a, b); }
NDArray power(const NDArray& a, const NDArray& b) { return binary(kPow, a, b); }
NDArray maximum(const NDArray& a, const NDArray& b) { return binary(kMax, a, b); }
NDArray minimum(const NDArray& a, const NDArray& b) { return binary(kMin, a, b); }
NDArray equal(const NDArray& a, const NDArray& b) { return binary(kEq, a, b); }
NDArray not_equal(const NDArray& a, const NDArray& b) { return binary(kNe, a, b); }
NDArray greater(const NDArray& a, const NDArray& b) { return binary(kGt, a, b); }
NDArray greater_equal(const NDArray& a, const NDArray& b) { return binary(kGe, a, b); }
NDArray lesser(const NDArray& a, const NDArray& b) { return binary(kLt, a, b); }
NDArray lesser_equal(const NDArray& a, const NDArray& b) { return binary(kLe, a, b); }
}  // namespace nd

NDArray operator+(const NDArray& a, const NDArray& b) { return binary(kAdd, a, b); }
NDArray operator-(const NDArray& a, const NDArray& b) { return binary(kSub, a, b); }
NDArray operator*(const NDArray& a, const NDArray& b) { return binary(kMul, a, b); }
NDArray operator/(const NDArray& a, const NDArray& b) { return binary(kDiv, a, b); }
NDArray operator%(const NDArray& a, const NDArray& b) { return binary(kMod, a, b); }
NDArray operator==(const NDArray& a, const NDArray& b) { return binary(kEq, a, b); }
NDArray operator!=(const NDArray& a, const NDArray& b) { return binary(kNe, a, b); }
NDArray operator>(const NDArray& a, const NDArray& b) { return binary(kGt, a, b); }
NDArray operator>=(const NDArray& a, const NDArray& b) { return binary(kGe, a, b); }
NDArray operator<(const NDArray& a, const NDArray& b) { return binary(kLt, a, b); }
NDArray operator<=(const NDArray& a, const NDArray& b) { return binary(kLe, a, b); }

NDArray operator+(const NDArray& a, double b) { return scalar(kAddScalar, a, b); }
NDArray operator-(const NDArray& a, double b) { return scalar(kSubScalar, a, b); }
NDArray operator*(const NDArray& a, double b) { return scalar(kMulScalar, a, b); }
NDArray operator/(const NDArray& a, double b) { return scalar(kDivScalar, a, b); }
NDArray operator%(const NDArray& a, double b) { return scalar(kModScalar, a, b); }
NDArray operator==(const NDArray& a, double b) { return scalar(kEqScalar, a, b); }
NDArray operator!=(const NDArray& a, double b) { return scalar(kNeScalar, a, b); }
NDArray operator>(const NDArray& a, double b) { return scalar(kGtScalar, a, b); }
NDArray operator>=(const NDArray& a, double b) { return scalar(kGeScalar, a, b); }
NDArray operator<(const NDArray& a, double b) { return scalar(kLtScalar, a, b); }
NDArray operator<=(const NDArray& a, double b) { return scalar(kLeScalar, a, b); }
NDArray operator+(double a, const NDArray& b) { return scalar(kAddScalar, b, a); }
NDArray operator-(double a, const NDArray& b) { return scalar(kRSubScalar, b, a); }
NDArray operator*(double a, const NDArray& b) { return scalar(kMulScalar, b, a); }
NDArray operator/(double a, const NDArray& b) { return scalar(kRDivScalar, b, a); }
NDArray operator%(double a, const NDArray& b) { return scalar(kRModScalar, b, a); }
NDArray operator==(double a, const NDArray& b) { return scalar(kEqScalar, b, a); }
NDArray operator!=(double a, const NDArray& b) { return scalar(kNeScalar, b, a); }
NDArray operator>(double a, const NDArray& b) { return scalar(kLtScalar, b, a); }
NDArray operator>=(double a, const NDArray& b) { return scalar(kLeScalar, b, a); }
NDArray operator<(double a, const NDArray& b) { return scalar(kGtScalar, b, a); }
NDArray operator<=(double a, const NDArray& b) { return scalar(kGeScalar, b, a); }

NDArray& operator+=(NDArray& a, const NDArray& b) { return op::invoke_into(kAdd, {a, b}, a); }
NDArray& operator-=(NDArray& a, const NDArray& b) { return op::invoke_into(kSub, {a, b}, a); }
NDArray& operator*=(NDArray& a, const NDArray& b) { return op::invoke_into(kMul, {a, b}, a); }
NDArray& operator/=(NDArray& a, const NDArray& b) { return op::invoke_into(kDiv, {a, b}, a); }
NDArray& operator+=(NDArray& a, double b) { return op::invoke_into(kAddScalar, {a}, a, ScalarParams{b}); }
NDArray& operator-=(NDArray& a, double b) { return op::invoke_into(kSubScalar, {a}, a, ScalarParams{b}); }
NDArray& operator*=(NDArray& a, double b) { return op::invoke_into(kMulScalar, {a}, a, ScalarParams{b}); }
NDArray& operator/=(NDArray& a, double b) { return op::invoke_into(kDivScalar, {a}, a, ScalarParams{b}); }

}  // namespace mx
