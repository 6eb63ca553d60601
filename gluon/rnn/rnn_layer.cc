#include <mx/gluon/rnn/rnn_layer.h>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/layout.h>
#include <mx/operators/rnn.h>
#include <mx/operators/tracing.h>

namespace mx::gluon::rnn {

RecurrentLayer::RecurrentLayer(nd::recurrent::CellKind kind, std::string alias, std::string name, std::int64_t hidden_size,
                               RecurrentLayerOptions options)
    : HybridBlock(std::move(alias), options.prefix), kind_(kind), name_(std::move(name)), hidden_size_(hidden_size),
      options_(std::move(options)) {
  if (hidden_size < 1) throw Error(name_ + ": hidden_size must be positive, got " + std::to_string(hidden_size));
  if (options_.num_layers < 1) throw Error(name_ + ": num_layers must be positive, got " + std::to_string(options_.num_layers));
  if (!(options_.dropout >= 0 && options_.dropout < 1)) {
    throw Error(name_ + ": dropout must be in [0, 1), got " + std::to_string(options_.dropout));
  }
  if (options_.layout != "TNC" && options_.layout != "NTC") {
    throw Error(name_ + ": layout must be \"TNC\" or \"NTC\", got \"" + options_.layout + "\"");
  }
  if (options_.input_size < 0) throw Error(name_ + ": input_size must not be negative");
  if (options_.state_clip_min.has_value() != options_.state_clip_max.has_value() ||
      (options_.state_clip_min && *options_.state_clip_min > *options_.state_clip_max)) {
    throw Error(name_ + ": state_clip_min and state_clip_max must be given together, min <= max");
  }
  if ((options_.state_clip_min || options_.projection_size) && kind != nd::recurrent::CellKind::kLSTM) {
    throw Error(name_ + ": state_clip_min/max and projection_size apply to LSTM alone");
  }
  if (options_.projection_size && *options_.projection_size < 1) {
    throw Error(name_ + ": projection_size must be positive, got " + std::to_string(*options_.projection_size));
  }
  const std::int64_t rows = nd::recurrent::gate_count(kind) * hidden_size, width = output_width();
  // MXNet's order: layer by layer, the forward direction ("l") before the reverse ("r").
  for (int l = 0; l < options_.num_layers; ++l) {
    const std::int64_t inputs = l == 0 ? options_.input_size : directions() * width;
    for (int d = 0; d < directions(); ++d) {
      const std::string stem = (d == 0 ? "l" : "r") + std::to_string(l) + "_";
      const auto make = [&](const char* what, Shape shape, const init::InitializerRef& init) {
        return register_parameter(Parameter(stem + what, std::move(shape), {.dtype = options_.dtype, .init = init}));
      };
      Weights w;
      w.i2h_weight = make("i2h_weight", {rows, inputs}, options_.i2h_weight_initializer);
      w.h2h_weight = make("h2h_weight", {rows, width}, options_.h2h_weight_initializer);
      w.i2h_bias = make("i2h_bias", {rows}, options_.i2h_bias_initializer);
      w.h2h_bias = make("h2h_bias", {rows}, options_.h2h_bias_initializer);
      if (options_.projection_size) w.h2r_weight = make("h2r_weight", {width, hidden_size}, options_.h2r_weight_initializer);
      weights_.push_back(std::move(w));
    }
  }
}

std::vector<NDArray> RecurrentLayer::begin_state(std::int64_t batch_size, Context ctx) const {
  std::vector<NDArray> states;
  const std::int64_t rows = options_.num_layers * directions();
  for (int i = 0; i < nd::recurrent::state_count(kind_); ++i) {
    states.push_back(nd::zeros({rows, batch_size, i == 0 ? output_width() : hidden_size_}, ctx, options_.dtype));
  }
  return states;
}

RecurrentOutput RecurrentLayer::operator()(const NDArray& x, const std::vector<NDArray>& states,
                                           const NDArray& sequence_length) {
  return run(x, states, sequence_length);
}

NDArray RecurrentLayer::forward(const NDArray& x) { return run(x, {}, {}).output; }

RecurrentOutput RecurrentLayer::run(const NDArray& x, const std::vector<NDArray>& begin, const NDArray& lengths) {
  const NDArray sequence = to_time_major(name_.c_str(), x, options_.layout);
  const std::int64_t batch = sequence.shape()[1], features = sequence.shape()[2];
  if (!lengths.is_none() && lengths.shape() != Shape{batch}) {
    throw ShapeError(name_ + ": sequence lengths must be (" + std::to_string(batch) + ",), got " + lengths.shape().str());
  }
  const int rows = options_.num_layers * directions();
  const auto state_count = static_cast<std::size_t>(nd::recurrent::state_count(kind_));
  if (!begin.empty()) {
    if (begin.size() != state_count) {
      throw Error(name_ + ": expected " + std::to_string(state_count) + " state arrays, got " + std::to_string(begin.size()));
    }
    for (std::size_t k = 0; k < begin.size(); ++k) {
      const Shape expected{rows, batch, k == 0 ? output_width() : hidden_size_};
      if (begin[k].shape() != expected) {
        throw ShapeError(name_ + ": state " + std::to_string(k) + " has shape " + begin[k].shape().str() +
                         ", expected " + expected.str() + " for input " + x.shape().str() + " (" + options_.layout + ")");
      }
    }
  }
  Parameter& first = weights_[0].i2h_weight;
  if (first.shape()[1] == 0) {
    for (int d = 0; d < directions(); ++d) weights_[d].i2h_weight.set_shape({first.shape()[0], features});
  } else if (first.shape()[1] != features) {
    throw ShapeError(name_ + ": input " + x.shape().str() + " (" + options_.layout + ") has " + std::to_string(features) +
                     " features, '" + first.name() + "' expects " + std::to_string(first.shape()[1]));
  }

  const Context ctx = x.context();
  const nd::RNNOptions rnn{.state_size = hidden_size_,
                           .num_layers = options_.num_layers,
                           .bidirectional = options_.bidirectional,
                           .mode = nd::recurrent::mode_name(kind_),
                           .p = options_.dropout,
                           .state_outputs = true,
                           .lstm_state_clip_min = options_.state_clip_min,
                           .lstm_state_clip_max = options_.state_clip_max,
                           .projection_size = options_.projection_size};
  std::vector<nd::recurrent::LayerWeights> weights;
  for (const Weights& w : weights_) {
    weights.push_back({w.i2h_weight.data(ctx), w.h2h_weight.data(ctx), w.i2h_bias.data(ctx), w.h2h_bias.data(ctx),
                       options_.projection_size ? w.h2r_weight.data(ctx) : NDArray()});
  }
  // Traced, as MXNet's layer: one RNN node over the parameters packed into one vector, so that the export is
  // MXNet's; the steps read the weights themselves, and the packing, read by nothing run, is dropped. Run, no
  // packing at all.
  NDArray packed;
  if (op::is_tracing()) {
    std::vector<NDArray> parts;
    for (const bool bias : {false, true}) {
      for (const auto& w : weights) {
        parts.push_back(bias ? w.i2h_bias : w.i2h_weight);
        parts.push_back(bias ? w.h2h_bias : w.h2h_weight);
        if (!bias && !w.h2r_weight.is_none()) parts.push_back(w.h2r_weight);
      }
    }
    packed = nd::rnn_param_concat(parts);
  }
  const std::vector<NDArray> outputs = nd::recurrent::rnn_node(sequence, packed, weights, begin, lengths, rnn);
  const NDArray& output = outputs[0];
  return {options_.layout == "NTC" ? nd::swapaxes(output, 0, 1) : output, {outputs.begin() + 1, outputs.end()}};
}

std::string RecurrentLayer::repr() const {
  const std::int64_t in = weights_[0].i2h_weight.shape()[1];
  std::string s = name_ + "(" + (in == 0 ? std::string("None") : std::to_string(in)) + " -> " +
                  std::to_string(hidden_size_) + ", " + options_.layout;
  if (options_.num_layers != 1) s += ", num_layers=" + std::to_string(options_.num_layers);
  if (options_.dropout != 0) s += ", dropout=" + std::to_string(options_.dropout);
  if (options_.bidirectional) s += ", bidirectional";
  if (options_.projection_size) s += ", projection_size=" + std::to_string(*options_.projection_size);
  return s + ")";
}

RNN::RNN(std::int64_t hidden_size, const char* activation, RecurrentLayerOptions options)
    : RecurrentLayer(rnn_kind("RNN", activation ? activation : ""), "rnn", "RNN", hidden_size, std::move(options)) {}

LSTM::LSTM(std::int64_t hidden_size, RecurrentLayerOptions options)
    : RecurrentLayer(nd::recurrent::CellKind::kLSTM, "lstm", "LSTM", hidden_size, std::move(options)) {}

GRU::GRU(std::int64_t hidden_size, RecurrentLayerOptions options)
    : RecurrentLayer(nd::recurrent::CellKind::kGRU, "gru", "GRU", hidden_size, std::move(options)) {}

}  // namespace mx::gluon::rnn
