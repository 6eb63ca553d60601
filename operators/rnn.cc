#include <mx/operators/rnn.h>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/composite_forms.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/layout.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/tracing.h>

namespace mx::nd {
namespace recurrent {

CellKind cell_kind(const char* who, const std::string& mode) {
  if (mode == "rnn_tanh") return CellKind::kRNNTanh;
  if (mode == "rnn_relu") return CellKind::kRNNRelu;
  if (mode == "lstm") return CellKind::kLSTM;
  if (mode == "gru") return CellKind::kGRU;
  throw Error(std::string(who) + ": mode must be \"rnn_relu\", \"rnn_tanh\", \"lstm\" or \"gru\", got \"" + mode + "\"");
}

const char* mode_name(CellKind kind) {
  switch (kind) {
    case CellKind::kRNNTanh: return "rnn_tanh";
    case CellKind::kRNNRelu: return "rnn_relu";
    case CellKind::kLSTM: return "lstm";
    case CellKind::kGRU: return "gru";
  }
  return "lstm";
}

StepOutput run_stack(CellKind kind, const NDArray& sequence, std::span<const LayerWeights> weights,
                     const std::vector<NDArray>& begin, const std::vector<NDArray>& inside,
                     const StackOptions& options) {
  const int directions = options.bidirectional ? 2 : 1;
  // Each state array cut into its (N, H) rows, one per layer and direction.
  std::vector<std::vector<NDArray>> given;
  for (const NDArray& state : begin) {
    given.push_back(nd::split(state, static_cast<int>(state.shape()[0]), 0, /*squeeze_axis=*/true));
  }
  const int state_count = recurrent::state_count(kind);
  std::vector<std::vector<NDArray>> last(static_cast<std::size_t>(state_count));
  NDArray layer_input = sequence;
  for (int l = 0; l < options.num_layers; ++l) {
    std::vector<NDArray> per_direction;
    for (int d = 0; d < directions; ++d) {
      const auto row = static_cast<std::size_t>(l * directions + d);
      const LayerWeights& w = weights[row];
      std::vector<NDArray> states;
      for (const auto& rows_of : given) states.push_back(rows_of[row]);
      // The input products of every step at once, then the recurrence step by step (backwards for d = 1).
      const auto gates = static_cast<int>(w.h2h_weight.shape()[0]);
      StepOutput run = run_sequence(kind, nd::FullyConnected(layer_input, w.i2h_weight, w.i2h_bias, gates, false),
                                    states, w.h2h_weight, w.h2h_bias, inside, /*backwards=*/d == 1, 0,
                                    LSTMExtras{options.clip, w.h2r_weight});
      for (int k = 0; k < state_count; ++k) last[static_cast<std::size_t>(k)].push_back(run.states[static_cast<std::size_t>(k)]);
      per_direction.push_back(std::move(run.output));
    }
    layer_input = per_direction.size() == 1 ? per_direction[0] : nd::concat(per_direction, 2);
    if (options.dropout > 0 && l + 1 < options.num_layers) layer_input = nd::Dropout(layer_input, options.dropout);
  }
  StepOutput result{layer_input, {}};
  for (const auto& rows_of : last) result.states.push_back(nd::stack(rows_of, 0));
  return result;
}

}  // namespace recurrent

namespace {

using recurrent::CellKind;

std::string describe(const RNNOptions& o) {
  return "mode " + o.mode + ", state_size " + std::to_string(o.state_size) + ", num_layers " +
         std::to_string(o.num_layers) + (o.bidirectional ? ", bidirectional" : "") +
         (o.projection_size ? ", projection_size " + std::to_string(*o.projection_size) : "");
}

// The width of h and of each direction's output: the projection's when there is one.
std::int64_t output_width(const RNNOptions& o) { return o.projection_size.value_or(o.state_size); }

std::optional<recurrent::StateClip> state_clip(const RNNOptions& o) {
  if (!o.lstm_state_clip_min && !o.lstm_state_clip_max) return std::nullopt;
  if (!o.lstm_state_clip_min || !o.lstm_state_clip_max || *o.lstm_state_clip_min > *o.lstm_state_clip_max) {
    throw Error("RNN: lstm_state_clip_min and lstm_state_clip_max must be given together, min <= max");
  }
  if (o.mode != "lstm") throw Error("RNN: lstm_state_clip_min/max apply to mode lstm, not " + o.mode);
  return recurrent::StateClip{*o.lstm_state_clip_min, *o.lstm_state_clip_max};
}

// The packed vector cut into each layer's and direction's weights (views of its parts).
std::vector<recurrent::LayerWeights> unpack(const NDArray& parameters, const RNNOptions& o, std::int64_t input_size) {
  const int directions = o.bidirectional ? 2 : 1;
  const std::int64_t hidden = o.state_size, width = output_width(o);
  const std::int64_t rows = recurrent::gate_count(recurrent::cell_kind("RNN", o.mode)) * hidden;
  const std::size_t per_set = o.projection_size ? 3 : 2;  // weights of one layer and direction
  std::vector<Shape> shapes;  // in packing order: every weight, then every bias
  for (int l = 0; l < o.num_layers; ++l) {
    for (int d = 0; d < directions; ++d) {
      shapes.push_back({rows, l == 0 ? input_size : directions * width});
      shapes.push_back({rows, width});
      if (o.projection_size) shapes.push_back({width, hidden});
    }
  }
  const std::size_t sets = shapes.size() / per_set, biases = shapes.size();
  for (std::size_t i = 0; i < 2 * sets; ++i) shapes.push_back({rows});
  std::vector<std::int64_t> cuts;
  std::int64_t offset = 0;
  for (std::size_t i = 0; i + 1 < shapes.size(); ++i) cuts.push_back(offset += shapes[i].size());
  std::vector<NDArray> parts = nd::split_v2(parameters, cuts, 0);
  std::vector<recurrent::LayerWeights> weights(sets);
  for (std::size_t i = 0; i < sets; ++i) {
    const std::size_t w = per_set * i;
    weights[i] = {parts[w].reshape(shapes[w]), parts[w + 1].reshape(shapes[w + 1]), parts[biases + 2 * i],
                  parts[biases + 2 * i + 1], o.projection_size ? parts[w + 2].reshape(shapes[w + 2]) : NDArray()};
  }
  return weights;
}

}  // namespace

std::int64_t rnn_param_size(const RNNOptions& o, std::int64_t input_size) {
  // Sizes from a symbol file's attributes can be anything: counted with overflow checks.
  const auto fail = [&] { throw Error("RNN: the parameters of " + describe(o) + " overflow 64 bits"); };
  const auto times = [&](std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) fail();
    return r;
  };
  const auto plus = [&](std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) fail();
    return r;
  };
  const std::int64_t directions = o.bidirectional ? 2 : 1, hidden = o.state_size, width = output_width(o);
  const std::int64_t rows = times(recurrent::gate_count(recurrent::cell_kind("RNN", o.mode)), hidden);
  const std::int64_t projection = o.projection_size ? times(width, hidden) : 0;
  std::int64_t size = 0;
  for (int l = 0; l < o.num_layers; ++l) {
    const std::int64_t inputs = l == 0 ? input_size : times(directions, width);
    size = plus(size, times(directions, plus(times(rows, plus(plus(inputs, width), 2)), projection)));
  }
  return size;
}

NDArray rnn_param_concat(const std::vector<NDArray>& arrays) {
  std::vector<NDArray> flat;
  for (const NDArray& a : arrays) flat.push_back(a.reshape({-1}));
  op::Composite node("_rnn_param_concat", flat);
  NDArray joined = nd::concat(flat, 0);
  if (!node.active()) return joined;
  return node.finish({{"dim", "0"}, {"num_args", op::attr_string(static_cast<std::int64_t>(flat.size()))}}, joined);
}

namespace {

// RNN, its steps reading `given` weights when there are any, else the cuts of `parameters`.
std::vector<NDArray> run_rnn(const NDArray& data, const NDArray& parameters, std::span<const recurrent::LayerWeights> given,
                             const std::vector<NDArray>& states, const NDArray& sequence_length, const RNNOptions& o) {
  const CellKind kind = recurrent::cell_kind("RNN", o.mode);
  if (o.state_size < 1) throw Error("RNN: state_size must be positive, got " + std::to_string(o.state_size));
  if (o.num_layers < 1) throw Error("RNN: num_layers must be positive, got " + std::to_string(o.num_layers));
  if (!(o.p >= 0 && o.p < 1)) throw Error("RNN: p must be in [0, 1), got " + std::to_string(o.p));
  const std::optional<recurrent::StateClip> clip = state_clip(o);
  if (o.projection_size && (o.mode != "lstm" || *o.projection_size < 1)) {
    throw Error("RNN: projection_size must be positive and applies to mode lstm; got " + describe(o));
  }
  const std::int64_t width = output_width(o);
  if (data.ndim() != 3) throw ShapeError("RNN: data must be (T, N, C), got " + data.shape().str());
  const std::int64_t steps = data.shape()[0], batch = data.shape()[1], features = data.shape()[2];
  const std::int64_t expected_params = rnn_param_size(o, features);
  if (parameters.is_none()) {
    if (given.empty() || op::is_tracing()) throw Error("RNN: needs its packed parameters (to run, or to trace its node)");
  } else if (parameters.shape() != Shape{expected_params}) {
    throw ShapeError("RNN: parameters have shape " + parameters.shape().str() + ", expected (" +
                     std::to_string(expected_params) + ",) for data " + data.shape().str() + " and " + describe(o));
  }
  const std::int64_t rows = static_cast<std::int64_t>(o.num_layers) * (o.bidirectional ? 2 : 1);
  const auto state_count = static_cast<std::size_t>(recurrent::state_count(kind));
  if (!states.empty() && states.size() != state_count) {
    throw Error("RNN: mode " + o.mode + " takes " + std::to_string(state_count) + " state arrays, got " +
                std::to_string(states.size()));
  }
  // Zero states of unknown batch (L*D, 0, H), as MXNet exports them, count as none.
  bool zero_states = states.empty();
  for (std::size_t k = 0; k < states.size(); ++k) {
    const Shape& s = states[k].shape();
    const std::int64_t state_width = k == 0 ? width : o.state_size;  // h, then c
    const bool unknown_batch = s == Shape{rows, 0, state_width} && batch != 0;
    if (s != Shape{rows, batch, state_width} && !unknown_batch) {
      throw ShapeError("RNN: state " + std::to_string(k) + " has shape " + s.str() + ", expected " +
                       Shape{rows, batch, state_width}.str() + " for data " + data.shape().str() + " and " + describe(o));
    }
    if (k == 0) zero_states = unknown_batch;
    else if (unknown_batch != zero_states) throw ShapeError("RNN: the state arrays differ in batch");
  }
  const std::vector<NDArray> inside = sequence_length.is_none()
                                          ? std::vector<NDArray>{}
                                          : recurrent::length_masks("RNN", sequence_length, steps, batch, data.dtype());

  // The node's inputs in MXNet's order; traced without states, zero states of unknown batch stand in for them.
  std::vector<NDArray> node_inputs = {data, parameters};
  if (!states.empty()) {
    node_inputs.insert(node_inputs.end(), states.begin(), states.end());
  } else if (op::is_tracing()) {
    for (std::size_t k = 0; k < state_count; ++k) {
      node_inputs.push_back(nd::zeros({rows, 0, k == 0 ? width : o.state_size}, data.context(), data.dtype()));
    }
  }
  if (!sequence_length.is_none()) node_inputs.push_back(sequence_length);
  op::Composite node("RNN", node_inputs);
  const std::vector<recurrent::LayerWeights> cut = given.empty() ? unpack(parameters, o, features)
                                                                 : std::vector<recurrent::LayerWeights>{};
  recurrent::StepOutput run = recurrent::run_stack(kind, data, given.empty() ? std::span(cut) : given, zero_states ? std::vector<NDArray>{} : states,
                                                   inside, {o.num_layers, o.bidirectional, o.p, clip});
  std::vector<NDArray> outputs = {run.output};
  if (o.state_outputs) outputs.insert(outputs.end(), run.states.begin(), run.states.end());
  if (node.active()) node.finish(op::forms::rnn(o, !sequence_length.is_none()), outputs);
  return outputs;
}

}  // namespace

std::vector<NDArray> RNN(const NDArray& data, const NDArray& parameters, const std::vector<NDArray>& states,
                         const NDArray& sequence_length, const RNNOptions& options) {
  return run_rnn(data, parameters, {}, states, sequence_length, options);
}

std::vector<NDArray> recurrent::rnn_node(const NDArray& data, const NDArray& parameters,
                                         std::span<const LayerWeights> weights, const std::vector<NDArray>& states,
                                         const NDArray& sequence_length, const RNNOptions& options) {
  if (weights.size() != static_cast<std::size_t>(options.num_layers * (options.bidirectional ? 2 : 1))) {
    throw Error("RNN: " + std::to_string(weights.size()) + " sets of weights for " + describe(options));
  }
  return run_rnn(data, parameters, weights, states, sequence_length, options);
}

}  // namespace mx::nd
