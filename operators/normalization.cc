// BatchNorm, LayerNorm and InstanceNorm as compositions of recorded operators.
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/normalization.h>
#include <mx/operators/recording.h>
#include <mx/operators/reduce.h>

namespace mx::nd {
namespace {

// A per-channel array shaped to broadcast along `axis` of an array with `ndim` axes.
NDArray along(const NDArray& v, int axis, int ndim) {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(ndim), 1);
  dims[static_cast<std::size_t>(axis)] = v.size();
  return v.reshape(dims);
}

void check_per_channel(const char* op, const char* name, const NDArray& v, std::int64_t channels, const Shape& data) {
  if (v.shape() != Shape{channels}) {
    throw ShapeError(std::string(op) + ": " + name + " must be (" + std::to_string(channels) + ",) for data " +
                     data.str() + ", got " + v.shape().str());
  }
}

NDArray normalize(const NDArray& x, const std::vector<int>& axes, double eps) {
  const NDArray centred = x - mean(x, axes, true);
  return centred * rsqrt(mean(square(centred), axes, true) + eps);
}

}  // namespace

NDArray BatchNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, NDArray& moving_mean,
                  NDArray& moving_var, const BatchNormOptions& o) {
  const int axis = normalize_axis(o.axis, data.ndim(), "BatchNorm");
  const std::int64_t channels = data.shape()[axis];
  for (auto [name, v] : {std::pair<const char*, const NDArray*>{"gamma", &gamma}, {"beta", &beta},
                         {"moving_mean", &moving_mean}, {"moving_var", &moving_var}}) {
    check_per_channel("BatchNorm", name, *v, channels, data.shape());
  }
  const int ndim = data.ndim();
  const NDArray scale = o.fix_gamma ? ones_like(gamma) : gamma;
  if (o.use_global_stats || !op::thread_mode().training) {
    const NDArray inv_std = rsqrt(moving_var.detach() + o.eps);
    return (data - along(moving_mean.detach(), axis, ndim)) * along(inv_std * scale, axis, ndim) +
           along(beta, axis, ndim);
  }
  std::vector<int> axes;
  for (int a = 0; a < ndim; ++a) {
    if (a != axis) axes.push_back(a);
  }
  const NDArray batch_mean = mean(data, axes, true);
  const NDArray centred = data - batch_mean;
  const NDArray batch_var = mean(square(centred), axes, true);
  const NDArray out = centred * rsqrt(batch_var + o.eps) * along(scale, axis, ndim) + along(beta, axis, ndim);
  {  // the moving statistics are state, not part of the graph
    const op::PauseRecording pause;
    moving_mean *= o.momentum;
    moving_mean += batch_mean.detach().reshape({channels}) * (1 - o.momentum);
    moving_var *= o.momentum;
    moving_var += batch_var.detach().reshape({channels}) * (1 - o.momentum);
  }
  return out;
}

NDArray LayerNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, int axis, double eps) {
  const int a = normalize_axis(axis, data.ndim(), "LayerNorm");
  check_per_channel("LayerNorm", "gamma", gamma, data.shape()[a], data.shape());
  check_per_channel("LayerNorm", "beta", beta, data.shape()[a], data.shape());
  return normalize(data, {a}, eps) * along(gamma, a, data.ndim()) + along(beta, a, data.ndim());
}

NDArray InstanceNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, double eps) {
  if (data.ndim() < 3) throw ShapeError("InstanceNorm: data must be (N, C, spatial...), got " + data.shape().str());
  check_per_channel("InstanceNorm", "gamma", gamma, data.shape()[1], data.shape());
  check_per_channel("InstanceNorm", "beta", beta, data.shape()[1], data.shape());
  std::vector<int> spatial;
  for (int a = 2; a < data.ndim(); ++a) spatial.push_back(a);
  return normalize(data, spatial, eps) * along(gamma, 1, data.ndim()) + along(beta, 1, data.ndim());
}

}  // namespace mx::nd
