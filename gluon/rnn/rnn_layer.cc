#include <mx/gluon/rnn/rnn_layer.h>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/layout.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::rnn {

RecurrentLayer::RecurrentLayer(detail::CellKind kind, std::string alias, std::string name, std::int64_t hidden_size,
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
  const std::int64_t rows = detail::gate_count(kind) * hidden_size;
  // MXNet's order: layer by layer, the forward direction ("l") before the reverse ("r").
  for (int l = 0; l < options_.num_layers; ++l) {
    const std::int64_t inputs = l == 0 ? options_.input_size : directions() * hidden_size;
    for (int d = 0; d < directions(); ++d) {
      const std::string stem = (d == 0 ? "l" : "r") + std::to_string(l) + "_";
      const auto make = [&](const char* what, Shape shape, const init::InitializerRef& init) {
        return register_parameter(Parameter(stem + what, std::move(shape), {.dtype = options_.dtype, .init = init}));
      };
      Weights w;
      w.i2h_weight = make("i2h_weight", {rows, inputs}, options_.i2h_weight_initializer);
      w.h2h_weight = make("h2h_weight", {rows, hidden_size}, options_.h2h_weight_initializer);
      w.i2h_bias = make("i2h_bias", {rows}, options_.i2h_bias_initializer);
      w.h2h_bias = make("h2h_bias", {rows}, options_.h2h_bias_initializer);
      weights_.push_back(std::move(w));
    }
  }
}

std::vector<NDArray> RecurrentLayer::begin_state(std::int64_t batch_size, Context ctx) const {
  std::vector<NDArray> states;
  const std::int64_t rows = options_.num_layers * directions();
  for (int i = 0; i < detail::state_count(kind_); ++i) {
    states.push_back(nd::zeros({rows, batch_size, hidden_size_}, ctx, options_.dtype));
  }
  return states;
}

RecurrentOutput RecurrentLayer::operator()(const NDArray& x, const std::vector<NDArray>& states,
                                           const NDArray& sequence_length) {
  return run(x, states, sequence_length);
}

NDArray RecurrentLayer::forward(const NDArray& x) { return run(x, {}, {}).output; }

RecurrentOutput RecurrentLayer::run(const NDArray& x, const std::vector<NDArray>& begin, const NDArray& lengths) {
  NDArray sequence = to_time_major(name_.c_str(), x, options_.layout);
  const std::int64_t steps = sequence.shape()[0], batch = sequence.shape()[1], features = sequence.shape()[2];
  const int rows = options_.num_layers * directions();
  const int state_count = detail::state_count(kind_);
  // Each state array cut into its (N, H) rows, one per layer and direction.
  std::vector<std::vector<NDArray>> given(static_cast<std::size_t>(state_count));
  if (!begin.empty()) {
    if (begin.size() != given.size()) {
      throw Error(name_ + ": expected " + std::to_string(state_count) + " state arrays, got " + std::to_string(begin.size()));
    }
    const Shape expected{rows, batch, hidden_size_};
    for (std::size_t k = 0; k < given.size(); ++k) {
      if (begin[k].shape() != expected) {
        throw ShapeError(name_ + ": state " + std::to_string(k) + " has shape " + begin[k].shape().str() +
                         ", expected " + expected.str() + " for input " + x.shape().str() + " (" + options_.layout + ")");
      }
      given[k] = nd::split(begin[k], rows, 0, /*squeeze_axis=*/true);
    }
  }
  const std::vector<NDArray> inside = lengths.is_none()
                                          ? std::vector<NDArray>{}
                                          : detail::length_masks(name_.c_str(), lengths, steps, batch, x.dtype());
  Parameter& first = weights_[0].i2h_weight;
  if (first.shape()[1] == 0) {
    for (int d = 0; d < directions(); ++d) weights_[d].i2h_weight.set_shape({first.shape()[0], features});
  } else if (first.shape()[1] != features) {
    throw ShapeError(name_ + ": input " + x.shape().str() + " (" + options_.layout + ") has " + std::to_string(features) +
                     " features, '" + first.name() + "' expects " + std::to_string(first.shape()[1]));
  }

  const Context ctx = x.context();
  const int gates = static_cast<int>(weights_[0].h2h_weight.shape()[0]);
  std::vector<std::vector<NDArray>> last(static_cast<std::size_t>(state_count));
  for (int l = 0; l < options_.num_layers; ++l) {
    std::vector<NDArray> per_direction;
    for (int d = 0; d < directions(); ++d) {
      const int row = l * directions() + d;
      const Weights& w = weights_[static_cast<std::size_t>(row)];
      std::vector<NDArray> states;
      for (const auto& rows_of : given) {
        if (!rows_of.empty()) states.push_back(rows_of[static_cast<std::size_t>(row)]);
      }
      // The input products of every step at once, then the recurrence step by step (backwards for d = 1).
      detail::StepOutput run = detail::run_sequence(
          kind_, nd::FullyConnected(sequence, w.i2h_weight.data(ctx), w.i2h_bias.data(ctx), gates, false), states,
          w.h2h_weight.data(ctx), w.h2h_bias.data(ctx), inside, /*backwards=*/d == 1);
      for (int k = 0; k < state_count; ++k) last[static_cast<std::size_t>(k)].push_back(run.states[static_cast<std::size_t>(k)]);
      per_direction.push_back(std::move(run.output));
    }
    sequence = per_direction.size() == 1 ? per_direction[0] : nd::concat(per_direction, 2);
    if (options_.dropout > 0 && l + 1 < options_.num_layers) sequence = nd::Dropout(sequence, options_.dropout);
  }
  RecurrentOutput result{options_.layout == "NTC" ? nd::swapaxes(sequence, 0, 1) : sequence, {}};
  for (const auto& rows_of : last) result.states.push_back(nd::stack(rows_of, 0));
  return result;
}

std::string RecurrentLayer::repr() const {
  const std::int64_t in = weights_[0].i2h_weight.shape()[1];
  std::string s = name_ + "(" + (in == 0 ? std::string("None") : std::to_string(in)) + " -> " +
                  std::to_string(hidden_size_) + ", " + options_.layout;
  if (options_.num_layers != 1) s += ", num_layers=" + std::to_string(options_.num_layers);
  if (options_.dropout != 0) s += ", dropout=" + std::to_string(options_.dropout);
  if (options_.bidirectional) s += ", bidirectional";
  return s + ")";
}

RNN::RNN(std::int64_t hidden_size, const char* activation, RecurrentLayerOptions options)
    : RecurrentLayer(rnn_kind("RNN", activation ? activation : ""), "rnn", "RNN", hidden_size, std::move(options)) {}

LSTM::LSTM(std::int64_t hidden_size, RecurrentLayerOptions options)
    : RecurrentLayer(detail::CellKind::kLSTM, "lstm", "LSTM", hidden_size, std::move(options)) {}

GRU::GRU(std::int64_t hidden_size, RecurrentLayerOptions options)
    : RecurrentLayer(detail::CellKind::kGRU, "gru", "GRU", hidden_size, std::move(options)) {}

}  // namespace mx::gluon::rnn
