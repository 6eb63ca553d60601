#pragma once
// Activation layers: any shape in, the same shape out.
#include <string>

#include <mx/gluon/block.h>

namespace mx::gluon::nn {

// Throws mx::Error naming `layer` unless act_type is one of nd::Activation's types (used by the layers that take
// an activation, at construction).
void check_activation(const char* layer, const std::string& act_type);

// An nd::Activation by name: "relu", "sigmoid", "tanh", "softrelu", "softsign", "log_sigmoid", "mish".
class Activation : public HybridBlock {
 public:
  explicit Activation(std::string act_type, Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Activation(" + act_type_ + ")"; }

 private:
  std::string act_type_;
};

// x below 0 scaled by alpha.
class LeakyReLU : public HybridBlock {
 public:
  explicit LeakyReLU(double alpha, Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 private:
  double alpha_;
};

// LeakyReLU with a learned slope per channel (axis 1), `alpha` (in_channels), initialized to 0.25.
class PReLU : public HybridBlock {
 public:
  explicit PReLU(init::InitializerRef alpha_initializer = init::Constant(0.25), std::int64_t in_channels = 1,
                 Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "PReLU"; }
  Parameter alpha() const { return alpha_; }

 private:
  Parameter alpha_;
};

// alpha (e^x - 1) below 0.
class ELU : public HybridBlock {
 public:
  explicit ELU(double alpha = 1.0, Prefix prefix = std::nullopt) : HybridBlock("elu", std::move(prefix)), alpha_(alpha) {}
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "ELU"; }

 private:
  double alpha_;
};

class SELU : public HybridBlock {
 public:
  explicit SELU(Prefix prefix = std::nullopt) : HybridBlock("selu", std::move(prefix)) {}
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "SELU"; }
};

// x Phi(x), the exact (erf) form.
class GELU : public HybridBlock {
 public:
  explicit GELU(Prefix prefix = std::nullopt) : HybridBlock("gelu", std::move(prefix)) {}
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "GELU"; }
};

// x sigmoid(beta x).
class Swish : public HybridBlock {
 public:
  explicit Swish(double beta = 1.0, Prefix prefix = std::nullopt) : HybridBlock("swish", std::move(prefix)), beta_(beta) {}
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Swish"; }

 private:
  double beta_;
};

}  // namespace mx::gluon::nn
