// Binary arithmetic between arrays, with broadcasting (MXNet's broadcast_add, ...).
#include <mx/operators/binary_operator.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/invoke.h>
#include <mx/operators/reduce.h>

namespace mx {
namespace {

using op::GradientArgs;
using Grads = std::vector<NDArray>;

// Each input's gradient from da = d(out)/da and db, as functions of (a, b, out, g), summed back over the axes
// an input was broadcast along. Only the gradients needed are computed.
template <class DA, class DB>
Grads binary_gradient(const GradientArgs& args, DA da, DB db) {
  const NDArray &a = args.inputs[0], &b = args.inputs[1], &y = args.outputs[0], &g = args.output_grads[0];
  return {args.needs_input_grad[0] ? nd::sum_to_shape(da(a, b, y, g), a.shape()) : NDArray(),
          args.needs_input_grad[1] ? nd::sum_to_shape(db(a, b, y, g), b.shape()) : NDArray()};
}

using A = const NDArray&;
Grads add_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A, A, A, A g) { return g; }, [](A, A, A, A g) { return g; });
}
Grads sub_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A, A, A, A g) { return g; }, [](A, A, A, A g) { return -g; });
}
Grads mul_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A, A b, A, A g) { return g * b; }, [](A a, A, A, A g) { return g * a; });
}
Grads div_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A, A b, A, A g) { return g / b; }, [](A, A b, A y, A g) { return -(g * y / b); });
}
Grads mod_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A, A, A, A g) { return g; },
                         [](A a, A b, A, A g) { return -(g * nd::floor(a / b)); });
}
Grads fmod_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A, A, A, A g) { return g; },
                         [](A a, A b, A, A g) { return -(g * nd::trunc(a / b)); });
}
Grads pow_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A a, A b, A, A g) { return g * b * nd::power(a, b - 1.0); },
                         [](A a, A, A y, A g) { return g * y * nd::log(a); });
}
// The gradient goes to the input that was chosen (the first, on ties), as MXNet's.
Grads max_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A a, A b, A, A g) { return g * (a >= b); },
                         [](A a, A b, A, A g) { return g * (a < b); });
}
Grads min_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A a, A b, A, A g) { return g * (a <= b); },
                         [](A a, A b, A, A g) { return g * (a > b); });
}

Grads hypot_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A a, A, A y, A g) { return g * a / y; }, [](A, A b, A y, A g) { return g * b / y; });
}
// atan2(a, b) is the angle of the point (b, a): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2).
Grads atan2_gradient(const op::BinaryParams&, const GradientArgs& args) {
  return binary_gradient(args, [](A a, A b, A, A g) { return g * b / (a * a + b * b); },
                         [](A a, A b, A, A g) { return -(g * a / (a * a + b * b)); });
}

MX_BINARY_OPERATOR(kAdd, "broadcast_add", Add, &add_gradient)
MX_BINARY_OPERATOR(kSub, "broadcast_sub", Sub, &sub_gradient)
MX_BINARY_OPERATOR(kMul, "broadcast_mul", Mul, &mul_gradient)
MX_BINARY_OPERATOR(kDiv, "broadcast_div", Div, &div_gradient)
MX_BINARY_OPERATOR(kMod, "broadcast_mod", Mod, &mod_gradient)
MX_BINARY_OPERATOR(kFmod, "fmod", Fmod, &fmod_gradient)
MX_BINARY_OPERATOR(kPow, "broadcast_power", Pow, &pow_gradient)
MX_BINARY_OPERATOR(kMax, "broadcast_maximum", Max, &max_gradient)
MX_BINARY_OPERATOR(kMin, "broadcast_minimum", Min, &min_gradient)
MX_BINARY_OPERATOR(kHypot, "broadcast_hypot", Hypot, &hypot_gradient)
MX_BINARY_OPERATOR(kAtan2, "atan2", Atan2, &atan2_gradient)

using op::binary;

}  // namespace

namespace nd {
NDArray add(const NDArray& a, const NDArray& b) { return binary(kAdd, a, b); }
NDArray subtract(const NDArray& a, const NDArray& b) { return binary(kSub, a, b); }
NDArray multiply(const NDArray& a, const NDArray& b) { return binary(kMul, a, b); }
NDArray divide(const NDArray& a, const NDArray& b) { return binary(kDiv, a, b); }
NDArray modulo(const NDArray& a, const NDArray& b) { return binary(kMod, a, b); }
NDArray fmod(const NDArray& a, const NDArray& b) { return binary(kFmod, a, b); }
NDArray fmod(const NDArray& a, double b) { return binary(kFmod, a, full({1}, b, a.context(), a.dtype())); }
NDArray power(const NDArray& a, const NDArray& b) { return binary(kPow, a, b); }
NDArray maximum(const NDArray& a, const NDArray& b) { return binary(kMax, a, b); }
NDArray minimum(const NDArray& a, const NDArray& b) { return binary(kMin, a, b); }
NDArray hypot(const NDArray& a, const NDArray& b) { return binary(kHypot, a, b); }
NDArray atan2(const NDArray& a, const NDArray& b) { return binary(kAtan2, a, b); }
NDArray arctan2(const NDArray& a, const NDArray& b) { return binary(kAtan2, a, b); }
}  // namespace nd

NDArray operator+(const NDArray& a, const NDArray& b) { return binary(kAdd, a, b); }
NDArray operator-(const NDArray& a, const NDArray& b) { return binary(kSub, a, b); }
NDArray operator*(const NDArray& a, const NDArray& b) { return binary(kMul, a, b); }
NDArray operator/(const NDArray& a, const NDArray& b) { return binary(kDiv, a, b); }
NDArray operator%(const NDArray& a, const NDArray& b) { return binary(kMod, a, b); }
NDArray& operator+=(NDArray& a, const NDArray& b) { return op::invoke_into(kAdd, {a, b}, a); }
NDArray& operator-=(NDArray& a, const NDArray& b) { return op::invoke_into(kSub, {a, b}, a); }
NDArray& operator*=(NDArray& a, const NDArray& b) { return op::invoke_into(kMul, {a, b}, a); }
NDArray& operator/=(NDArray& a, const NDArray& b) { return op::invoke_into(kDiv, {a, b}, a); }

}  // namespace mx
