#include <mx/gluon/nn/activations.h>

#include <mx/operators/activations.h>
#include <mx/operators/elemwise.h>

namespace mx::gluon::nn {

void check_activation(const char* layer, const std::string& act_type) {
  static const char* const kKnown[] = {"relu", "sigmoid", "tanh", "softrelu", "softsign", "log_sigmoid", "mish"};
  for (const char* known : kKnown) {
    if (act_type == known) return;
  }
  throw Error(std::string(layer) + ": unknown activation \"" + act_type + "\" (relu, sigmoid, tanh, softrelu, softsign, log_sigmoid, mish)");
}

Activation::Activation(std::string act_type, Prefix prefix)
    : HybridBlock(act_type, std::move(prefix)), act_type_(std::move(act_type)) { check_activation("Activation", act_type_); }
NDArray Activation::forward(const NDArray& x) { return nd::Activation(x, act_type_); }

LeakyReLU::LeakyReLU(double alpha, Prefix prefix) : HybridBlock("leakyrelu", std::move(prefix)), alpha_(alpha) {
  if (alpha < 0) throw Error("LeakyReLU: alpha must not be negative, got " + std::to_string(alpha));
}
NDArray LeakyReLU::forward(const NDArray& x) { return nd::LeakyReLU(x, "leaky", alpha_); }
std::string LeakyReLU::repr() const { return "LeakyReLU(" + std::to_string(alpha_) + ")"; }

PReLU::PReLU(init::InitializerRef alpha_initializer, std::int64_t in_channels, Prefix prefix)
    : HybridBlock("prelu", std::move(prefix)) {
  alpha_ = register_parameter(Parameter("alpha", {in_channels}, {.init = std::move(alpha_initializer)}));
}
NDArray PReLU::forward(const NDArray& x) { return nd::LeakyReLU(x, "prelu", 0, alpha_.data(x.context())); }

NDArray ELU::forward(const NDArray& x) { return nd::LeakyReLU(x, "elu", alpha_); }
NDArray SELU::forward(const NDArray& x) { return nd::LeakyReLU(x, "selu"); }
NDArray GELU::forward(const NDArray& x) { return nd::LeakyReLU(x, "gelu"); }
NDArray Swish::forward(const NDArray& x) { return x * nd::sigmoid(beta_ == 1 ? x : x * beta_); }

}  // namespace mx::gluon::nn
