#include <mx/gluon/nn/basic_layers.h>

#include <mx/operators/activations.h>
#include <mx/operators/indexing.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::nn {

Dropout::Dropout(double rate, Prefix prefix) : HybridBlock("dropout", std::move(prefix)), rate_(rate) {
  if (!(rate >= 0 && rate < 1)) throw Error("Dropout: rate must be in [0, 1), got " + std::to_string(rate));
}
NDArray Dropout::forward(const NDArray& x) { return rate_ == 0 ? x : nd::Dropout(x, rate_); }
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
                     DType dtype, Prefix prefix)
    : HybridBlock("embedding", std::move(prefix)) {
  weight_ = register_parameter(Parameter("weight", {input_dim, output_dim}, {.dtype = dtype, .init = std::move(weight_initializer)}));
}
NDArray Embedding::forward(const NDArray& x) { return nd::Embedding(x, weight_.data(x.context())); }
std::string Embedding::repr() const {
  return "Embedding(" + std::to_string(weight_.shape()[0]) + " -> " + std::to_string(weight_.shape()[1]) + ")";
}

}  // namespace mx::gluon::nn
