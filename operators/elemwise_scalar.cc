// Elementwise operators between an array and a scalar on either side (_plus_scalar, _rminus_scalar, ...).
#include <cmath>

#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

using op::ArrayInfo;
using op::ComputeContext;
using namespace op::functors;

struct ScalarParams {
  double scalar = 0;
};

void scalar_to_attrs(const ScalarParams& p, int, op::Attrs& attrs) { attrs["scalar"] = op::attr_string(p.scalar); }
ScalarParams scalar_from_attrs(op::AttrReader& attrs, int) {
  ScalarParams p;
  attrs.read("scalar", p.scalar);
  attrs.ignore("is_int");  // MXNet 1.9's hint for integer arrays
  return p;
}

void infer_same(const ScalarParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) { out[0] = in[0]; }

template <class F, bool kScalarFirst>
void scalar_cpu(const ScalarParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const auto scalar = convert_value<op::compute_t<T>>(convert_value<T>(p.scalar));
    op::scalar_kernel<T>(in[0], scalar, kScalarFirst, out[0], Wrapping<F>{});
  });
}

#if MXPP_USE_CUDA
// The scalar is one operand of the binary kernel, rounded to the array's dtype there as scalar_cpu rounds it.
template <class F, bool kScalarFirst>
void scalar_gpu(const ScalarParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  op::gpu::Operand array{.data = in[0].data}, scalar{.scalar = p.scalar};
  op::gpu::OutLayout layout{.ndim = 0, .size = out[0].size()};
  op::gpu::binary<F>(static_cast<int>(out[0].dtype), kScalarFirst ? scalar : array, kScalarFirst ? array : scalar,
                     out[0].data, layout, ctx.run.stream);
}
#define MX_GPU_SCALAR(functor, scalar_first) &scalar_gpu<functor, scalar_first>
#else
#define MX_GPU_SCALAR(functor, scalar_first) nullptr
#endif

// Gradients, as functions of (x, out, g, scalar); comparisons have none (their results are constants).
using op::GradientArgs;
using Grads = std::vector<NDArray>;
template <class D>
Grads scalar_gradient(const ScalarParams& p, const GradientArgs& args, D d) {
  return {d(args.inputs[0], args.outputs[0], args.output_grads[0], p.scalar)};
}
using A = const NDArray&;
#define MX_SCALAR_GRADIENT(name, expr)                                  \
  Grads name(const ScalarParams& p, const GradientArgs& args) {        \
    return scalar_gradient(p, args, [](A x, A y, A g, double s) {      \
      (void)x, (void)y, (void)s;                                       \
      return expr;                                                     \
    });                                                                \
  }
MX_SCALAR_GRADIENT(identity_gradient, g)
MX_SCALAR_GRADIENT(negate_gradient, -g)
MX_SCALAR_GRADIENT(mul_gradient, g * s)
MX_SCALAR_GRADIENT(div_gradient, g / s)
MX_SCALAR_GRADIENT(rdiv_gradient, -(g * y / x))                       // d(s/x) = -s/x^2 = -y/x
MX_SCALAR_GRADIENT(rmod_gradient, -(g * nd::floor(s / x)))
MX_SCALAR_GRADIENT(pow_gradient, g * s * nd::power(x, s - 1))
MX_SCALAR_GRADIENT(rpow_gradient, g * y * std::log(s))
MX_SCALAR_GRADIENT(max_gradient, g * (x >= s))
MX_SCALAR_GRADIENT(min_gradient, g * (x <= s))
#undef MX_SCALAR_GRADIENT

#define MX_SCALAR_OPERATOR(var, op_name, functor, scalar_first, gradient_fn)                                  \
  const op::Operator<ScalarParams> var = op::define<ScalarParams>({.name = op_name,                        \
                                                                   .num_inputs = 1,                        \
                                                                   .infer = &infer_same,                   \
                                                                   .cpu = &scalar_cpu<functor, scalar_first>, \
                                                                   .gpu = MX_GPU_SCALAR(functor, scalar_first), \
                                                                   .gradient = gradient_fn,                \
                                                                   .to_attrs = &scalar_to_attrs,           \
                                                                   .from_attrs = &scalar_from_attrs});

MX_SCALAR_OPERATOR(kAddScalar, "_plus_scalar", Add, false, &identity_gradient)
MX_SCALAR_OPERATOR(kSubScalar, "_minus_scalar", Sub, false, &identity_gradient)
MX_SCALAR_OPERATOR(kRSubScalar, "_rminus_scalar", Sub, true, &negate_gradient)
MX_SCALAR_OPERATOR(kMulScalar, "_mul_scalar", Mul, false, &mul_gradient)
MX_SCALAR_OPERATOR(kDivScalar, "_div_scalar", Div, false, &div_gradient)
MX_SCALAR_OPERATOR(kRDivScalar, "_rdiv_scalar", Div, true, &rdiv_gradient)
MX_SCALAR_OPERATOR(kModScalar, "_mod_scalar", Mod, false, &identity_gradient)
MX_SCALAR_OPERATOR(kRModScalar, "_rmod_scalar", Mod, true, &rmod_gradient)
MX_SCALAR_OPERATOR(kPowScalar, "_power_scalar", Pow, false, &pow_gradient)
MX_SCALAR_OPERATOR(kRPowScalar, "_rpower_scalar", Pow, true, &rpow_gradient)
MX_SCALAR_OPERATOR(kMaxScalar, "_maximum_scalar", Max, false, &max_gradient)
MX_SCALAR_OPERATOR(kMinScalar, "_minimum_scalar", Min, false, &min_gradient)
MX_SCALAR_OPERATOR(kEqScalar, "_equal_scalar", Eq, false, nullptr)
MX_SCALAR_OPERATOR(kNeScalar, "_not_equal_scalar", Ne, false, nullptr)
MX_SCALAR_OPERATOR(kGtScalar, "_greater_scalar", Gt, false, nullptr)
MX_SCALAR_OPERATOR(kGeScalar, "_greater_equal_scalar", Ge, false, nullptr)
MX_SCALAR_OPERATOR(kLtScalar, "_lesser_scalar", Lt, false, nullptr)
MX_SCALAR_OPERATOR(kLeScalar, "_lesser_equal_scalar", Le, false, nullptr)

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
