#include <mx/operators/composite_forms.h>

#include <cmath>

#include <mx/ndarray/error.h>
#include <mx/operators/bilinear_resize.h>
#include <mx/operators/creation.h>
#include <mx/operators/deformable_convolution.h>
#include <mx/operators/indexing.h>
#include <mx/operators/layout.h>
#include <mx/operators/sequence.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/upsampling.h>

namespace mx::op {
namespace forms {
namespace {

std::vector<std::int64_t> filled(const std::vector<std::int64_t>& values, std::size_t axes, std::int64_t fill) {
  return values.empty() ? std::vector<std::int64_t>(axes, fill) : values;
}

const char* layout_of(std::size_t axes) { return axes == 1 ? "NCW" : axes == 3 ? "NCDHW" : "NCHW"; }

void write_spatial(const nd::ConvShape& shape, Attrs& attrs, bool dilate) {
  const std::size_t axes = shape.kernel.size();
  attrs["kernel"] = attr_string(shape.kernel);
  attrs["stride"] = attr_string(filled(shape.stride, axes, 1));
  attrs["pad"] = attr_string(filled(shape.pad, axes, 0));
  if (dilate) attrs["dilate"] = attr_string(filled(shape.dilate, axes, 1));
}

const char* pool_type_name(nd::PoolType type) {
  switch (type) {
    case nd::PoolType::kMax: return "max";
    case nd::PoolType::kAvg: return "avg";
    case nd::PoolType::kSum: return "sum";
  }
  return "max";
}

}  // namespace

Attrs convolution(const nd::ConvShape& shape, std::int64_t num_filter, std::int64_t num_group, bool no_bias) {
  Attrs attrs;
  write_spatial(shape, attrs, true);
  attrs["num_filter"] = attr_string(num_filter);
  attrs["num_group"] = attr_string(num_group);
  attrs["no_bias"] = attr_string(no_bias);
  attrs["layout"] = layout_of(shape.kernel.size());
  return attrs;
}

Attrs deconvolution(const nd::ConvShape& shape, std::int64_t num_filter, std::int64_t num_group, bool no_bias,
                    const std::vector<std::int64_t>& adj) {
  Attrs attrs = convolution(shape, num_filter, num_group, no_bias);
  attrs["adj"] = attr_string(filled(adj, shape.kernel.size(), 0));
  return attrs;
}

Attrs pooling(const nd::ConvShape& shape, const nd::PoolOptions& options, int spatial_axes) {
  Attrs attrs;
  nd::ConvShape written = shape;
  if (written.kernel.empty()) written.kernel.assign(static_cast<std::size_t>(spatial_axes), 1);  // global pooling
  write_spatial(written, attrs, false);
  attrs["pool_type"] = pool_type_name(options.type);
  attrs["global_pool"] = attr_string(options.global_pool);
  attrs["pooling_convention"] = options.convention == nd::PoolingConvention::kFull ? "full" : "valid";
  if (options.type == nd::PoolType::kAvg) attrs["count_include_pad"] = attr_string(options.count_include_pad);
  attrs["layout"] = layout_of(written.kernel.size());
  return attrs;
}

Attrs batch_norm(const nd::BatchNormOptions& o) {
  return {{"eps", attr_string(o.eps)},
          {"momentum", attr_string(o.momentum)},
          {"fix_gamma", attr_string(o.fix_gamma)},
          {"use_global_stats", attr_string(o.use_global_stats)},
          {"axis", attr_string(o.axis)}};
}

Attrs activation(std::string_view act_type) { return {{"act_type", std::string(act_type)}}; }

Attrs leaky_relu(std::string_view act_type, double slope) {
  return {{"act_type", std::string(act_type)}, {"slope", attr_string(slope)}};
}

Attrs dropout(double p, nd::DropoutMode mode, const std::vector<int>& axes) {
  return {{"p", attr_string(p)}, {"mode", mode == nd::DropoutMode::kAlways ? "always" : "training"}, {"axes", attr_string(axes)}};
}

Attrs layer_norm(int axis, double eps) { return {{"axis", attr_string(axis)}, {"eps", attr_string(eps)}}; }
Attrs instance_norm(double eps) { return {{"eps", attr_string(eps)}}; }

Attrs embedding(std::int64_t input_dim, std::int64_t output_dim, DType dtype) {
  return {{"input_dim", attr_string(input_dim)}, {"output_dim", attr_string(output_dim)}, {"dtype", dtype_name(dtype)}};
}

Attrs reshape(const Shape& shape) { return {{"shape", attr_string(shape.dims())}}; }

Attrs rnn(const nd::RNNOptions& o, bool use_sequence_length) {
  const auto optional = [](const std::optional<double>& v) { return v ? attr_string(*v) : std::string("None"); };
  return {{"state_size", attr_string(o.state_size)},
          {"num_layers", attr_string(o.num_layers)},
          {"bidirectional", attr_string(o.bidirectional)},
          {"mode", o.mode},
          {"p", attr_string(o.p)},
          {"state_outputs", attr_string(o.state_outputs)},
          {"projection_size", o.projection_size ? attr_string(*o.projection_size) : std::string("None")},
          {"lstm_state_clip_min", optional(o.lstm_state_clip_min)},
          {"lstm_state_clip_max", optional(o.lstm_state_clip_max)},
          {"lstm_state_clip_nan", "False"},
          {"use_sequence_length", attr_string(use_sequence_length)}};
}

}  // namespace forms

// ---- the calls by name: attributes read back into options ----
namespace {

using Inputs = std::span<const NDArray>;
using Outputs = std::vector<NDArray>;

void require_inputs(const AttrReader& attrs, Inputs inputs, std::size_t low, std::size_t high) {
  if (inputs.size() < low || inputs.size() > high) {
    throw Error(attrs.op() + ": takes " + std::to_string(low) + (high > low ? " to " + std::to_string(high) : "") +
                " inputs, the node has " + std::to_string(inputs.size()));
  }
}

void read_layout(AttrReader& attrs) { attrs.ignore("layout", {"NCW", "NCHW", "NCDHW", "None"}); }

void ignore_tuning(AttrReader& attrs) {
  attrs.ignore("cudnn_tune");
  attrs.ignore("cudnn_off");
  attrs.ignore("workspace");
}

nd::ConvShape read_spatial(AttrReader& attrs) {
  nd::ConvShape shape;
  attrs.read("kernel", shape.kernel);
  attrs.read("stride", shape.stride);
  attrs.read("pad", shape.pad);
  attrs.read("dilate", shape.dilate);
  return shape;
}

std::optional<NDArray> bias_of(Inputs inputs, bool no_bias) {
  if (no_bias || inputs.size() < 3) return std::nullopt;
  return inputs[2];
}

// What every convolution node has: the kernel geometry, filters, groups and bias (MXNet's default for no_bias
// differs by operator); layouts and cuDNN tuning accepted.
struct ConvAttrs {
  nd::ConvShape shape;
  std::int64_t num_filter = 0, num_group = 1;
  bool no_bias;
};

ConvAttrs read_convolution(AttrReader& attrs, bool no_bias_default) {
  ConvAttrs c{read_spatial(attrs), 0, 1, no_bias_default};
  attrs.read("num_filter", c.num_filter);
  attrs.read("num_group", c.num_group);
  attrs.read("no_bias", c.no_bias);
  read_layout(attrs);
  ignore_tuning(attrs);
  return c;
}

Outputs call_convolution(const Attrs& a, Inputs in) {
  AttrReader attrs("Convolution", a);
  const ConvAttrs c = read_convolution(attrs, false);
  attrs.finish();
  require_inputs(attrs, in, c.no_bias ? 2 : 3, c.no_bias ? 2 : 3);
  return {nd::Convolution(in[0], in[1], bias_of(in, c.no_bias), c.shape, c.num_filter, c.num_group)};
}

// MXNet's contrib DeformableConvolution (data, offset, weight, bias) and, with modulated, (data, offset, mask, ...).
Outputs call_deformable(const Attrs& a, Inputs in, bool modulated) {
  AttrReader attrs(modulated ? "_contrib_ModulatedDeformableConvolution" : "_contrib_DeformableConvolution", a);
  const ConvAttrs c = read_convolution(attrs, false);
  std::int64_t num_deformable_group = 1;
  attrs.read("num_deformable_group", num_deformable_group);
  attrs.finish();
  const std::size_t weights = modulated ? 3 : 2, count = weights + (c.no_bias ? 1 : 2);
  require_inputs(attrs, in, count, count);
  const std::optional<NDArray> bias = c.no_bias ? std::nullopt : std::optional<NDArray>(in[weights + 1]);
  if (modulated) {
    return {nd::contrib::ModulatedDeformableConvolution(in[0], in[1], in[2], in[3], bias, c.shape, c.num_filter, c.num_group,
                                                        num_deformable_group)};
  }
  return {nd::contrib::DeformableConvolution(in[0], in[1], in[2], bias, c.shape, c.num_filter, c.num_group, num_deformable_group)};
}

Outputs call_deconvolution(const Attrs& a, Inputs in) {
  AttrReader attrs("Deconvolution", a);
  const ConvAttrs c = read_convolution(attrs, true);  // MXNet's Deconvolution has no bias unless asked
  std::vector<std::int64_t> adj, target_shape;
  attrs.read("adj", adj);
  attrs.read("target_shape", target_shape);
  if (!target_shape.empty()) throw Error("Deconvolution: target_shape is not supported by mxpp; give adj instead");
  attrs.finish();
  require_inputs(attrs, in, c.no_bias ? 2 : 3, c.no_bias ? 2 : 3);
  return {nd::Deconvolution(in[0], in[1], bias_of(in, c.no_bias), c.shape, c.num_filter, c.num_group, adj)};
}

Outputs call_pooling(const Attrs& a, Inputs in) {
  AttrReader attrs("Pooling", a);
  nd::ConvShape shape = read_spatial(attrs);
  nd::PoolOptions options;
  std::string type = "max", convention = "valid";
  attrs.read("pool_type", type);
  attrs.read("global_pool", options.global_pool);
  attrs.read("pooling_convention", convention);
  std::string include = "None";
  attrs.read("count_include_pad", include);
  if (include != "None") {
    Attrs one{{"count_include_pad", include}};
    AttrReader inner("Pooling", one);
    inner.read("count_include_pad", options.count_include_pad);
  }
  if (type == "max") {
    options.type = nd::PoolType::kMax;
  } else if (type == "avg") {
    options.type = nd::PoolType::kAvg;
  } else if (type == "sum") {
    options.type = nd::PoolType::kSum;
  } else {
    throw Error("Pooling: pool_type \"" + type + "\" is not supported by mxpp (max, avg, sum)");
  }
  if (convention == "valid") {
    options.convention = nd::PoolingConvention::kValid;
  } else if (convention == "full") {
    options.convention = nd::PoolingConvention::kFull;
  } else {
    throw Error("Pooling: pooling_convention \"" + convention + "\" is not supported by mxpp (valid, full)");
  }
  attrs.ignore("p_value");
  attrs.ignore("cudnn_off");
  read_layout(attrs);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  if (options.global_pool) shape = {};
  return {nd::Pooling(in[0], shape, options)};
}

Outputs call_batch_norm(const Attrs& a, Inputs in) {
  AttrReader attrs("BatchNorm", a);
  nd::BatchNormOptions o;
  attrs.read("eps", o.eps);
  attrs.read("momentum", o.momentum);
  attrs.read("fix_gamma", o.fix_gamma);
  attrs.read("use_global_stats", o.use_global_stats);
  attrs.read("axis", o.axis);
  attrs.ignore("output_mean_var", {"False", "0"});
  attrs.ignore("cudnn_off");
  attrs.ignore("min_calib_range");
  attrs.ignore("max_calib_range");
  attrs.finish();
  require_inputs(attrs, in, 5, 5);
  NDArray moving_mean = in[3], moving_var = in[4];
  return {nd::BatchNorm(in[0], in[1], in[2], moving_mean, moving_var, o)};
}

Outputs call_activation(const Attrs& a, Inputs in) {
  AttrReader attrs("Activation", a);
  std::string act_type;
  attrs.read("act_type", act_type);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  return {nd::Activation(in[0], act_type)};
}

Outputs call_leaky_relu(const Attrs& a, Inputs in) {
  AttrReader attrs("LeakyReLU", a);
  std::string act_type = "leaky";
  double slope = 0.25;
  attrs.read("act_type", act_type);
  attrs.read("slope", slope);
  attrs.ignore("lower_bound");
  attrs.ignore("upper_bound");
  attrs.finish();
  require_inputs(attrs, in, 1, act_type == "prelu" ? 2 : 1);
  std::optional<NDArray> gamma;
  if (in.size() == 2) gamma = in[1];
  return {nd::LeakyReLU(in[0], act_type, slope, gamma)};
}

Outputs call_dropout(const Attrs& a, Inputs in) {
  AttrReader attrs("Dropout", a);
  double p = 0.5;
  std::string mode = "training";
  std::vector<int> axes;
  attrs.read("p", p);
  attrs.read("mode", mode);
  attrs.read("axes", axes);
  attrs.ignore("cudnn_off");
  attrs.finish();
  if (mode != "training" && mode != "always") throw Error("Dropout: mode \"" + mode + "\" is not training or always");
  require_inputs(attrs, in, 1, 1);
  return {nd::Dropout(in[0], p, mode == "always" ? nd::DropoutMode::kAlways : nd::DropoutMode::kTraining, axes)};
}

Outputs call_flatten(const Attrs& a, Inputs in) {
  AttrReader attrs("Flatten", a);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  return {nd::flatten(in[0])};
}

Outputs call_reshape(const Attrs& a, Inputs in) {
  AttrReader attrs("Reshape", a);
  std::vector<std::int64_t> shape;
  bool reverse = false;
  attrs.read("shape", shape);
  attrs.read("reverse", reverse);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  return {in[0].reshape(shape, reverse)};
}

Outputs call_layer_norm(const Attrs& a, Inputs in) {
  AttrReader attrs("LayerNorm", a);
  int axis = -1;
  double eps = 1e-5;
  attrs.read("axis", axis);
  attrs.read("eps", eps);
  attrs.ignore("output_mean_var", {"False", "0"});
  attrs.finish();
  require_inputs(attrs, in, 3, 3);
  return {nd::LayerNorm(in[0], in[1], in[2], axis, eps)};
}

Outputs call_instance_norm(const Attrs& a, Inputs in) {
  AttrReader attrs("InstanceNorm", a);
  double eps = 1e-3;
  attrs.read("eps", eps);
  attrs.finish();
  require_inputs(attrs, in, 3, 3);
  return {nd::InstanceNorm(in[0], in[1], in[2], eps)};
}

Outputs call_embedding(const Attrs& a, Inputs in) {
  AttrReader attrs("Embedding", a);
  std::int64_t input_dim = 0, output_dim = 0;
  DType dtype = DType::kFloat32;
  attrs.read("input_dim", input_dim);
  attrs.read("output_dim", output_dim);
  attrs.read("dtype", dtype);
  attrs.ignore("sparse_grad", {"False", "0"});
  attrs.finish();
  require_inputs(attrs, in, 2, 2);
  if (in[1].shape() != Shape{input_dim, output_dim}) {
    throw ShapeError("Embedding: weight " + in[1].shape().str() + " differs from input_dim " +
                     std::to_string(input_dim) + ", output_dim " + std::to_string(output_dim));
  }
  return {nd::Embedding(in[0], in[1])};
}

// MXNet's RNN: data, parameters, the states (h, and c for LSTM), then sequence_length when used.
}  // namespace

forms::RNNNode forms::read_rnn(const Attrs& a) {
  AttrReader attrs("RNN", a);
  forms::RNNNode node;
  nd::RNNOptions& o = node.options;
  attrs.read("state_size", o.state_size);
  attrs.read("num_layers", o.num_layers);
  attrs.read("bidirectional", o.bidirectional);
  attrs.read("mode", o.mode);
  attrs.read("p", o.p);
  attrs.read("state_outputs", o.state_outputs);
  attrs.read("use_sequence_length", node.use_sequence_length);
  std::optional<double> projection;
  attrs.read("projection_size", projection);
  if (projection) {
    if (!(*projection >= 1 && *projection <= 9007199254740992.0) || *projection != std::floor(*projection)) {
      throw Error("RNN: projection_size must be a positive whole number, got " + attr_string(*projection));
    }
    o.projection_size = static_cast<std::int64_t>(*projection);
  }
  attrs.read("lstm_state_clip_min", o.lstm_state_clip_min);
  attrs.read("lstm_state_clip_max", o.lstm_state_clip_max);
  attrs.ignore("lstm_state_clip_nan", {"False", "0"});
  attrs.finish();
  nd::recurrent::cell_kind("RNN", o.mode);
  return node;
}

namespace {

using forms::read_rnn;
using forms::RNNNode;

int rnn_state_count(const RNNNode& node) {
  return nd::recurrent::state_count(nd::recurrent::cell_kind("RNN", node.options.mode));
}

Outputs call_rnn(const Attrs& a, Inputs in) {
  const RNNNode node = read_rnn(a);
  const auto states = static_cast<std::size_t>(rnn_state_count(node));
  const std::size_t expected = 2 + states + (node.use_sequence_length ? 1 : 0);
  require_inputs(AttrReader("RNN", a), in, expected, expected);
  return nd::RNN(in[0], in[1], std::vector<NDArray>(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(states)),
                 node.use_sequence_length ? in[expected - 1] : NDArray(), node.options);
}

Outputs call_rnn_param_concat(const Attrs& a, Inputs in) {
  AttrReader attrs("_rnn_param_concat", a);
  int dim = 0;
  attrs.read("dim", dim);
  attrs.ignore("num_args");
  attrs.finish();
  if (dim != 0) throw Error("_rnn_param_concat: dim must be 0, got " + std::to_string(dim));
  return {nd::rnn_param_concat(std::vector<NDArray>(in.begin(), in.end()))};
}

// MXNet's _zeros and _ones (symbol.zeros, symbol.ones): a 0 in the shape is an extent MXNet left to inference.
Outputs call_fill(const char* op, double value, const Attrs& a, Inputs in) {
  AttrReader attrs(op, a);
  std::vector<std::int64_t> shape;
  DType dtype = DType::kFloat32;
  attrs.read("shape", shape);
  attrs.read("dtype", dtype);
  attrs.ignore("ctx");
  attrs.finish();
  require_inputs(attrs, in, 0, 0);
  return {nd::full(Shape(shape), value, current_context(), dtype)};
}

Outputs call_swapaxis(const Attrs& a, Inputs in) {
  AttrReader attrs("SwapAxis", a);
  int dim1 = 0, dim2 = 0;
  attrs.read("dim1", dim1);
  attrs.read("dim2", dim2);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  return {nd::swapaxes(in[0], dim1, dim2)};
}

// MXNet's SequenceMask, SequenceLast and SequenceReverse: data, then sequence_length when it is used.
struct SequenceNode {
  bool use_sequence_length = false;
  int axis = 0;
  double value = 0;
};

SequenceNode read_sequence(const char* op, const Attrs& a, Inputs in, bool has_value) {
  AttrReader attrs(op, a);
  SequenceNode node;
  attrs.read("use_sequence_length", node.use_sequence_length);
  attrs.read("axis", node.axis);
  if (has_value) attrs.read("value", node.value);
  attrs.finish();
  const std::size_t expected = node.use_sequence_length ? 2 : 1;
  require_inputs(attrs, in, expected, expected);
  return node;
}

NDArray sequence_length_of(const SequenceNode& node, Inputs in) { return node.use_sequence_length ? in[1] : NDArray(); }

Outputs call_sequence_mask(const Attrs& a, Inputs in) {
  const SequenceNode node = read_sequence("SequenceMask", a, in, true);
  return {nd::SequenceMask(in[0], sequence_length_of(node, in), node.value, node.axis)};
}

Outputs call_sequence_last(const Attrs& a, Inputs in) {
  const SequenceNode node = read_sequence("SequenceLast", a, in, false);
  return {nd::SequenceLast(in[0], sequence_length_of(node, in), node.axis)};
}

Outputs call_sequence_reverse(const Attrs& a, Inputs in) {
  const SequenceNode node = read_sequence("SequenceReverse", a, in, false);
  return {nd::SequenceReverse(in[0], sequence_length_of(node, in), node.axis)};
}

Outputs call_block_rearrange(const char* op, const Attrs& a, Inputs in) {
  AttrReader attrs(op, a);
  std::int64_t block = 0;
  attrs.read("block_size", block);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  return {std::string_view(op) == "depth_to_space" ? nd::depth_to_space(in[0], block) : nd::space_to_depth(in[0], block)};
}

Outputs call_upsampling(const Attrs& a, Inputs in) {
  AttrReader attrs("UpSampling", a);
  std::int64_t scale = 1;
  std::string sample_type = "nearest", mode = "concat";
  attrs.read("scale", scale);
  attrs.read("sample_type", sample_type);
  attrs.read("multi_input_mode", mode);
  attrs.ignore("num_args");
  attrs.ignore("num_filter");
  attrs.ignore("workspace");
  attrs.finish();
  if (sample_type == "bilinear") {
    if (in.size() != 2) throw Error("UpSampling: bilinear takes data and weight, got " + std::to_string(in.size()) + " inputs");
    return {nd::UpSamplingBilinear(in[0], in[1], scale)};
  }
  if (sample_type != "nearest") {
    throw Error("UpSampling: sample_type \"" + sample_type + "\" is not supported (nearest, bilinear)");
  }
  return {nd::UpSampling(std::vector<NDArray>(in.begin(), in.end()), scale, mode)};
}

// MXNet's _contrib_BilinearResize2D in its "size" mode: height and width, or scales of the input's.
Outputs call_bilinear_resize(const Attrs& a, Inputs in) {
  AttrReader attrs("_contrib_BilinearResize2D", a);
  std::int64_t height = 1, width = 1;
  std::optional<double> scale_height, scale_width;
  std::string mode = "size";
  bool align_corners = true;
  attrs.read("height", height);
  attrs.read("width", width);
  attrs.read("scale_height", scale_height);
  attrs.read("scale_width", scale_width);
  attrs.read("mode", mode);
  attrs.read("align_corners", align_corners);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  if (mode != "size") throw Error("_contrib_BilinearResize2D: mode \"" + mode + "\" is not supported by mxpp (only \"size\")");
  if (in[0].ndim() == 4) {
    const auto scaled = [](std::int64_t extent, double scale) {
      const double v = static_cast<double>(extent) * scale;
      if (!(v >= 1 && v <= 1e9)) throw Error("_contrib_BilinearResize2D: a scale gives extent " + std::to_string(v));
      return static_cast<std::int64_t>(v);
    };
    if (scale_height) height = scaled(in[0].shape()[2], *scale_height);
    if (scale_width) width = scaled(in[0].shape()[3], *scale_width);
  }
  return {nd::contrib::BilinearResize2D(in[0], height, width, align_corners)};
}

Outputs call_adaptive_avg_pooling(const Attrs& a, Inputs in) {
  AttrReader attrs("_contrib_AdaptiveAvgPooling2D", a);
  std::vector<std::int64_t> output_size;
  attrs.read("output_size", output_size);
  attrs.finish();
  require_inputs(attrs, in, 1, 1);
  return {nd::contrib::AdaptiveAvgPooling2D(in[0], output_size)};
}

SymbolOp form(std::function<Outputs(const Attrs&, Inputs)> call, std::vector<std::string> input_names) {
  SymbolOp op;
  op.call = std::move(call);
  op.input_names = std::move(input_names);
  return op;
}

// MXNet's other spellings of operators registered under one name.
void alias(const std::string& name, const std::vector<std::string>& aliases) {
  const SymbolOp* op = find_registered_symbol_op(name);
  if (op == nullptr) throw Error("symbol operator '" + name + "' is not registered");
  register_symbol_op(aliases.front(), *op, std::vector<std::string>(aliases.begin() + 1, aliases.end()));
}

}  // namespace

void register_composite_forms() {
  register_symbol_op("Convolution", form(call_convolution, {"data", "weight", "bias"}));
  register_symbol_op("Deconvolution", form(call_deconvolution, {"data", "weight", "bias"}));
  register_symbol_op("_contrib_DeformableConvolution",
                     form([](const Attrs& a, Inputs in) { return call_deformable(a, in, false); }, {"data", "offset", "weight", "bias"}));
  register_symbol_op("_contrib_ModulatedDeformableConvolution",
                     form([](const Attrs& a, Inputs in) { return call_deformable(a, in, true); },
                          {"data", "offset", "mask", "weight", "bias"}));
  register_symbol_op("Pooling", form(call_pooling, {"data"}));
  SymbolOp batch_norm = form(call_batch_norm, {"data", "gamma", "beta", "moving_mean", "moving_var"});
  batch_norm.mxnet_outputs = 3;  // output, mean, var
  batch_norm.aux_inputs = {3, 4};
  register_symbol_op("BatchNorm", std::move(batch_norm));
  register_symbol_op("Activation", form(call_activation, {"data"}));
  register_symbol_op("LeakyReLU", form(call_leaky_relu, {"data", "gamma"}));
  SymbolOp dropout = form(call_dropout, {"data"});
  dropout.mxnet_outputs = 2;  // output, mask
  register_symbol_op("Dropout", std::move(dropout));
  register_symbol_op("Flatten", form(call_flatten, {"data"}), {"flatten"});
  register_symbol_op("Reshape", form(call_reshape, {"data"}), {"reshape"});
  register_symbol_op("LayerNorm", form(call_layer_norm, {"data", "gamma", "beta"}));
  register_symbol_op("InstanceNorm", form(call_instance_norm, {"data", "gamma", "beta"}));
  register_symbol_op("Embedding", form(call_embedding, {"data", "weight"}));
  SymbolOp rnn = form(call_rnn, {"data", "parameters", "state", "state_cell"});
  rnn.count_outputs = [](const Attrs& attrs, int) {
    const RNNNode node = read_rnn(attrs);
    return node.options.state_outputs ? 1 + rnn_state_count(node) : 1;
  };
  register_symbol_op("RNN", std::move(rnn));
  register_symbol_op("_rnn_param_concat", form(call_rnn_param_concat, {}));
  register_symbol_op("_zeros", form([](const Attrs& a, Inputs in) { return call_fill("_zeros", 0, a, in); }, {}), {"zeros"});
  register_symbol_op("_ones", form([](const Attrs& a, Inputs in) { return call_fill("_ones", 1, a, in); }, {}), {"ones"});
  register_symbol_op("SwapAxis", form(call_swapaxis, {"data"}), {"swapaxes"});
  register_symbol_op("depth_to_space", form([](const Attrs& a, Inputs in) { return call_block_rearrange("depth_to_space", a, in); }, {"data"}));
  register_symbol_op("space_to_depth", form([](const Attrs& a, Inputs in) { return call_block_rearrange("space_to_depth", a, in); }, {"data"}));
  register_symbol_op("UpSampling", form(call_upsampling, {}));
  register_symbol_op("_contrib_BilinearResize2D", form(call_bilinear_resize, {"data"}));
  register_symbol_op("_contrib_AdaptiveAvgPooling2D", form(call_adaptive_avg_pooling, {"data"}));
  register_symbol_op("SequenceMask", form(call_sequence_mask, {"data", "sequence_length"}));
  register_symbol_op("SequenceLast", form(call_sequence_last, {"data", "sequence_length"}));
  register_symbol_op("SequenceReverse", form(call_sequence_reverse, {"data", "sequence_length"}));
  alias("broadcast_add", {"elemwise_add", "_plus", "_Plus", "_add", "broadcast_plus"});
  alias("broadcast_sub", {"elemwise_sub", "_minus", "_Minus", "_sub", "broadcast_minus"});
  alias("broadcast_mul", {"elemwise_mul", "_mul", "_Mul"});
  alias("broadcast_div", {"elemwise_div", "_div", "_Div"});
  alias("Concat", {"concat"});
  alias("SliceChannel", {"split"});
  alias("Cast", {"cast"});
  alias("BlockGrad", {"stop_gradient"});
  alias("MakeLoss", {"make_loss"});
}

}  // namespace mx::op
