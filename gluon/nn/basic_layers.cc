#include <mx/gluon/nn/basic_layers.h>

#include <mx/operators/activations.h>
#include <mx/operators/indexing.h>
#include <mx/operators/layout.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::nn {

Dropout::Dropout(double rate, std::vector<int> axes, Prefix prefix)
    : HybridBlock("dropout", std::move(prefix)), rate_(rate), axes_(std::move(axes)) {
  if (!(rate >= 0 && rate < 1)) throw Error("Dropout: rate must be in [0, 1), got " + std::to_string(rate));
}
NDArray Dropout::forward(const NDArray& x) {
  return rate_ == 0 ? x : nd::Dropout(x, rate_, nd::DropoutMode::kTraining, axes_);
}
std::string Dropout::repr() const { return "Dropout(p = " + std::to_string(rate_) + ")"; }

NDArray Flatten::forward(const NDArray& x) { return nd::flatten(x); }

Lambda::Lambda(std::function<NDArray(const NDArray&)> fn, std::string name, Prefix prefix)
    : Block("lambda", std::move(prefix)), fn_(std::move(fn)), name_(std::move(name)) {
  if (!fn_) throw Error("Lambda: the function is empty");
}
HybridLambda::HybridLambda(std::function<NDArray(const NDArray&)> fn, std::string name, Prefix prefix)
    : HybridBlock("hybridlambda", std::move(prefix)), fn_(std::move(fn)), name_(std::move(name)) {
  if (!fn_) throw Error("HybridLambda: the function is empty");
}

Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, init::InitializerRef weight_initializer,
                     DType dtype, bool sparse_grad, Prefix prefix)
    : HybridBlock("embedding", std::move(prefix)) {
  weight_ = register_parameter(Parameter(
      "weight", {input_dim, output_dim},
      {.dtype = dtype,
       .init = std::move(weight_initializer),
       .grad_stype = sparse_grad ? StorageType::kRowSparse : StorageType::kDefault}));
}
NDArray Embedding::forward(const NDArray& x) { return nd::Embedding(x, weight_.data(x.context())); }
std::string Embedding::repr() const {
  return "Embedding(" + std::to_string(weight_.shape()[0]) + " -> " + std::to_string(weight_.shape()[1]) +
         (weight_.grad_stype() == StorageType::kRowSparse ? ", sparse_grad" : "") + ")";
}

ReflectionPad2D::ReflectionPad2D(std::int64_t padding, Prefix prefix)
    : HybridBlock("reflectionpad2d", std::move(prefix)), padding_(padding) {
  if (padding < 0) throw Error("ReflectionPad2D: padding must not be negative, got " + std::to_string(padding));
}

NDArray ReflectionPad2D::forward(const NDArray& x) {
  if (x.ndim() != 4) throw ShapeError("ReflectionPad2D: input must be (N, C, H, W), got " + x.shape().str());
  if (padding_ == 0) return x;
  const std::int64_t p = padding_;
  return nd::pad(x, {0, 0, 0, 0, p, p, p, p}, nd::PadMode::kReflect);
}

}  // namespace mx::gluon::nn
