#include <mx/gluon/contrib/sync_batch_norm.h>

#include <atomic>

#include <mx/operators/sync_batch_norm.h>

namespace mx::gluon::contrib::nn {

SyncBatchNorm::SyncBatchNorm(SyncBatchNormOptions options)
    : HybridBlock("syncbatchnorm", options.prefix), options_(options) {
  static std::atomic<std::uint64_t> layers{0};
  key_ = name() + "#" + std::to_string(layers.fetch_add(1));
  const std::int64_t c = options.in_channels;
  gamma_ = register_parameter(Parameter("gamma", {c}, {.grad_req = options.scale ? GradReq::kWrite : GradReq::kNull}));
  beta_ = register_parameter(Parameter("beta", {c}, {.grad_req = options.center ? GradReq::kWrite : GradReq::kNull}));
  running_mean_ = register_parameter(Parameter("running_mean", {c}, {.grad_req = GradReq::kNull}));
  running_var_ = register_parameter(Parameter("running_var", {c}, {.grad_req = GradReq::kNull}));
}

NDArray SyncBatchNorm::forward(const NDArray& x) {
  if (x.ndim() < 2) throw ShapeError("SyncBatchNorm: input must be (N, C, ...), got " + x.shape().str());
  for (Parameter p : {gamma_, beta_, running_mean_, running_var_}) p.set_shape({x.shape()[1]});
  const Context ctx = x.context();
  const int devices = options_.num_devices > 0 ? options_.num_devices : static_cast<int>(gamma_.list_ctx().size());
  NDArray mean = running_mean_.data(ctx), var = running_var_.data(ctx);
  return nd::contrib::SyncBatchNorm(x, gamma_.data(ctx), beta_.data(ctx), mean, var,
                                    {.eps = options_.epsilon,
                                     .momentum = options_.momentum,
                                     .fix_gamma = !options_.scale,
                                     .use_global_stats = options_.use_global_stats,
                                     .ndev = devices,
                                     .key = key_,
                                     .timeout_s = options_.timeout_s});
}

std::string SyncBatchNorm::repr() const {
  return "SyncBatchNorm(in_channels=" + std::to_string(gamma_.shape()[0]) + ", num_devices=" +
         std::to_string(options_.num_devices) + ")";
}

}  // namespace mx::gluon::contrib::nn
