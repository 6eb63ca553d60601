#include <mx/gluon/rnn/rnn_cell.h>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/layout.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::rnn {

nd::recurrent::CellKind rnn_kind(const char* who, std::string_view activation) {
  if (activation == "tanh") return nd::recurrent::CellKind::kRNNTanh;
  if (activation == "relu") return nd::recurrent::CellKind::kRNNRelu;
  throw Error(std::string(who) + ": activation must be \"tanh\" or \"relu\", got \"" + std::string(activation) + "\"");
}

NDArray to_time_major(const char* who, const NDArray& x, std::string_view layout, bool maps) {
  if (layout != "TNC" && layout != "NTC") {
    throw Error(std::string(who) + ": layout must be \"TNC\" or \"NTC\", got \"" + std::string(layout) + "\"");
  }
  if (maps ? x.ndim() < 3 : x.ndim() != 3) {
    throw ShapeError(std::string(who) + ": input must have " + (maps ? "at least " : "") + "three axes (" +
                     std::string(layout) + (maps ? ", ..." : "") + "), got shape " + x.shape().str());
  }
  return layout == "NTC" ? nd::swapaxes(x, 0, 1) : x;
}

NDArray BaseCell::forward(const NDArray& x) {
  if (x.ndim() != 2) throw ShapeError(repr() + ": a step's input must be (N, C), got shape " + x.shape().str());
  return step(x, begin_state(x.shape()[0], x.context())).output;
}

RecurrentOutput BaseCell::unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state,
                                 std::string_view layout, const NDArray& valid_length) {
  const std::string who = repr();
  const NDArray sequence = time_major(who, inputs, length, layout);
  reset();
  return step_through(who.c_str(), sequence,
                      begin_state.empty() ? this->begin_state(sequence.shape()[1], inputs.context()) : begin_state,
                      valid_length, layout);
}

NDArray BaseCell::time_major(const std::string& who, const NDArray& inputs, std::int64_t length, std::string_view layout,
                             bool maps) {
  const NDArray sequence = to_time_major(who.c_str(), inputs, layout, maps);
  if (sequence.shape()[0] != length || length < 1) {
    throw ShapeError(who + ": unroll of " + std::to_string(length) + " steps over input " + inputs.shape().str() + " (" +
                     std::string(layout) + ")");
  }
  return sequence;
}

RecurrentOutput BaseCell::step_through(const char* who, const NDArray& sequence, std::vector<NDArray> states,
                                       const NDArray& valid_length, std::string_view layout) {
  const std::int64_t steps = sequence.shape()[0], batch = sequence.shape()[1];
  const std::vector<NDArray> inside = valid_length.is_none()
                                          ? std::vector<NDArray>{}
                                          : nd::recurrent::length_masks(who, valid_length, steps, batch, sequence.dtype());
  const std::vector<NDArray> per_step = nd::split(sequence, static_cast<int>(steps), 0, /*squeeze_axis=*/true);
  std::vector<NDArray> outputs;
  for (std::int64_t t = 0; t < steps; ++t) {
    RecurrentOutput out = step(per_step[static_cast<std::size_t>(t)], states);
    if (!inside.empty()) nd::recurrent::hold_past_length(out, states, inside[static_cast<std::size_t>(t)]);
    outputs.push_back(std::move(out.output));
    states = std::move(out.states);
  }
  return {nd::stack(outputs, layout == "NTC" ? 1 : 0), std::move(states)};
}

RecurrentCell::RecurrentCell(nd::recurrent::CellKind kind, std::string alias, std::string name, std::int64_t hidden_size,
                             CellOptions options)
    : BaseCell(std::move(alias), options.prefix), kind_(kind), name_(std::move(name)), hidden_size_(hidden_size) {
  if (hidden_size < 1) throw Error(name_ + ": hidden_size must be positive, got " + std::to_string(hidden_size));
  if (options.input_size < 0) throw Error(name_ + ": input_size must not be negative");
  const std::int64_t rows = nd::recurrent::gate_count(kind) * hidden_size;
  const auto make = [&](const char* what, Shape shape, init::InitializerRef init) {
    return register_parameter(Parameter(what, std::move(shape), {.dtype = options.dtype, .init = std::move(init)}));
  };
  i2h_weight_ = make("i2h_weight", {rows, options.input_size}, options.i2h_weight_initializer);
  h2h_weight_ = make("h2h_weight", {rows, hidden_size}, options.h2h_weight_initializer);
  i2h_bias_ = make("i2h_bias", {rows}, options.i2h_bias_initializer);
  h2h_bias_ = make("h2h_bias", {rows}, options.h2h_bias_initializer);
}

NDArray RecurrentCell::input_product(const NDArray& x) {
  const std::int64_t features = x.shape()[x.ndim() - 1];
  if (i2h_weight_.shape()[1] == 0) {
    i2h_weight_.set_shape({i2h_weight_.shape()[0], features});
  } else if (i2h_weight_.shape()[1] != features) {
    throw ShapeError(name_ + ": input " + x.shape().str() + " has " + std::to_string(features) + " features, '" +
                     i2h_weight_.name() + "' expects " + std::to_string(i2h_weight_.shape()[1]));
  }
  const Context ctx = x.context();
  return nd::FullyConnected(x, i2h_weight_.data(ctx), i2h_bias_.data(ctx), static_cast<int>(i2h_weight_.shape()[0]),
                            /*flatten=*/false);
}

void RecurrentCell::check_states(const std::vector<NDArray>& states, std::int64_t batch) const {
  const auto expected = static_cast<std::size_t>(nd::recurrent::state_count(kind_));
  if (states.size() != expected) {
    throw Error(name_ + ": expected " + std::to_string(expected) + " state arrays, got " + std::to_string(states.size()));
  }
  for (const NDArray& s : states) {
    if (s.shape() != Shape{batch, hidden_size_}) {
      throw ShapeError(name_ + ": a state has shape " + s.shape().str() + ", expected " +
                       Shape{batch, hidden_size_}.str());
    }
  }
}

RecurrentOutput RecurrentCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  if (x.ndim() != 2) throw ShapeError(name_ + ": a step's input must be (N, C), got shape " + x.shape().str());
  check_states(states, x.shape()[0]);
  const NDArray i2h = input_product(x);
  return nd::recurrent::recurrent_step(kind_, i2h, states, h2h_weight_.data(x.context()), h2h_bias_.data(x.context()));
}

NDArray RecurrentCell::forward(const NDArray& x) {
  if (x.ndim() != 2) throw ShapeError(name_ + ": a step's input must be (N, C), got shape " + x.shape().str());
  return nd::recurrent::recurrent_step(kind_, input_product(x), {}, h2h_weight_.data(x.context()), h2h_bias_.data(x.context()))
      .output;
}

std::vector<NDArray> RecurrentCell::begin_state(std::int64_t batch_size, Context ctx) const {
  std::vector<NDArray> states;
  for (int i = 0; i < nd::recurrent::state_count(kind_); ++i) {
    states.push_back(nd::zeros({batch_size, hidden_size_}, ctx, i2h_weight_.dtype()));
  }
  return states;
}

RecurrentOutput RecurrentCell::unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state,
                                      std::string_view layout, const NDArray& valid_length) {
  const NDArray sequence = time_major(name_, inputs, length, layout, /*maps=*/false);
  const std::int64_t steps = sequence.shape()[0];
  if (!begin_state.empty()) check_states(begin_state, sequence.shape()[1]);
  const std::vector<NDArray> inside =
      valid_length.is_none() ? std::vector<NDArray>{}
                             : nd::recurrent::length_masks(name_.c_str(), valid_length, steps, sequence.shape()[1], inputs.dtype());
  // The input products of every step at once: one large product instead of T small ones.
  return nd::recurrent::run_sequence(kind_, input_product(sequence), begin_state, h2h_weight_.data(inputs.context()),
                                     h2h_bias_.data(inputs.context()), inside, /*backwards=*/false, layout == "NTC" ? 1 : 0);
}

std::string RecurrentCell::repr() const {
  const std::int64_t in = i2h_weight_.shape()[1];
  std::string s = name_ + "(" + (in == 0 ? std::string("None") : std::to_string(in)) + " -> " + std::to_string(hidden_size_);
  if (kind_ == nd::recurrent::CellKind::kRNNTanh) s += ", tanh";
  if (kind_ == nd::recurrent::CellKind::kRNNRelu) s += ", relu";
  return s + ")";
}

RNNCell::RNNCell(std::int64_t hidden_size, const char* activation, CellOptions options)
    : RecurrentCell(rnn_kind("RNNCell", activation ? activation : ""), "rnn", "RNNCell", hidden_size, std::move(options)) {}

LSTMCell::LSTMCell(std::int64_t hidden_size, CellOptions options)
    : RecurrentCell(nd::recurrent::CellKind::kLSTM, "lstm", "LSTMCell", hidden_size, std::move(options)) {}

GRUCell::GRUCell(std::int64_t hidden_size, CellOptions options)
    : RecurrentCell(nd::recurrent::CellKind::kGRU, "gru", "GRUCell", hidden_size, std::move(options)) {}

}  // namespace mx::gluon::rnn
