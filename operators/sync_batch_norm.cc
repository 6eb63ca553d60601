#include <mx/operators/sync_batch_norm.h>

#include <cmath>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/exchange.h>
#include <mx/operators/normalization.h>
#include <mx/operators/recording.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/symbolic.h>
#include <mx/operators/tracing.h>

namespace mx::nd::contrib {
namespace {

constexpr const char* kOp = "_contrib_SyncBatchNorm";

// A device's part, [n, mean_1..C, m2_1..C] (m2: the sum of squared deviations from its own mean), combined into
// the batch's [M, mean_1..C, var_1..C]: Chan et al.'s update, exact whatever the parts' sizes.
std::vector<double> combine_moments(const std::vector<std::vector<double>>& parts) {
  const std::size_t channels = (parts.front().size() - 1) / 2;
  double total = 0;
  for (const auto& part : parts) total += part[0];
  std::vector<double> batch(2 * channels + 1, 0.0);
  batch[0] = total;
  if (total == 0) return batch;
  for (std::size_t c = 0; c < channels; ++c) {
    double mean = 0;
    for (const auto& part : parts) {
      if (part[0] > 0) mean += part[0] * part[1 + c];  // a device with no samples has no mean (NaN)
    }
    mean /= total;
    double m2 = 0;
    for (const auto& part : parts) {
      if (part[0] == 0) continue;
      const double offset = part[1 + c] - mean;
      m2 += part[1 + channels + c] + part[0] * offset * offset;
    }
    batch[1 + c] = mean;
    batch[1 + channels + c] = m2 / total;
  }
  return batch;
}

op::ExchangeSpec gradient_spec(op::ExchangeSpec spec) {
  spec.key += "/gradient";
  return spec;
}

// Runs an exchange as a node of its own when traced (run again by name on every call of the cached graph),
// recorded with `gradient` when recording.
NDArray exchange_node(const char* name, const NDArray& local, std::int64_t size, const op::ExchangeSpec& spec,
                      const op::Combine& combine, const op::Gradient& gradient,
                      NDArray (*again)(const NDArray&, const op::ExchangeSpec&)) {
  if (op::Tracer* tracer = op::thread_tracer()) {
    NDArray out(Shape{size}, local.context(), DType::kFloat64);
    op::TracedCall traced;
    traced.name = name;
    traced.ctx = local.context();
    traced.run = [spec, again](std::span<const NDArray> in, std::span<NDArray> outs) {
      NDArray result = again(in[0], spec);
      if (outs[0].is_none()) {
        outs[0] = result;
      } else {
        result.copyto(outs[0]);
      }
    };
    const NDArray outs[] = {out};
    tracer->trace(std::move(traced), std::span<const NDArray>(&local, 1), outs);
    return out;
  }
  NDArray outs[] = {op::exchange(local, spec, size, combine)};
  op::record(name, std::span<const NDArray>(&local, 1), outs, gradient);  // gives outs[0] its place in the graph
  return outs[0];
}

// Every device's array summed, on each; its gradient is the sum of the outputs' gradients, exchanged again.
NDArray summed(const NDArray& local, const op::ExchangeSpec& spec) {
  return exchange_node(
      "_contrib_SyncBatchNorm_sum", local, local.size(), spec, &op::sum_of,
      [spec](const op::GradientArgs& args) { return std::vector<NDArray>{summed(args.output_grads[0], gradient_spec(spec))}; },
      &summed);
}

NDArray moments_gradient(const op::GradientArgs& args, const op::ExchangeSpec& spec) {
  const NDArray& part = args.inputs[0];
  const NDArray& batch = args.outputs[0];
  const std::int64_t channels = (part.size() - 1) / 2;
  const NDArray sums = summed(args.output_grads[0], gradient_spec(spec));  // every device's use of the statistics
  const NDArray n = slice_axis(part, 0, 0, 1), total = slice_axis(batch, 0, 0, 1);
  const NDArray own_mean = slice_axis(part, 0, 1, 1 + channels), mean = slice_axis(batch, 0, 1, 1 + channels);
  const NDArray grad_mean = slice_axis(sums, 0, 1, 1 + channels), grad_var = slice_axis(sums, 0, 1 + channels, 1 + 2 * channels);
  // d mean / d own_mean = n / M; d var / d own_mean = 2 n (own_mean - mean) / M; d var / d m2 = 1 / M.
  const NDArray d_own_mean = n / total * (grad_mean + 2.0 * grad_var * (own_mean - mean));
  const NDArray d_m2 = grad_var / total;
  return {concat({zeros_like(n), d_own_mean, d_m2}, 0)};
}

NDArray combined_moments(const NDArray& part, const op::ExchangeSpec& spec) {
  return exchange_node(
      "_contrib_SyncBatchNorm_moments", part, part.size(), spec, &combine_moments,
      [spec](const op::GradientArgs& args) { return std::vector<NDArray>{moments_gradient(args, spec)}; },
      &combined_moments);
}

NDArray along_channels(const NDArray& v, int ndim) {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(ndim), 1);
  dims[1] = v.size();
  return v.reshape(dims);
}

NDArray sync_batch_norm_parts(const NDArray& data, const NDArray& gamma, const NDArray& beta, NDArray& moving_mean,
                              NDArray& moving_var, const SyncBatchNormOptions& o) {
  if (data.ndim() < 2) throw ShapeError(std::string(kOp) + ": data must be (N, C, ...), got " + data.shape().str());
  if (o.key.empty()) throw Error(std::string(kOp) + ": needs a key naming the layer, which the devices' calls share");
  if (o.ndev < 1) throw Error(std::string(kOp) + " '" + o.key + "': ndev must be positive, got " + std::to_string(o.ndev));
  const std::int64_t channels = data.shape()[1];
  if (o.use_global_stats || !op::thread_mode().training) {
    return BatchNorm(data, gamma, beta, moving_mean, moving_var,
                     {.eps = o.eps, .momentum = o.momentum, .fix_gamma = o.fix_gamma, .use_global_stats = true, .axis = 1});
  }
  for (auto [name, v] : {std::pair<const char*, const NDArray*>{"gamma", &gamma}, {"beta", &beta},
                         {"moving_mean", &moving_mean}, {"moving_var", &moving_var}}) {
    if (v->shape() != Shape{channels}) {
      throw ShapeError(std::string(kOp) + ": " + name + " must be (" + std::to_string(channels) + ",) for data " +
                       data.shape().str() + ", got " + v->shape().str());
    }
  }
  const int ndim = data.ndim();
  const Context ctx = data.context();
  // Half-precision data keeps float32 statistics, as BatchNorm's.
  const bool narrow = data.dtype() != DType::kFloat32 && data.dtype() != DType::kFloat64;
  const NDArray x = narrow ? data.astype(DType::kFloat32) : data;
  std::vector<int> axes;
  for (int a = 0; a < ndim; ++a) {
    if (a != 1) axes.push_back(a);
  }
  const NDArray own_mean = mean(x, axes);
  const NDArray own_m2 = sum(square(x - along_channels(own_mean, ndim)), axes);
  const double count = channels == 0 ? 0.0 : static_cast<double>(x.size() / channels);
  NDArray part = concat({full({1}, count, ctx, x.dtype()), own_mean, own_m2}, 0).astype(DType::kFloat64);
  if (ctx.is_gpu()) part = part.as_in_context(cpu());  // the exchange reads host memory
  NDArray batch = combined_moments(part, {.op = kOp, .key = o.key, .ndev = o.ndev, .timeout_s = o.timeout_s});
  if (ctx.is_gpu()) batch = batch.as_in_context(ctx);
  batch = batch.astype(x.dtype());
  const NDArray batch_mean = slice_axis(batch, 0, 1, 1 + channels);
  const NDArray batch_var = slice_axis(batch, 0, 1 + channels, 1 + 2 * channels);
  const NDArray scale = (o.fix_gamma ? ones_like(gamma) : gamma).astype(x.dtype());
  // (x - mean) / sqrt(var + eps) * gamma + beta as x * a + b per channel: one pass over the data each way.
  const NDArray a = rsqrt(batch_var + o.eps) * scale;
  NDArray out = scale_shift_channels(x, a, beta.astype(x.dtype()) - batch_mean * a, 1);
  {  // the moving statistics are state, not part of the graph
    const op::PauseRecording pause;
    moving_mean *= o.momentum;
    moving_mean += batch_mean.detach().astype(moving_mean.dtype()) * (1 - o.momentum);
    moving_var *= o.momentum;
    moving_var += batch_var.detach().astype(moving_var.dtype()) * (1 - o.momentum);
  }
  return narrow ? out.astype(data.dtype()) : out;
}

// The symbol form: MXNet's node, its moving statistics auxiliary states.
std::vector<NDArray> call_sync_batch_norm(const op::Attrs& a, std::span<const NDArray> in) {
  op::AttrReader attrs(kOp, a);
  SyncBatchNormOptions o;
  attrs.read("eps", o.eps);
  attrs.read("momentum", o.momentum);
  attrs.read("fix_gamma", o.fix_gamma);
  attrs.read("use_global_stats", o.use_global_stats);
  attrs.read("ndev", o.ndev);
  attrs.read("key", o.key);
  attrs.ignore("output_mean_var", {"False", "0"});
  attrs.finish();
  if (in.size() != 5) {
    throw Error(std::string(kOp) + ": takes data, gamma, beta, moving_mean and moving_var, got " + std::to_string(in.size()) + " inputs");
  }
  NDArray moving_mean = in[3], moving_var = in[4];
  return {SyncBatchNorm(in[0], in[1], in[2], moving_mean, moving_var, o)};
}

const bool kSymbolRegistered = [] {
  op::SymbolOp form;
  form.call = &call_sync_batch_norm;
  form.input_names = {"data", "gamma", "beta", "moving_mean", "moving_var"};
  form.mxnet_outputs = 3;  // output, mean, var
  form.aux_inputs = {3, 4};
  op::register_symbol_op(kOp, std::move(form));
  return true;
}();

}  // namespace

NDArray SyncBatchNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, NDArray& moving_mean,
                      NDArray& moving_var, const SyncBatchNormOptions& options) {
  op::Composite node(kOp, {data, gamma, beta, moving_mean, moving_var});
  NDArray y = sync_batch_norm_parts(data, gamma, beta, moving_mean, moving_var, options);
  if (!node.active()) return y;
  return node.finish({{"eps", op::attr_string(options.eps)},
                      {"momentum", op::attr_string(options.momentum)},
                      {"fix_gamma", op::attr_string(options.fix_gamma)},
                      {"use_global_stats", op::attr_string(options.use_global_stats)},
                      {"ndev", op::attr_string(options.ndev)},
                      {"key", options.key}},
                     y);
}

}  // namespace mx::nd::contrib
