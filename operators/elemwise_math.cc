// The rest of the unary math library: trigonometric and hyperbolic functions and their inverses, roots,
// logarithms, rounding, and the special functions (erf, erfinv, gamma, gammaln, digamma, trigamma).
#include <cmath>
#include <numbers>

#include <mx/operators/elemwise.h>
#include <mx/operators/special_functions.h>
#include <mx/operators/unary_operator.h>

namespace mx {
namespace {

using op::unary;
namespace special = op::special;
using op::functors::kPi;

MX_MATH_FUNCTOR(Erfinv, special::erfinv(static_cast<double>(x)))
MX_MATH_FUNCTOR(Gamma, std::tgamma(static_cast<double>(x)))
MX_MATH_FUNCTOR(Gammaln, special::lgamma(static_cast<double>(x)))
MX_MATH_FUNCTOR(Digamma, special::digamma(static_cast<double>(x)))
MX_MATH_FUNCTOR(Trigamma, special::trigamma(static_cast<double>(x)))

MX_UNARY_GRADIENT(arcsin_gradient, g * nd::rsqrt(1.0 - x * x))
MX_UNARY_GRADIENT(arccos_gradient, -(g * nd::rsqrt(1.0 - x * x)))
MX_UNARY_GRADIENT(arctan_gradient, g / (x * x + 1.0))
MX_UNARY_GRADIENT(tan_gradient, g * (y * y + 1.0))
MX_UNARY_GRADIENT(sinh_gradient, g * nd::cosh(x))
MX_UNARY_GRADIENT(cosh_gradient, g * nd::sinh(x))
MX_UNARY_GRADIENT(arcsinh_gradient, g * nd::rsqrt(x * x + 1.0))
MX_UNARY_GRADIENT(arccosh_gradient, g * nd::rsqrt(x * x - 1.0))
MX_UNARY_GRADIENT(arctanh_gradient, g / (1.0 - x * x))
MX_UNARY_GRADIENT(degrees_gradient, g * (180 / kPi))
MX_UNARY_GRADIENT(radians_gradient, g * (kPi / 180))
MX_UNARY_GRADIENT(cbrt_gradient, g / (y * y * 3.0))
MX_UNARY_GRADIENT(rcbrt_gradient, -(g * y / (x * 3.0)))
MX_UNARY_GRADIENT(expm1_gradient, g * (y + 1.0))
MX_UNARY_GRADIENT(log1p_gradient, g / (x + 1.0))
MX_UNARY_GRADIENT(log2_gradient, g / (x * std::numbers::ln2))
MX_UNARY_GRADIENT(log10_gradient, g / (x * std::numbers::ln10))
MX_UNARY_GRADIENT(erf_gradient, g * nd::exp(-(x * x)) * (2 / std::sqrt(kPi)))
MX_UNARY_GRADIENT(erfinv_gradient, g * nd::exp(y * y) * (std::sqrt(kPi) / 2))
MX_UNARY_GRADIENT(gamma_gradient, g * y * nd::digamma(x))
MX_UNARY_GRADIENT(gammaln_gradient, g * nd::digamma(x))
MX_UNARY_GRADIENT(digamma_gradient, g * nd::trigamma(x))

MX_UNARY_OPERATOR(kArcsin, "arcsin", Arcsin, &arcsin_gradient)
MX_UNARY_OPERATOR(kArccos, "arccos", Arccos, &arccos_gradient)
MX_UNARY_OPERATOR(kArctan, "arctan", Arctan, &arctan_gradient)
MX_UNARY_OPERATOR(kTan, "tan", Tan, &tan_gradient)
MX_UNARY_OPERATOR(kSinh, "sinh", Sinh, &sinh_gradient)
MX_UNARY_OPERATOR(kCosh, "cosh", Cosh, &cosh_gradient)
MX_UNARY_OPERATOR(kArcsinh, "arcsinh", Arcsinh, &arcsinh_gradient)
MX_UNARY_OPERATOR(kArccosh, "arccosh", Arccosh, &arccosh_gradient)
MX_UNARY_OPERATOR(kArctanh, "arctanh", Arctanh, &arctanh_gradient)
MX_UNARY_OPERATOR(kDegrees, "degrees", Degrees, &degrees_gradient)
MX_UNARY_OPERATOR(kRadians, "radians", Radians, &radians_gradient)
MX_UNARY_OPERATOR(kCbrt, "cbrt", Cbrt, &cbrt_gradient)
MX_UNARY_OPERATOR(kRcbrt, "rcbrt", Rcbrt, &rcbrt_gradient)
MX_UNARY_OPERATOR(kExpm1, "expm1", Expm1, &expm1_gradient)
MX_UNARY_OPERATOR(kLog1p, "log1p", Log1p, &log1p_gradient)
MX_UNARY_OPERATOR(kLog2, "log2", Log2, &log2_gradient)
MX_UNARY_OPERATOR(kLog10, "log10", Log10, &log10_gradient)
MX_UNARY_OPERATOR(kRound, "round", Round, &op::zero_gradient)
MX_UNARY_OPERATOR(kRint, "rint", Rint, &op::zero_gradient)
MX_UNARY_OPERATOR(kFix, "fix", Trunc, &op::zero_gradient)
MX_UNARY_OPERATOR(kTrunc, "trunc", Trunc, &op::zero_gradient)
MX_UNARY_OPERATOR(kErf, "erf", Erf, &erf_gradient)
MX_UNARY_OPERATOR_CPU(kErfinv, "erfinv", Erfinv, &erfinv_gradient)
MX_UNARY_OPERATOR_CPU(kGamma, "gamma", Gamma, &gamma_gradient)
MX_UNARY_OPERATOR_CPU(kGammaln, "gammaln", Gammaln, &gammaln_gradient)
MX_UNARY_OPERATOR_CPU(kDigamma, "digamma", Digamma, &digamma_gradient)
MX_UNARY_OPERATOR_CPU(kTrigamma, "trigamma", Trigamma, nullptr)  // the end of the chain: no gradient

}  // namespace

namespace nd {
NDArray arcsin(const NDArray& x) { return unary(kArcsin, x); }
NDArray arccos(const NDArray& x) { return unary(kArccos, x); }
NDArray arctan(const NDArray& x) { return unary(kArctan, x); }
NDArray tan(const NDArray& x) { return unary(kTan, x); }
NDArray sinh(const NDArray& x) { return unary(kSinh, x); }
NDArray cosh(const NDArray& x) { return unary(kCosh, x); }
NDArray arcsinh(const NDArray& x) { return unary(kArcsinh, x); }
NDArray arccosh(const NDArray& x) { return unary(kArccosh, x); }
NDArray arctanh(const NDArray& x) { return unary(kArctanh, x); }
NDArray degrees(const NDArray& x) { return unary(kDegrees, x); }
NDArray radians(const NDArray& x) { return unary(kRadians, x); }
NDArray cbrt(const NDArray& x) { return unary(kCbrt, x); }
NDArray rcbrt(const NDArray& x) { return unary(kRcbrt, x); }
NDArray expm1(const NDArray& x) { return unary(kExpm1, x); }
NDArray log1p(const NDArray& x) { return unary(kLog1p, x); }
NDArray log2(const NDArray& x) { return unary(kLog2, x); }
NDArray log10(const NDArray& x) { return unary(kLog10, x); }
NDArray round(const NDArray& x) { return unary(kRound, x); }
NDArray rint(const NDArray& x) { return unary(kRint, x); }
NDArray fix(const NDArray& x) { return unary(kFix, x); }
NDArray trunc(const NDArray& x) { return unary(kTrunc, x); }
NDArray erf(const NDArray& x) { return unary(kErf, x); }
NDArray erfinv(const NDArray& x) { return unary(kErfinv, x); }
NDArray gamma(const NDArray& x) { return unary(kGamma, x); }
NDArray gammaln(const NDArray& x) { return unary(kGammaln, x); }
NDArray digamma(const NDArray& x) { return unary(kDigamma, x); }
NDArray trigamma(const NDArray& x) { return unary(kTrigamma, x); }
}  // namespace nd

}  // namespace mx
