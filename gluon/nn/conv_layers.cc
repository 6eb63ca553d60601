#include <mx/gluon/nn/conv_layers.h>

#include <mx/gluon/nn/activations.h>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/symbolic.h>

namespace mx::gluon::nn {
namespace {

// One value per spatial axis from a list of one or `axes` values.
std::vector<std::int64_t> per_axis(const char* layer, const char* what, const std::vector<std::int64_t>& values, int axes) {
  if (values.size() == 1) return std::vector<std::int64_t>(static_cast<std::size_t>(axes), values[0]);
  if (static_cast<int>(values.size()) != axes) {
    throw Error(std::string(layer) + ": " + what + " needs 1 or " + std::to_string(axes) + " values, got " +
                std::to_string(values.size()));
  }
  return values;
}

std::string list(const std::vector<std::int64_t>& v) {
  std::string s = "(";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

// "Conv2D", "Conv1DTranspose": the layer's class name, for messages and repr.
std::string conv_name(int spatial_axes, bool transpose) {
  return "Conv" + std::to_string(spatial_axes) + (transpose ? "DTranspose" : "D");
}

}  // namespace

Conv::Conv(int spatial_axes, bool transpose, std::int64_t channels, std::vector<std::int64_t> kernel_size,
           ConvOptions options)
    : HybridBlock("conv", options.prefix), spatial_axes_(spatial_axes), transpose_(transpose), channels_(channels), options_(std::move(options)) {
  const std::string name = conv_name(spatial_axes, transpose);
  const char* layer = name.c_str();
  if (channels < 1 || options_.groups < 1) throw Error(std::string(layer) + ": channels and groups must be positive");
  if (!options_.activation.empty()) check_activation(layer, options_.activation);
  shape_.kernel = per_axis(layer, "kernel_size", kernel_size, spatial_axes);
  shape_.stride = per_axis(layer, "strides", options_.strides, spatial_axes);
  shape_.pad = per_axis(layer, "padding", options_.padding, spatial_axes);
  shape_.dilate = per_axis(layer, "dilation", options_.dilation, spatial_axes);
  output_padding_ = per_axis(layer, "output_padding", options_.output_padding, spatial_axes);
  // Conv: (channels, in / groups, *kernel); transposed: (in, channels / groups, *kernel).
  Shape weight_shape = transpose ? Shape{options_.in_channels, channels / options_.groups}
                                 : Shape{channels, options_.in_channels / options_.groups};
  for (std::int64_t k : shape_.kernel) weight_shape.push_back(k);
  weight_ = register_parameter(Parameter("weight", weight_shape, {.init = options_.weight_initializer}));
  if (options_.use_bias) bias_ = register_parameter(Parameter("bias", {channels}, {.init = options_.bias_initializer}));
}

NDArray Conv::forward(const NDArray& x) {
  if (x.ndim() != spatial_axes_ + 2) {
    throw ShapeError(repr() + ": input must be (N, C, " + std::to_string(spatial_axes_) + " spatial axes), got " +
                     x.shape().str());
  }
  const std::int64_t in_channels = x.shape()[1];
  if (in_channels % options_.groups != 0) {
    throw ShapeError(repr() + ": " + std::to_string(in_channels) + " input channels do not split into " +
                     std::to_string(options_.groups) + " groups");
  }
  Shape learned = weight_.shape();
  if (transpose_) learned[0] = in_channels;
  else learned[1] = in_channels / options_.groups;
  weight_.set_shape(learned);
  const Context ctx = x.context();
  std::optional<NDArray> b;
  if (options_.use_bias) b = bias_.data(ctx);
  NDArray y = transpose_ ? nd::Deconvolution(x, weight_.data(ctx), b, shape_, channels_, options_.groups, output_padding_)
                         : nd::Convolution(x, weight_.data(ctx), b, shape_, channels_, options_.groups);
  if (options_.activation.empty()) return y;
  op::SymbolNameScope names(prefix() + options_.activation + "_", true);  // MXNet's "conv0_relu_fwd"
  return nd::Activation(y, options_.activation);
}

std::string Conv::repr() const {
  const std::int64_t in = transpose_ ? weight_.shape()[0] : weight_.shape()[1] * options_.groups;
  return conv_name(spatial_axes_, transpose_) + "(" +
         (in == 0 ? std::string("None") : std::to_string(in)) + " -> " + std::to_string(channels_) +
         ", kernel_size=" + list(shape_.kernel) + ", stride=" + list(shape_.stride) + ")";
}

Pool::Pool(int spatial_axes, nd::PoolType type, bool global, std::vector<std::int64_t> pool_size,
           PoolLayerOptions options)
    : HybridBlock("pool", options.prefix), spatial_axes_(spatial_axes) {
  shape_.kernel = per_axis("Pool", "pool_size", pool_size, spatial_axes);
  shape_.stride = options.strides.empty() ? shape_.kernel : per_axis("Pool", "strides", options.strides, spatial_axes);
  shape_.pad = per_axis("Pool", "padding", options.padding, spatial_axes);
  pool_ = {.type = type,
           .global_pool = global,
           .convention = options.ceil_mode ? nd::PoolingConvention::kFull : nd::PoolingConvention::kValid,
           .count_include_pad = options.count_include_pad};
}

NDArray Pool::forward(const NDArray& x) {
  if (x.ndim() != spatial_axes_ + 2) {
    throw ShapeError(repr() + ": input must be (N, C, " + std::to_string(spatial_axes_) + " spatial axes), got " +
                     x.shape().str());
  }
  return nd::Pooling(x, shape_, pool_);
}

std::string Pool::repr() const {
  const char* kind = pool_.type == nd::PoolType::kMax ? "Max" : "Avg";
  if (pool_.global_pool) return std::string("Global") + kind + "Pool" + std::to_string(spatial_axes_) + "D";
  return std::string(kind) + "Pool" + std::to_string(spatial_axes_) + "D(size=" + list(shape_.kernel) +
         ", stride=" + list(shape_.stride) + ")";
}

}  // namespace mx::gluon::nn
