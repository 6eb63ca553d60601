// Unary elementwise arithmetic and the activations; elemwise_math.cc has the rest of the math library.
#include <algorithm>
#include <cmath>

#include <mx/operators/binary_operator.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/unary_operator.h>

namespace mx {
namespace {

using op::unary;

// relu's gradient in one pass over (g, y), as MXNet's _backward_relu: y > 0 exactly where x > 0, so the
// input need not be kept, and the mask and the product are not two operations on the step's critical path.
std::vector<NDArray> relu_backward_gradient(const op::BinaryParams&, const op::GradientArgs& args);
MX_BINARY_OPERATOR(kReluBackward, "_backward_relu", ReluBackward, &relu_backward_gradient)
// Linear in g with the same mask; flat in y almost everywhere.
std::vector<NDArray> relu_backward_gradient(const op::BinaryParams&, const op::GradientArgs& args) {
  const NDArray &y = args.inputs[1], &g = args.output_grads[0];
  return {args.needs_input_grad[0] ? op::binary(kReluBackward, g, y) : NDArray(),
          args.needs_input_grad[1] ? nd::zeros_like(y) : NDArray()};
}

MX_UNARY_GRADIENT(negative_gradient, -g)
MX_UNARY_GRADIENT(abs_gradient, g * nd::sign(x))
MX_UNARY_GRADIENT(sqrt_gradient, g / (y * 2.0))
MX_UNARY_GRADIENT(rsqrt_gradient, g * nd::power(y, 3.0) * -0.5)
MX_UNARY_GRADIENT(square_gradient, g * x * 2.0)
MX_UNARY_GRADIENT(reciprocal_gradient, -(g * y * y))
MX_UNARY_GRADIENT(exp_gradient, g * y)
MX_UNARY_GRADIENT(log_gradient, g / x)
MX_UNARY_GRADIENT(sin_gradient, g * nd::cos(x))
MX_UNARY_GRADIENT(cos_gradient, -(g * nd::sin(x)))
MX_UNARY_GRADIENT(relu_gradient, op::binary(kReluBackward, g, y))
MX_UNARY_GRADIENT(sigmoid_gradient, g * y * (1.0 - y))
MX_UNARY_GRADIENT(tanh_gradient, g * (1.0 - y * y))

MX_UNARY_OPERATOR(kNegative, "negative", Negative, &negative_gradient)
MX_UNARY_OPERATOR(kAbs, "abs", Abs, &abs_gradient)
MX_UNARY_OPERATOR(kSign, "sign", Sign, &op::zero_gradient)
MX_UNARY_OPERATOR(kSqrt, "sqrt", Sqrt, &sqrt_gradient)
MX_UNARY_OPERATOR(kRsqrt, "rsqrt", Rsqrt, &rsqrt_gradient)
MX_UNARY_OPERATOR(kSquare, "square", Square, &square_gradient)
MX_UNARY_OPERATOR(kReciprocal, "reciprocal", Reciprocal, &reciprocal_gradient)
MX_UNARY_OPERATOR(kExp, "exp", Exp, &exp_gradient)
MX_UNARY_OPERATOR(kLog, "log", Log, &log_gradient)
MX_UNARY_OPERATOR(kSin, "sin", Sin, &sin_gradient)
MX_UNARY_OPERATOR(kCos, "cos", Cos, &cos_gradient)
MX_UNARY_OPERATOR(kFloor, "floor", Floor, &op::zero_gradient)
MX_UNARY_OPERATOR(kCeil, "ceil", Ceil, &op::zero_gradient)
MX_UNARY_OPERATOR(kRelu, "relu", Relu, &relu_gradient)
MX_UNARY_OPERATOR(kSigmoid, "sigmoid", Sigmoid, &sigmoid_gradient)
MX_UNARY_OPERATOR(kTanh, "tanh", Tanh, &tanh_gradient)

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
