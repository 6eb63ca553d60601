// Elementwise operators between an array and a scalar on either side (_plus_scalar, _rminus_scalar, ...).
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

using op::ArrayInfo;
using op::ComputeContext;
using namespace op::functors;

struct ScalarParams {
  double scalar = 0;
};

void infer_same(const ScalarParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) { out[0] = in[0]; }

template <class F, bool kScalarFirst>
void scalar_cpu(const ScalarParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const auto scalar = convert_value<op::compute_t<T>>(convert_value<T>(p.scalar));
    op::scalar_kernel<T>(in[0], scalar, kScalarFirst, out[0], Wrapping<F>{});
  });
}

#define MX_SCALAR_OPERATOR(var, op_name, functor, scalar_first) \
  const op::Operator<ScalarParams> var = op::define<ScalarParams>( \
      {.name = op_name, .num_inputs = 1, .infer = &infer_same, .cpu = &scalar_cpu<functor, scalar_first>});

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

NDArray scalar(const op::Operator<ScalarParams>& op, const NDArray& a, double s) {
  return op::invoke1(op, {a}, ScalarParams{s});
}

}  // namespace

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

NDArray& operator+=(NDArray& a, double b) { return op::invoke_into(kAddScalar, {a}, a, ScalarParams{b}); }
NDArray& operator-=(NDArray& a, double b) { return op::invoke_into(kSubScalar, {a}, a, ScalarParams{b}); }
NDArray& operator*=(NDArray& a, double b) { return op::invoke_into(kMulScalar, {a}, a, ScalarParams{b}); }
NDArray& operator/=(NDArray& a, double b) { return op::invoke_into(kDivScalar, {a}, a, ScalarParams{b}); }

namespace nd {
NDArray power(const NDArray& a, double b) { return scalar(kPowScalar, a, b); }
NDArray power(double a, const NDArray& b) { return scalar(kRPowScalar, b, a); }
NDArray maximum(const NDArray& a, double b) { return scalar(kMaxScalar, a, b); }
NDArray maximum(double a, const NDArray& b) { return scalar(kMaxScalar, b, a); }
NDArray minimum(const NDArray& a, double b) { return scalar(kMinScalar, a, b); }
NDArray minimum(double a, const NDArray& b) { return scalar(kMinScalar, b, a); }
}  // namespace nd

}  // namespace mx
