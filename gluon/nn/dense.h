#pragma once
// Gluon's Dense: y = activation(x W^T + b). Input (N, ...) flattened to (N, in_units) (or, without flatten,
// (..., in_units)); output (N, units) (or (..., units)). W (units, in_units), b (units). in_units 0 is learned at
// the first forward.
#include <string>

#include <mx/gluon/block.h>

namespace mx::gluon::nn {

struct DenseOptions {
  bool use_bias = true;
  bool flatten = true;
  DType dtype = DType::kFloat32;
  init::InitializerRef weight_initializer{};  // empty: the one given to initialize()
  init::InitializerRef bias_initializer = init::Zero();
  std::int64_t in_units = 0;
  Prefix prefix{};  // see Block
};

class Dense : public HybridBlock {
 public:
  // activation: "" (none), or an nd::Activation type ("relu", "sigmoid", "tanh", "softrelu", "softsign"). A
  // C string, so that Dense(10, {.in_units = 5}) picks the options overload.
  explicit Dense(std::int64_t units, const char* activation = "", DenseOptions options = {});
  Dense(std::int64_t units, DenseOptions options) : Dense(units, "", std::move(options)) {}

  NDArray forward(const NDArray& x) override;
  std::string repr() const override;
  Parameter weight() const { return weight_; }
  Parameter bias() const { return bias_; }  // an empty handle without use_bias

 private:
  std::int64_t units_;
  std::string activation_;
  DenseOptions options_;
  Parameter weight_, bias_;
};

}  // namespace mx::gluon::nn
