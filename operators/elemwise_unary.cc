// Unary elementwise math. Integer inputs compute through double and convert back, as MXNet's legacy operators.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

struct NoParams {};

// The type a math function computes in: float for float and 16-bit floats, double for the rest.
template <class C>
using math_t = std::conditional_t<std::is_same_v<C, float>, float, double>;

#define MX_MATH_FUNCTOR(Name, expr)                   \
  struct Name {                                       \
    template <class C>                                \
    C operator()(C value) const {                     \
      using M = math_t<C>;                            \
      const M x = static_cast<M>(value);              \
      return static_cast<C>(expr);                    \
    }                                                 \
  };

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

void infer_same(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) { out[0] = in[0]; }

template <class F>
void unary_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) { op::unary_kernel<decltype(tag)>(in[0], out[0], F{}); });
}

// Gradients as functions of (x, out, g), built from operators so that they can be recorded in turn.
using Grads = std::vector<NDArray>;
using A = const NDArray&;
#define MX_UNARY_GRADIENT(name, expr)                                    \
  Grads name(const NoParams&, const op::GradientArgs& args) {           \
    A x = args.inputs[0], y = args.outputs[0], g = args.output_grads[0]; \
    (void)x, (void)y;                                                    \
    return {expr};                                                       \
  }
MX_UNARY_GRADIENT(negative_gradient, -g)
MX_UNARY_GRADIENT(abs_gradient, g * nd::sign(x))
MX_UNARY_GRADIENT(zero_gradient, nd::zeros_like(x))  // sign, floor, ceil: flat almost everywhere, as MXNet's
MX_UNARY_GRADIENT(sqrt_gradient, g / (y * 2.0))
MX_UNARY_GRADIENT(rsqrt_gradient, g * nd::power(y, 3.0) * -0.5)
MX_UNARY_GRADIENT(square_gradient, g * x * 2.0)
MX_UNARY_GRADIENT(reciprocal_gradient, -(g * y * y))
MX_UNARY_GRADIENT(exp_gradient, g * y)
MX_UNARY_GRADIENT(log_gradient, g / x)
MX_UNARY_GRADIENT(sin_gradient, g * nd::cos(x))
MX_UNARY_GRADIENT(cos_gradient, -(g * nd::sin(x)))
MX_UNARY_GRADIENT(relu_gradient, g * (x > 0.0))
MX_UNARY_GRADIENT(sigmoid_gradient, g * y * (1.0 - y))
MX_UNARY_GRADIENT(tanh_gradient, g * (1.0 - y * y))
#undef MX_UNARY_GRADIENT

#define MX_UNARY_OPERATOR(var, op_name, functor, gradient_fn)                                     \
  const op::Operator<NoParams> var = op::define<NoParams>({.name = op_name,                       \
                                                           .num_inputs = 1,                       \
                                                           .infer = &infer_same,                  \
                                                           .cpu = &unary_cpu<functor>,            \
                                                           .gradient = gradient_fn});

MX_UNARY_OPERATOR(kNegative, "negative", Negative, &negative_gradient)
MX_UNARY_OPERATOR(kAbs, "abs", Abs, &abs_gradient)
MX_UNARY_OPERATOR(kSign, "sign", Sign, &zero_gradient)
MX_UNARY_OPERATOR(kSqrt, "sqrt", Sqrt, &sqrt_gradient)
MX_UNARY_OPERATOR(kRsqrt, "rsqrt", Rsqrt, &rsqrt_gradient)
MX_UNARY_OPERATOR(kSquare, "square", Square, &square_gradient)
MX_UNARY_OPERATOR(kReciprocal, "reciprocal", Reciprocal, &reciprocal_gradient)
MX_UNARY_OPERATOR(kExp, "exp", Exp, &exp_gradient)
MX_UNARY_OPERATOR(kLog, "log", Log, &log_gradient)
MX_UNARY_OPERATOR(kSin, "sin", Sin, &sin_gradient)
MX_UNARY_OPERATOR(kCos, "cos", Cos, &cos_gradient)
MX_UNARY_OPERATOR(kFloor, "floor", Floor, &zero_gradient)
MX_UNARY_OPERATOR(kCeil, "ceil", Ceil, &zero_gradient)
MX_UNARY_OPERATOR(kRelu, "relu", Relu, &relu_gradient)
MX_UNARY_OPERATOR(kSigmoid, "sigmoid", Sigmoid, &sigmoid_gradient)
MX_UNARY_OPERATOR(kTanh, "tanh", Tanh, &tanh_gradient)

NDArray unary(const op::Operator<NoParams>& op, const NDArray& x) { return op::invoke1(op, {x}); }

}  // namespace

namespace nd {
NDArray negative(const NDArray& x) { return unary(kNegative, x); }
NDArray abs(const NDArray& x) { return unary(kAbs, x); }
NDArray sign(const NDArray& x) { return unary(kSign, x); }
NDArray sqrt(const NDArray& x) { return unary(kSqrt, x); }
NDArray rsqrt(const NDArray& x) { return unary(kRsqrt, x); }
NDArray square(const NDArray& x) { return unary(kSquare, x); }
NDArray reciprocal(const NDArray& x) { return unary(kReciprocal, x); }
NDArray exp(const NDArray& x) { return unary(kExp, x); }
NDArray log(const NDArray& x) { return unary(kLog, x); }
NDArray sin(const NDArray& x) { return unary(kSin, x); }
NDArray cos(const NDArray& x) { return unary(kCos, x); }
NDArray floor(const NDArray& x) { return unary(kFloor, x); }
NDArray ceil(const NDArray& x) { return unary(kCeil, x); }
NDArray relu(const NDArray& x) { return unary(kRelu, x); }
NDArray sigmoid(const NDArray& x) { return unary(kSigmoid, x); }
NDArray tanh(const NDArray& x) { return unary(kTanh, x); }
}  // namespace nd

NDArray operator-(const NDArray& x) { return unary(kNegative, x); }

}  // namespace mx
