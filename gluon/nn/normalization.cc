#include <mx/gluon/nn/normalization.h>

#include <mx/operators/normalization.h>

namespace mx::gluon::nn {
namespace {

// gamma and beta of `channels` values; each frozen (grad_req null) unless learned.
std::pair<Parameter, Parameter> affine(Block& block, std::int64_t channels, bool scale, bool center) {
  Parameter gamma("gamma", {channels}, {.grad_req = scale ? GradReq::kWrite : GradReq::kNull});
  Parameter beta("beta", {channels}, {.grad_req = center ? GradReq::kWrite : GradReq::kNull});
  return {block.register_parameter(gamma), block.register_parameter(beta)};
}

// The extent of `axis` of x, set on each parameter whose shape is still unknown.
void learn_channels(const NDArray& x, int axis, const char* layer, std::initializer_list<Parameter> params) {
  const int a = normalize_axis(axis, x.ndim(), layer);
  for (Parameter p : params) p.set_shape({x.shape()[a]});
}

}  // namespace

BatchNorm::BatchNorm(std::string alias, BatchNormOptions options)
    : HybridBlock(std::move(alias), options.prefix), options_(options) {
  std::tie(gamma_, beta_) = affine(*this, options.in_channels, options.scale, options.center);
  running_mean_ = register_parameter(Parameter("running_mean", {options.in_channels}, {.grad_req = GradReq::kNull}));
  running_var_ = register_parameter(Parameter("running_var", {options.in_channels}, {.grad_req = GradReq::kNull}));
}

void BatchNorm::set_channels(const NDArray& x) {
  learn_channels(x, options_.axis, "BatchNorm", {gamma_, beta_, running_mean_, running_var_});
}

NDArray BatchNorm::forward(const NDArray& x) {
  set_channels(x);
  const Context ctx = x.context();
  NDArray mean = running_mean_.data(ctx), var = running_var_.data(ctx);
  return nd::BatchNorm(x, gamma_.data(ctx), beta_.data(ctx), mean, var,
                       {.eps = options_.epsilon,
                        .momentum = options_.momentum,
                        .fix_gamma = !options_.scale,
                        .use_global_stats = options_.use_global_stats,
                        .axis = options_.axis});
}

std::string BatchNorm::repr() const {
  return "BatchNorm(axis=" + std::to_string(options_.axis) + ", in_channels=" + std::to_string(gamma_.shape()[0]) + ")";
}

LayerNorm::LayerNorm(NormOptions options) : HybridBlock("layernorm", options.prefix), options_(options) {
  std::tie(gamma_, beta_) = affine(*this, options.in_channels, options.scale, options.center);
}

NDArray LayerNorm::forward(const NDArray& x) {
  learn_channels(x, options_.axis, "LayerNorm", {gamma_, beta_});
  return nd::LayerNorm(x, gamma_.data(x.context()), beta_.data(x.context()), options_.axis, options_.epsilon);
}

InstanceNorm::InstanceNorm(NormOptions options) : HybridBlock("instancenorm", options.prefix), options_(options) {
  std::tie(gamma_, beta_) = affine(*this, options.in_channels, options.scale, options.center);
}

NDArray InstanceNorm::forward(const NDArray& x) {
  learn_channels(x, 1, "InstanceNorm", {gamma_, beta_});
  return nd::InstanceNorm(x, gamma_.data(x.context()), beta_.data(x.context()), options_.epsilon);
}

GroupNorm::GroupNorm(GroupNormOptions options) : HybridBlock("groupnorm", options.prefix), options_(options) {
  if (options.num_groups < 1) throw Error("GroupNorm: num_groups must be positive, got " + std::to_string(options.num_groups));
  std::tie(gamma_, beta_) = affine(*this, options.num_groups, options.scale, options.center);
}

NDArray GroupNorm::forward(const NDArray& x) {
  if (x.ndim() < 2 || x.shape()[1] % options_.num_groups != 0) {
    throw ShapeError("GroupNorm: input must be (N, C, ...) with C a multiple of num_groups " +
                     std::to_string(options_.num_groups) + ", got " + x.shape().str());
  }
  // Each group as one instance-normalized channel of its own: (N, G, C / G * spatial).
  const NDArray grouped = x.reshape({x.shape()[0], options_.num_groups, -1});
  return nd::InstanceNorm(grouped, gamma_.data(x.context()), beta_.data(x.context()), options_.epsilon).reshape(x.shape());
}

}  // namespace mx::gluon::nn
