// Activations built from recorded elementwise operators (so autograd differentiates them), and Dropout, whose
// mask is a constant to autograd and so is reused by the gradient.
#include <cmath>
#include <numbers>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/composite_forms.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/nn.h>
#include <mx/operators/random.h>
#include <mx/operators/recording.h>
#include <mx/operators/select.h>

namespace mx::nd {

static NDArray activation_parts(const NDArray& x, std::string_view act_type) {
  if (act_type == "relu") return relu(x);
  if (act_type == "sigmoid") return sigmoid(x);
  if (act_type == "tanh") return tanh(x);
  if (act_type == "softrelu") return relu(x) + log1p(exp(-abs(x)));  // stable for large |x|
  if (act_type == "softsign") return x / (abs(x) + 1.0);
  if (act_type == "log_sigmoid") return -(relu(-x) + log1p(exp(-abs(x))));  // -softrelu(-x), stable
  if (act_type == "mish") return x * tanh(relu(x) + log1p(exp(-abs(x))));
  throw Error("Activation: unknown act_type \"" + std::string(act_type) +
              "\" (relu, sigmoid, tanh, softrelu, softsign, log_sigmoid, mish)");
}

static NDArray leaky_relu_parts(const NDArray& x, std::string_view act_type, double slope,
                                const std::optional<NDArray>& gamma) {
  const NDArray positive = x > 0.0;
  if (act_type == "leaky") return where(positive, x, x * slope);
  if (act_type == "elu") return where(positive, x, expm1(x) * slope);
  if (act_type == "selu") {
    constexpr double kAlpha = 1.6732632423543772, kScale = 1.0507009873554805;
    return where(positive, x, expm1(x) * kAlpha) * kScale;
  }
  if (act_type == "gelu") return x * (erf(x * (1 / std::numbers::sqrt2)) + 1.0) * 0.5;
  if (act_type == "prelu") {
    if (!gamma) throw Error("LeakyReLU: act_type prelu needs gamma");
    if (x.ndim() < 2 || gamma->shape() != Shape{x.shape()[1]}) {
      throw ShapeError("LeakyReLU: prelu's gamma must have one value per channel (axis 1) of " + x.shape().str() +
                       ", got " + gamma->shape().str());
    }
    std::vector<std::int64_t> per_channel(static_cast<std::size_t>(x.ndim()), 1);
    per_channel[1] = x.shape()[1];
    return where(positive, x, x * gamma->reshape(per_channel));
  }
  throw Error("LeakyReLU: unknown act_type \"" + std::string(act_type) + "\" (leaky, prelu, elu, selu, gelu)");
}

static NDArray dropout_parts(const NDArray& x, double p, DropoutMode mode, const std::vector<int>& axes) {
  if (!(p >= 0 && p < 1)) throw Error("Dropout: p must be in [0, 1), got " + std::to_string(p));
  std::vector<std::int64_t> mask_shape(x.shape().dims().begin(), x.shape().dims().end());
  for (int axis : axes) mask_shape[static_cast<std::size_t>(normalize_axis(axis, x.ndim(), "Dropout"))] = 1;
  if (p == 0 || (mode == DropoutMode::kTraining && !op::thread_mode().training)) return x;
  NDArray keep = random::uniform(0, 1, Shape(mask_shape), x.context(), x.dtype()) >= p;
  return x * (keep * (1 / (1 - p)));  // broadcast along the shared axes
}

// The public forms: one symbol node each when traced.
NDArray Activation(const NDArray& x, std::string_view act_type) {
  op::Composite node("Activation", {x});
  NDArray y = activation_parts(x, act_type);
  if (!node.active()) return y;
  return node.finish(op::forms::activation(act_type), y);
}

NDArray LeakyReLU(const NDArray& x, std::string_view act_type, double slope, const std::optional<NDArray>& gamma) {
  std::vector<NDArray> inputs = {x};
  if (gamma && act_type == "prelu") inputs.push_back(*gamma);
  op::Composite node("LeakyReLU", inputs);
  NDArray y = leaky_relu_parts(x, act_type, slope, gamma);
  if (!node.active()) return y;
  return node.finish(op::forms::leaky_relu(act_type, slope), y);
}

NDArray hard_sigmoid(const NDArray& x, double alpha, double beta) { return clip(x * alpha + beta, 0, 1); }

NDArray Dropout(const NDArray& x, double p, DropoutMode mode, std::vector<int> axes) {
  op::Composite node("Dropout", {x});
  NDArray y = dropout_parts(x, p, mode, axes);
  if (!node.active()) return y;
  return node.finish(op::forms::dropout(p, mode, axes), y);
}

}  // namespace mx::nd
