#include <mx/gluon/contrib/deformable_conv.h>

#include <mx/gluon/nn/activations.h>
#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/deformable_convolution.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/symbolic.h>

namespace mx::gluon::contrib::cnn {
namespace {

std::vector<std::int64_t> two(const char* layer, const char* what, const std::vector<std::int64_t>& values) {
  if (values.size() == 1) return {values[0], values[0]};
  if (values.size() != 2) throw Error(std::string(layer) + ": " + what + " needs 1 or 2 values, got " + std::to_string(values.size()));
  return values;
}

}  // namespace

DeformableConvolution::DeformableConvolution(std::int64_t channels, std::vector<std::int64_t> kernel_size,
                                             DeformableConvOptions options)
    : DeformableConvolution(channels, std::move(kernel_size), std::move(options), false) {}

DeformableConvolution::DeformableConvolution(std::int64_t channels, std::vector<std::int64_t> kernel_size,
                                             DeformableConvOptions options, bool modulated)
    : HybridBlock(modulated ? "modulateddeformableconvolution" : "deformableconvolution", options.prefix),
      channels_(channels), modulated_(modulated), options_(std::move(options)) {
  const char* layer = modulated ? "ModulatedDeformableConvolution" : "DeformableConvolution";
  if (channels < 1 || options_.groups < 1 || options_.num_deformable_group < 1) {
    throw Error(std::string(layer) + ": channels, groups and num_deformable_group must be positive");
  }
  if (!options_.activation.empty()) nn::check_activation(layer, options_.activation);
  shape_.kernel = two(layer, "kernel_size", kernel_size);
  shape_.stride = two(layer, "strides", options_.strides);
  shape_.pad = two(layer, "padding", options_.padding);
  shape_.dilate = two(layer, "dilation", options_.dilation);
  const std::int64_t taps = shape_.kernel[0] * shape_.kernel[1];
  const std::int64_t offsets = (modulated ? 3 : 2) * taps * options_.num_deformable_group;
  const std::int64_t in_per_group = options_.in_channels / options_.groups;
  weight_ = register_parameter(Parameter("weight", {channels, in_per_group, shape_.kernel[0], shape_.kernel[1]},
                                         {.init = options_.weight_initializer}));
  if (options_.use_bias) bias_ = register_parameter(Parameter("bias", {channels}, {.init = options_.bias_initializer}));
  offset_weight_ = register_parameter(Parameter("offset_weight", {offsets, in_per_group, shape_.kernel[0], shape_.kernel[1]},
                                                {.init = options_.offset_weight_initializer}));
  if (options_.offset_use_bias) {
    offset_bias_ = register_parameter(Parameter("offset_bias", {offsets}, {.init = options_.offset_bias_initializer}));
  }
}

NDArray DeformableConvolution::forward(const NDArray& x) {
  if (x.ndim() != 4) throw ShapeError(repr() + ": input must be (N, C, H, W), got " + x.shape().str());
  const std::int64_t in_channels = x.shape()[1];
  if (in_channels % options_.groups != 0) {
    throw ShapeError(repr() + ": " + std::to_string(in_channels) + " input channels do not split into " +
                     std::to_string(options_.groups) + " groups");
  }
  for (Parameter* p : {&weight_, &offset_weight_}) {
    Shape learned = p->shape();
    learned[1] = in_channels / options_.groups;
    p->set_shape(learned);
  }
  const Context ctx = x.context();
  const std::int64_t offsets = offset_weight_.shape()[0];
  std::optional<NDArray> offset_bias, bias;
  if (options_.offset_use_bias) offset_bias = offset_bias_.data(ctx);
  if (options_.use_bias) bias = bias_.data(ctx);
  const NDArray offset = nd::Convolution(x, offset_weight_.data(ctx), offset_bias, shape_, offsets, options_.groups);
  NDArray y;
  if (modulated_) {
    const std::int64_t split = offsets / 3 * 2;
    const NDArray mask = nd::sigmoid(nd::slice_axis(offset, 1, split, offsets)) * 2.0;
    y = nd::contrib::ModulatedDeformableConvolution(x, nd::slice_axis(offset, 1, 0, split), mask, weight_.data(ctx), bias,
                                                    shape_, channels_, options_.groups, options_.num_deformable_group);
  } else {
    y = nd::contrib::DeformableConvolution(x, offset, weight_.data(ctx), bias, shape_, channels_, options_.groups,
                                           options_.num_deformable_group);
  }
  if (options_.activation.empty()) return y;
  op::SymbolNameScope names(prefix() + options_.activation + "_", true);
  return nd::Activation(y, options_.activation);
}

std::string DeformableConvolution::repr() const {
  return std::string(modulated_ ? "ModulatedDeformableConvolution" : "DeformableConvolution") + "(" +
         std::to_string(weight_.shape()[1] * options_.groups) + " -> " + std::to_string(channels_) + ", kernel_size=(" +
         std::to_string(shape_.kernel[0]) + ", " + std::to_string(shape_.kernel[1]) + "))";
}

}  // namespace mx::gluon::contrib::cnn
