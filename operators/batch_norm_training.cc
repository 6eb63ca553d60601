#include <mx/operators/batch_norm_training.h>

#include <cmath>
#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/axis_split.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/float_dispatch.h>
#include <mx/operators/batch_norm_gradient.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/recording.h>

namespace mx::nd::fused {
namespace {

struct NormParams {
  double eps = 1e-3;
  int axis = 1;
};

// A channel's values: `outer` runs of `inner` contiguous values, one run every `extent * inner`.
struct Channel {
  op::AxisSplit split;
  std::int64_t c;
  std::int64_t run(std::int64_t n) const { return (n * split.extent + c) * split.inner; }
  double count() const { return static_cast<double>(split.outer * split.inner); }
};

// The sum of term(i) over i in [0, n), in eight independent partial sums (a single chain of additions waits
// for each one in turn); runs are short, so the partial sums keep the values' precision, and the caller adds
// the runs' totals in double.
template <class T, class Term>
double run_sum(std::int64_t n, Term term) {
  T partial[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) partial[k] += term(i + k);
  }
  T tail = 0;
  for (; i < n; ++i) tail += term(i);
  return static_cast<double>(((partial[0] + partial[1]) + (partial[2] + partial[3])) +
                             ((partial[4] + partial[5]) + (partial[6] + partial[7])) + tail);
}

// Splits the channels across the workers, each channel's passes on one worker.
template <class Body>
void for_each_channel(const op::AxisSplit& s, Body body) {
  const std::int64_t per_channel = std::max<std::int64_t>(s.outer * s.inner, 1);
  op::parallel_for(s.extent, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) body(Channel{s, c});
  }, std::max<std::int64_t>(1, op::kParallelGrain / per_channel));
}

// Inputs (data, scale, beta); outputs (y, the batch's mean, its biased variance), each statistic per channel.
template <class T>
void forward_kernel(const NormParams& p, std::span<const Blob> in, std::span<const Blob> out) {
  const op::AxisSplit s = op::split_at(in[0].shape, p.axis);
  const T *x = in[0].ptr<T>(), *scale = in[1].ptr<T>(), *beta = in[2].ptr<T>();
  T *y = out[0].ptr<T>(), *mean_out = out[1].ptr<T>(), *var_out = out[2].ptr<T>();
  for_each_channel(s, [&](const Channel& ch) {
    double total = 0;
    for (std::int64_t n = 0; n < s.outer; ++n) {
      const T* xr = x + ch.run(n);
      total += run_sum<T>(s.inner, [xr](std::int64_t i) { return xr[i]; });
    }
    const double mean = total / ch.count();
    const T m = static_cast<T>(mean);
    double squares = 0;  // about the mean, a second pass: no cancellation as in E[x^2] - mean^2
    for (std::int64_t n = 0; n < s.outer; ++n) {
      const T* xr = x + ch.run(n);
      squares += run_sum<T>(s.inner, [xr, m](std::int64_t i) { return (xr[i] - m) * (xr[i] - m); });
    }
    const double var = squares / ch.count();
    const double a = static_cast<double>(scale[ch.c]) / std::sqrt(var + p.eps);
    const T a_t = static_cast<T>(a), b_t = static_cast<T>(static_cast<double>(beta[ch.c]) - mean * a);
    for (std::int64_t n = 0; n < s.outer; ++n) {
      const T* xr = x + ch.run(n);
      T* yr = y + ch.run(n);
      for (std::int64_t i = 0; i < s.inner; ++i) yr[i] = xr[i] * a_t + b_t;
    }
    mean_out[ch.c] = m;
    var_out[ch.c] = static_cast<T>(var);
  });
}

// Inputs (data, scale, dy, mean, var); outputs (dx, dscale, dbeta). With xhat = (x - mean) / sqrt(var + eps)
// and M values per channel: dbeta = sum(dy), dscale = sum(dy * xhat),
// dx = scale / sqrt(var + eps) * (dy - dbeta / M - xhat * dscale / M).
template <class T>
void backward_kernel(const NormParams& p, std::span<const Blob> in, std::span<const Blob> out) {
  const op::AxisSplit s = op::split_at(in[0].shape, p.axis);
  const T *x = in[0].ptr<T>(), *scale = in[1].ptr<T>(), *dy = in[2].ptr<T>(), *mean = in[3].ptr<T>(),
          *var = in[4].ptr<T>();
  T *dx = out[0].ptr<T>(), *dscale = out[1].ptr<T>(), *dbeta = out[2].ptr<T>();
  for_each_channel(s, [&](const Channel& ch) {
    const T m = mean[ch.c];
    double sum_dy = 0, sum_dy_centred = 0;
    for (std::int64_t n = 0; n < s.outer; ++n) {
      const T *xr = x + ch.run(n), *gr = dy + ch.run(n);
      sum_dy += run_sum<T>(s.inner, [gr](std::int64_t i) { return gr[i]; });
      sum_dy_centred += run_sum<T>(s.inner, [xr, gr, m](std::int64_t i) { return gr[i] * (xr[i] - m); });
    }
    const double inv_std = 1 / std::sqrt(static_cast<double>(var[ch.c]) + p.eps);
    const double d_scale = sum_dy_centred * inv_std, k = static_cast<double>(scale[ch.c]) * inv_std;
    const T k_dy = static_cast<T>(k), k_shift = static_cast<T>(k * sum_dy / ch.count()),
            k_centred = static_cast<T>(k * d_scale * inv_std / ch.count());
    for (std::int64_t n = 0; n < s.outer; ++n) {
      const T *xr = x + ch.run(n), *gr = dy + ch.run(n);
      T* dr = dx + ch.run(n);
      for (std::int64_t i = 0; i < s.inner; ++i) dr[i] = k_dy * gr[i] - k_shift - (xr[i] - m) * k_centred;
    }
    dscale[ch.c] = static_cast<T>(d_scale);
    dbeta[ch.c] = static_cast<T>(sum_dy);
  });
}

// Both operators' outputs: one like the data, two like the per-channel input (scale).
void infer_data_and_two_per_channel(const NormParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  out[0] = in[0];
  out[1] = out[2] = in[1];
}

void infer_forward(const NormParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const std::int64_t channels = in[0].shape[p.axis];
  for (int i = 1; i < 3; ++i) {
    if (in[i].dtype != in[0].dtype || in[i].shape != Shape{channels}) {
      throw ShapeError("_batch_norm_training: scale and beta must be (" + std::to_string(channels) + ",) of the data's dtype " +
                       dtype_name(in[0].dtype) + " for data " + in[0].shape.str() + ", got " + in[i].shape.str() + " " +
                       dtype_name(in[i].dtype));
    }
  }
  infer_data_and_two_per_channel(p, in, out);
}

const op::Operator<NormParams> kBackward = op::define<NormParams>({
    .name = "_backward_batch_norm_training",
    .num_inputs = 5,
    .num_outputs = 3,
    .infer = &infer_data_and_two_per_channel,
    .cpu = [](const NormParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      op::dispatch_float32_or_64(in[0].dtype, "_backward_batch_norm_training",
                        [&](auto tag) { backward_kernel<decltype(tag)>(p, in, out); });
    },
    .gradient = [](const NormParams&, const op::GradientArgs&) -> std::vector<NDArray> {
      throw Error("BatchNorm: second-order gradients through the fused training-mode batch normalization are not "
                  "supported");
    },
});

std::vector<NDArray> forward_gradient(const NormParams& p, const op::GradientArgs& args) {
  return batch_norm_gradient(kBackward, p, args);
}

const op::Operator<NormParams> kForward = op::define<NormParams>({
    .name = "_batch_norm_training",
    .num_inputs = 3,
    .num_outputs = 3,
    .infer = &infer_forward,
    .cpu = [](const NormParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      op::dispatch_float32_or_64(in[0].dtype, "_batch_norm_training",
                                 [&](auto tag) { forward_kernel<decltype(tag)>(p, in, out); });
    },
    .gradient = &forward_gradient,
});

}  // namespace

bool supports_batch_norm(const NDArray& data, const NDArray& scale, const NDArray& beta) {
  const DType t = data.dtype();
  return !data.context().is_gpu() && (t == DType::kFloat32 || t == DType::kFloat64) && scale.dtype() == t &&
         beta.dtype() == t;
}

NDArray batch_norm_training(const NDArray& data, const NDArray& scale, const NDArray& beta, NDArray& moving_mean,
                            NDArray& moving_var, const BatchNormOptions& options, int axis) {
  std::vector<NDArray> outputs(3);
  const std::vector<NDArray> inputs = {data, scale, beta};
  op::invoke(kForward, std::span<const NDArray>(inputs), NormParams{options.eps, axis}, std::span<NDArray>(outputs));
  {  // the moving statistics are state, not part of the graph
    const op::PauseRecording pause;
    moving_mean *= options.momentum;
    const auto in_dtype_of = [](const NDArray& statistic, const NDArray& moving) {
      return statistic.dtype() == moving.dtype() ? statistic.detach() : statistic.detach().astype(moving.dtype());
    };
    moving_mean += in_dtype_of(outputs[1], moving_mean) * (1 - options.momentum);
    moving_var *= options.momentum;
    moving_var += in_dtype_of(outputs[2], moving_var) * (1 - options.momentum);
  }
  return outputs[0];
}

}  // namespace mx::nd::fused
