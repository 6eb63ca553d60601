// BatchNorm, LayerNorm and InstanceNorm as compositions of recorded operators; BatchNorm with the moving
// statistics as one pass (_scale_shift_channels), and in training as two fused operators where it can
// (batch_norm_training.h on the CPU, cuDNN on a GPU).
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/axis_split.h>
#include <mx/operators/batch_norm_training.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/normalization.h>
#if MXPP_USE_CUDA
#include <mx/operators/normalization_cudnn.h>
#endif
#include <mx/operators/composite_forms.h>
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

// _scale_shift_channels(data, scale, shift): data * scale[c] + shift[c] along `axis`, in one pass over data
// (BatchNorm with the moving statistics, which was three).
struct ScaleShiftParams {
  int axis = 1;
};

void scale_shift_cpu(const ScaleShiftParams& p, std::span<const Blob> in, std::span<const Blob> out,
                     const op::ComputeContext&) {
  const op::AxisSplit split = op::split_at(in[0].shape, p.axis);
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T *x = in[0].ptr<T>(), *scale = in[1].ptr<T>(), *shift = in[2].ptr<T>();
    T* y = out[0].ptr<T>();
    op::parallel_for(
        split.outer * split.extent,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t row = begin; row < end; ++row) {
            const std::int64_t c = row % split.extent;
            const T a = scale[c], b = shift[c];
            const T* xr = x + row * split.inner;
            T* yr = y + row * split.inner;
            for (std::int64_t i = 0; i < split.inner; ++i) yr[i] = static_cast<T>(xr[i] * a + b);
          }
        },
        std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(split.inner, 1)));
  });
}

#if MXPP_USE_CUDA
void scale_shift_gpu(const ScaleShiftParams& p, std::span<const Blob> in, std::span<const Blob> out,
                     const op::ComputeContext& ctx) {
  const op::AxisSplit split = op::split_at(in[0].shape, p.axis);
  op::gpu::scale_shift(static_cast<int>(in[0].dtype), in[0].data, in[1].data, in[2].data, out[0].data, split.outer,
                       split.extent, split.inner, ctx.run.stream);
}
#endif

std::vector<NDArray> scale_shift_gradient(const ScaleShiftParams& p, const op::GradientArgs& args) {
  const NDArray& g = args.output_grads[0];
  const int ndim = g.ndim();
  std::vector<int> others;
  for (int a = 0; a < ndim; ++a) {
    if (a != p.axis) others.push_back(a);
  }
  std::vector<NDArray> grads(3);
  if (args.needs_input_grad[0]) grads[0] = g * along(args.inputs[1], p.axis, ndim);
  if (args.needs_input_grad[1]) grads[1] = sum(g * args.inputs[0], others);
  if (args.needs_input_grad[2]) grads[2] = sum(g, others);
  return grads;
}

const op::Operator<ScaleShiftParams> kScaleShift = op::define<ScaleShiftParams>({
    .name = "_scale_shift_channels",
    .num_inputs = 3,
    .infer = [](const ScaleShiftParams&, std::span<const op::ArrayInfo> in,
                std::span<op::ArrayInfo> out) { out[0] = in[0]; },
    .cpu = &scale_shift_cpu,
    .gpu = MX_GPU(&scale_shift_gpu),
    .gradient = &scale_shift_gradient,
});

NDArray normalize(const NDArray& x, const std::vector<int>& axes, double eps) {
  const NDArray centred = x - mean(x, axes, true);
  return centred * rsqrt(mean(square(centred), axes, true) + eps);
}

}  // namespace

static NDArray batch_norm_parts(const NDArray& data, const NDArray& gamma, const NDArray& beta,
                                NDArray& moving_mean, NDArray& moving_var, const BatchNormOptions& o) {
  const int axis = normalize_axis(o.axis, data.ndim(), "BatchNorm");
  const std::int64_t channels = data.shape()[axis];
  for (auto [name, v] : {std::pair<const char*, const NDArray*>{"gamma", &gamma}, {"beta", &beta},
                         {"moving_mean", &moving_mean}, {"moving_var", &moving_var}}) {
    check_per_channel("BatchNorm", name, *v, channels, data.shape());
  }
  const int ndim = data.ndim();
  const NDArray scale = o.fix_gamma ? ones_like(gamma) : gamma;
  if (o.use_global_stats || !op::thread_mode().training) {
    // (data - mean) * inv_std * gamma + beta = data * a + (beta - mean * a), with a = inv_std * gamma.
    NDArray a = rsqrt(moving_var.detach() + o.eps) * scale;
    NDArray b = beta - moving_mean.detach() * a;
    if (a.dtype() != data.dtype()) {  // float16 data with float32 statistics, as MXNet keeps them
      a = a.astype(data.dtype());
      b = b.astype(data.dtype());
    }
    return op::invoke1(kScaleShift, {data, a, b}, ScaleShiftParams{axis});
  }
#if MXPP_USE_CUDA
  if (cudnn::supports_batch_norm(data, o)) {  // one pass each way instead of a dozen
    return cudnn::batch_norm_training(data, scale, beta, moving_mean, moving_var, o);
  }
#endif
  if (fused::supports_batch_norm(data, scale, beta)) {
    return fused::batch_norm_training(data, scale, beta, moving_mean, moving_var, o, axis);
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

static NDArray layer_norm_parts(const NDArray& data, const NDArray& gamma, const NDArray& beta, int axis, double eps) {
  const int a = normalize_axis(axis, data.ndim(), "LayerNorm");
  check_per_channel("LayerNorm", "gamma", gamma, data.shape()[a], data.shape());
  check_per_channel("LayerNorm", "beta", beta, data.shape()[a], data.shape());
  return normalize(data, {a}, eps) * along(gamma, a, data.ndim()) + along(beta, a, data.ndim());
}

static NDArray instance_norm_parts(const NDArray& data, const NDArray& gamma, const NDArray& beta, double eps) {
  if (data.ndim() < 3) throw ShapeError("InstanceNorm: data must be (N, C, spatial...), got " + data.shape().str());
  check_per_channel("InstanceNorm", "gamma", gamma, data.shape()[1], data.shape());
  check_per_channel("InstanceNorm", "beta", beta, data.shape()[1], data.shape());
  std::vector<int> spatial;
  for (int a = 2; a < data.ndim(); ++a) spatial.push_back(a);
  return normalize(data, spatial, eps) * along(gamma, 1, data.ndim()) + along(beta, 1, data.ndim());
}

// The public forms: one symbol node each when traced.
NDArray BatchNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, NDArray& moving_mean,
                  NDArray& moving_var, const BatchNormOptions& options) {
  op::Composite node("BatchNorm", {data, gamma, beta, moving_mean, moving_var});
  NDArray y = batch_norm_parts(data, gamma, beta, moving_mean, moving_var, options);
  if (!node.active()) return y;
  return node.finish(op::forms::batch_norm(options), y);
}

NDArray scale_shift_channels(const NDArray& data, const NDArray& scale, const NDArray& shift, int axis) {
  const int a = normalize_axis(axis, data.ndim(), "_scale_shift_channels");
  check_per_channel("_scale_shift_channels", "scale", scale, data.shape()[a], data.shape());
  check_per_channel("_scale_shift_channels", "shift", shift, data.shape()[a], data.shape());
  return op::invoke1(kScaleShift, {data, scale, shift}, ScaleShiftParams{a});
}

NDArray LayerNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, int axis, double eps) {
  op::Composite node("LayerNorm", {data, gamma, beta});
  NDArray y = layer_norm_parts(data, gamma, beta, axis, eps);
  if (!node.active()) return y;
  return node.finish(op::forms::layer_norm(axis, eps), y);
}

NDArray InstanceNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, double eps) {
  op::Composite node("InstanceNorm", {data, gamma, beta});
  NDArray y = instance_norm_parts(data, gamma, beta, eps);
  if (!node.active()) return y;
  return node.finish(op::forms::instance_norm(eps), y);
}

}  // namespace mx::nd
