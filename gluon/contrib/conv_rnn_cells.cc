#include <mx/gluon/contrib/conv_rnn_cells.h>

#include <algorithm>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>

namespace mx::gluon::contrib::rnn {
namespace {

using nd::recurrent::CellKind;

std::string cell_name(CellKind kind, int dims) {
  const char* word = kind == CellKind::kLSTM ? "LSTM" : kind == CellKind::kGRU ? "GRU" : "RNN";
  return "Conv" + std::to_string(dims) + "D" + word + "Cell";
}

const char* alias_of(CellKind kind) {
  return kind == CellKind::kLSTM ? "conv_lstm" : kind == CellKind::kGRU ? "conv_gru" : "conv_rnn";
}

std::string channel_first_layout(int dims) { return dims == 1 ? "NCW" : dims == 2 ? "NCHW" : "NCDHW"; }

std::string list_str(const std::vector<std::int64_t>& values) {
  std::string s = "(";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + (values.size() == 1 ? ",)" : ")");
}

// One value per spatial axis, from one for all of them or one each; `fallback` for none. Each at least `least`.
std::vector<std::int64_t> per_axis(const std::string& who, const char* what, const std::vector<std::int64_t>& given,
                                   int dims, std::int64_t fallback, std::int64_t least) {
  std::vector<std::int64_t> values = given;
  if (given.size() <= 1) values.assign(static_cast<std::size_t>(dims), given.empty() ? fallback : given[0]);
  if (values.size() != static_cast<std::size_t>(dims)) {
    throw Error(who + ": " + what + " takes one value or " + std::to_string(dims) + ", got " + list_str(given));
  }
  if (std::any_of(values.begin(), values.end(), [&](std::int64_t v) { return v < least; })) {
    throw Error(who + ": " + what + " must be at least " + std::to_string(least) + ", got " + list_str(given));
  }
  return values;
}

}  // namespace

ConvRecurrentCell::ConvRecurrentCell(CellKind kind, int dims, Shape input_shape, std::int64_t hidden_channels,
                                     std::vector<std::int64_t> i2h_kernel, std::vector<std::int64_t> h2h_kernel,
                                     ConvCellOptions options)
    : BaseCell(alias_of(kind), options.prefix),
      kind_(kind),
      name_(cell_name(kind, dims)),
      layout_(options.conv_layout.empty() ? channel_first_layout(dims) : options.conv_layout),
      activation_(options.activation),
      input_shape_(std::move(input_shape)),
      hidden_channels_(hidden_channels) {
  if (layout_ != channel_first_layout(dims)) {
    throw Error(name_ + ": conv_layout \"" + layout_ + "\" is not supported: mxpp's convolutions are channel-first (" +
                channel_first_layout(dims) + ")");
  }
  const auto dims_count = static_cast<std::size_t>(dims);
  if (input_shape_.ndim() != dims + 1 || std::any_of(input_shape_.begin(), input_shape_.end(), [](std::int64_t d) { return d < 1; })) {
    const char* spatial = dims == 1 ? "W" : dims == 2 ? "H, W" : "D, H, W";
    throw ShapeError(name_ + ": input_shape must be a step's (C, " + spatial + ") without the batch, every extent "
                     "positive, got " + input_shape_.str());
  }
  if (hidden_channels < 1) throw Error(name_ + ": hidden_channels must be positive, got " + std::to_string(hidden_channels));
  static const char* const kActivations[] = {"tanh", "relu", "sigmoid", "softrelu", "softsign"};
  if (std::none_of(std::begin(kActivations), std::end(kActivations), [&](const char* a) { return activation_ == a; })) {
    throw Error(name_ + ": activation must be tanh, relu, sigmoid, softrelu or softsign, got \"" + activation_ + "\"");
  }
  i2h_conv_ = {.kernel = per_axis(name_, "i2h_kernel", i2h_kernel, dims, 1, 1),
               .stride = {},
               .dilate = per_axis(name_, "i2h_dilate", options.i2h_dilate, dims, 1, 1),
               .pad = per_axis(name_, "i2h_pad", options.i2h_pad, dims, 0, 0)};
  h2h_conv_.kernel = per_axis(name_, "h2h_kernel", h2h_kernel, dims, 1, 1);
  h2h_conv_.dilate = per_axis(name_, "h2h_dilate", options.h2h_dilate, dims, 1, 1);
  if (std::any_of(h2h_conv_.kernel.begin(), h2h_conv_.kernel.end(), [](std::int64_t k) { return k % 2 == 0; })) {
    throw Error(name_ + ": h2h_kernel must be odd (the state keeps its size), got " + list_str(h2h_kernel));
  }
  state_shape_ = Shape{hidden_channels};
  for (std::size_t a = 0; a < dims_count; ++a) {
    h2h_conv_.pad.push_back(h2h_conv_.dilate[a] * (h2h_conv_.kernel[a] - 1) / 2);
    const std::int64_t out = input_shape_[static_cast<int>(a) + 1] + 2 * i2h_conv_.pad[a] -
                             i2h_conv_.dilate[a] * (i2h_conv_.kernel[a] - 1);
    if (out < 1) {
      throw ShapeError(name_ + ": the input convolution leaves nothing of input_shape " + input_shape_.str() +
                       " (i2h_kernel " + list_str(i2h_conv_.kernel) + ", i2h_pad " + list_str(i2h_conv_.pad) + ")");
    }
    state_shape_.push_back(out);
  }
  const std::int64_t filters = nd::recurrent::gate_count(kind) * hidden_channels;
  const auto make = [&](const char* what, Shape shape, init::InitializerRef init) {
    return register_parameter(Parameter(what, std::move(shape), {.init = std::move(init)}));
  };
  Shape i2h_shape{filters, input_shape_[0]}, h2h_shape{filters, hidden_channels};
  for (std::size_t a = 0; a < dims_count; ++a) {
    i2h_shape.push_back(i2h_conv_.kernel[a]);
    h2h_shape.push_back(h2h_conv_.kernel[a]);
  }
  i2h_weight_ = make("i2h_weight", i2h_shape, options.i2h_weight_initializer);
  h2h_weight_ = make("h2h_weight", h2h_shape, options.h2h_weight_initializer);
  i2h_bias_ = make("i2h_bias", {filters}, options.i2h_bias_initializer);
  h2h_bias_ = make("h2h_bias", {filters}, options.h2h_bias_initializer);
}

void ConvRecurrentCell::check_step(const NDArray& x, const std::vector<NDArray>& states) const {
  auto batched = [&](const Shape& per_sample) {
    Shape shape{x.shape()[0]};
    for (std::int64_t d : per_sample) shape.push_back(d);
    return shape;
  };
  if (x.ndim() != input_shape_.ndim() + 1 || x.shape() != batched(input_shape_)) {
    throw ShapeError(name_ + ": a step's input must be (N, " + input_shape_.str().substr(1) + " (input_shape " +
                     input_shape_.str() + "), got " + x.shape().str());
  }
  if (states.size() != num_states()) {
    throw Error(name_ + ": expected " + std::to_string(num_states()) + " state arrays, got " + std::to_string(states.size()));
  }
  for (const NDArray& s : states) {
    if (s.shape() != batched(state_shape_)) {
      throw ShapeError(name_ + ": a state has shape " + s.shape().str() + ", expected " + batched(state_shape_).str());
    }
  }
}

gluon::rnn::RecurrentOutput ConvRecurrentCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  check_step(x, states);
  const Context ctx = x.context();
  const std::int64_t filters = i2h_weight_.shape()[0];
  const NDArray i2h = nd::Convolution(x, i2h_weight_.data(ctx), i2h_bias_.data(ctx), i2h_conv_, filters);
  const NDArray h2h = nd::Convolution(states[0], h2h_weight_.data(ctx), h2h_bias_.data(ctx), h2h_conv_, filters);
  if (kind_ == CellKind::kRNNTanh) {
    NDArray h = nd::Activation(i2h + h2h, activation_);
    return {h, {h}};
  }
  return nd::recurrent::gated_step(kind_, i2h, h2h, states, {}, activation_);
}

NDArray ConvRecurrentCell::forward(const NDArray& x) {
  if (x.ndim() < 1) throw ShapeError(name_ + ": a step's input must be (N, " + input_shape_.str().substr(1) + ", got a scalar");
  return step(x, begin_state(x.shape()[0], x.context())).output;
}

std::vector<NDArray> ConvRecurrentCell::begin_state(std::int64_t batch_size, Context ctx) const {
  Shape shape{batch_size};
  for (std::int64_t d : state_shape_) shape.push_back(d);
  std::vector<NDArray> states;
  for (std::size_t i = 0; i < num_states(); ++i) states.push_back(nd::zeros(shape, ctx, i2h_weight_.dtype()));
  return states;
}

std::string ConvRecurrentCell::repr() const {
  return name_ + "(" + std::to_string(input_shape_[0]) + " -> " + std::to_string(i2h_weight_.shape()[0]) + ", " +
         activation_ + ", " + layout_ + ")";
}

}  // namespace mx::gluon::contrib::rnn
