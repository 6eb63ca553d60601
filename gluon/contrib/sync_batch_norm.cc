#include <mx/gluon/contrib/sync_batch_norm.h>

#include <atomic>

#include <mx/operators/sync_batch_norm.h>

namespace mx::gluon::contrib::nn {

SyncBatchNorm::SyncBatchNorm(SyncBatchNormOptions options)
    : BatchNorm("syncbatchnorm", {.axis = 1,
                                  .momentum = options.momentum,
                                  .epsilon = options.epsilon,
                                  .center = options.center,
                                  .scale = options.scale,
                                  .use_global_stats = options.use_global_stats,
                                  .in_channels = options.in_channels,
                                  .prefix = options.prefix}),
      num_devices_(options.num_devices),
      timeout_s_(options.timeout_s) {
  static std::atomic<std::uint64_t> layers{0};
  key_ = name() + "#" + std::to_string(layers.fetch_add(1));
}

NDArray SyncBatchNorm::forward(const NDArray& x) {
  if (x.ndim() < 2) throw ShapeError("SyncBatchNorm: input must be (N, C, ...), got " + x.shape().str());
  set_channels(x);
  const Context ctx = x.context();
  const int devices = num_devices_ > 0 ? num_devices_ : static_cast<int>(gamma_.list_ctx().size());
  NDArray mean = running_mean_.data(ctx), var = running_var_.data(ctx);
  return nd::contrib::SyncBatchNorm(x, gamma_.data(ctx), beta_.data(ctx), mean, var,
                                    {.eps = options_.epsilon,
                                     .momentum = options_.momentum,
                                     .fix_gamma = !options_.scale,
                                     .use_global_stats = options_.use_global_stats,
                                     .ndev = devices,
                                     .key = key_,
                                     .timeout_s = timeout_s_});
}

std::string SyncBatchNorm::repr() const {
  return "SyncBatchNorm(in_channels=" + std::to_string(gamma_.shape()[0]) + ", num_devices=" + std::to_string(num_devices_) + ")";
}

}  // namespace mx::gluon::contrib::nn
