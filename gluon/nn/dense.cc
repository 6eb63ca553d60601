#include <mx/gluon/nn/dense.h>

#include <mx/gluon/nn/activations.h>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/symbolic.h>
#include <mx/operators/dot.h>

namespace mx::gluon::nn {

Dense::Dense(std::int64_t units, const char* activation, DenseOptions options)
    : HybridBlock("dense", options.prefix), units_(units), activation_(activation ? activation : ""), options_(std::move(options)) {
  if (units < 1) throw Error("Dense: units must be positive, got " + std::to_string(units));
  if (!activation_.empty()) check_activation("Dense", activation_);
  weight_ = register_parameter(Parameter("weight", {units, options_.in_units},
                                         {.dtype = options_.dtype, .init = options_.weight_initializer}));
  if (options_.use_bias) {
    bias_ = register_parameter(Parameter("bias", {units}, {.dtype = options_.dtype, .init = options_.bias_initializer}));
  }
}

NDArray Dense::forward(const NDArray& x) {
  if (x.ndim() == 0) throw ShapeError("Dense: input must have at least one axis, got shape ()");
  const std::int64_t in_units = options_.flatten ? (x.ndim() == 1 ? x.shape()[0] : x.size() / std::max<std::int64_t>(x.shape()[0], 1))
                                                 : x.shape()[x.ndim() - 1];
  if (weight_.shape()[1] == 0) {
    weight_.set_shape({units_, in_units});
  } else if (weight_.shape()[1] != in_units) {
    throw ShapeError("Dense: input " + x.shape().str() + " has " + std::to_string(in_units) + " features, weight '" +
                     weight_.name() + "' expects " + std::to_string(weight_.shape()[1]));
  }
  const Context ctx = x.context();
  std::optional<NDArray> b;
  if (options_.use_bias) b = bias_.data(ctx);
  NDArray y = nd::FullyConnected(x, weight_.data(ctx), b, static_cast<int>(units_), options_.flatten);
  if (activation_.empty()) return y;
  op::SymbolNameScope names(prefix() + activation_ + "_", true);  // MXNet's "dense0_relu_fwd"
  return nd::Activation(y, activation_);
}

std::string Dense::repr() const {
  const std::int64_t in = weight_.shape()[1];
  return "Dense(" + (in == 0 ? std::string("None") : std::to_string(in)) + " -> " + std::to_string(units_) +
         (activation_.empty() ? std::string(", linear") : ", Activation(" + activation_ + ")") + ")";
}

}  // namespace mx::gluon::nn
