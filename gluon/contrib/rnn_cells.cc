#include <mx/gluon/contrib/rnn_cells.h>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/recurrent_step.h>

namespace mx::gluon::contrib::rnn {

void VariationalDropoutCell::check_rates() const {
  for (double p : {drop_inputs_, drop_states_, drop_outputs_}) {
    if (!(p >= 0 && p < 1)) throw Error("VariationalDropoutCell: dropout rates must be in [0, 1), got " + std::to_string(p));
  }
}

void VariationalDropoutCell::reset() {
  inputs_mask_ = states_mask_ = outputs_mask_ = NDArray();
  base().reset();
}

RecurrentOutput VariationalDropoutCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  // Dropout of ones: 0 or 1 / (1 - p) in training, ones otherwise; kept until reset.
  const auto mask = [](NDArray& kept, double p, const NDArray& like) {
    if (kept.is_none() || kept.shape() != like.shape()) kept = nd::Dropout(nd::ones_like(like), p);
    return kept;
  };
  std::vector<NDArray> held = states;
  if (drop_states_ > 0 && !held.empty()) held[0] = held[0] * mask(states_mask_, drop_states_, held[0]);  // h only
  const NDArray input = drop_inputs_ > 0 ? x * mask(inputs_mask_, drop_inputs_, x) : x;
  RecurrentOutput next = base().step(input, held);
  if (drop_outputs_ > 0) next.output = next.output * mask(outputs_mask_, drop_outputs_, next.output);
  return next;
}

LSTMPCell::LSTMPCell(std::int64_t hidden_size, std::int64_t projection_size, LSTMPCellOptions options)
    : BaseCell("lstmp", options.prefix), hidden_size_(hidden_size), projection_size_(projection_size) {
  if (hidden_size < 1 || projection_size < 1) {
    throw Error("LSTMPCell: hidden_size and projection_size must be positive, got " + std::to_string(hidden_size) +
                " and " + std::to_string(projection_size));
  }
  const auto make = [&](const char* name, Shape shape, init::InitializerRef init) {
    return register_parameter(Parameter(name, std::move(shape), {.init = std::move(init)}));
  };
  i2h_weight_ = make("i2h_weight", {4 * hidden_size, options.input_size}, options.i2h_weight_initializer);
  h2h_weight_ = make("h2h_weight", {4 * hidden_size, projection_size}, options.h2h_weight_initializer);
  h2r_weight_ = make("h2r_weight", {projection_size, hidden_size}, options.h2r_weight_initializer);
  i2h_bias_ = make("i2h_bias", {4 * hidden_size}, options.i2h_bias_initializer);
  h2h_bias_ = make("h2h_bias", {4 * hidden_size}, options.h2h_bias_initializer);
}

RecurrentOutput LSTMPCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  if (x.ndim() != 2) throw ShapeError("LSTMPCell: a step's input must be (N, C), got shape " + x.shape().str());
  const std::int64_t batch = x.shape()[0];
  if (states.size() != 2 || states[0].shape() != Shape{batch, projection_size_} || states[1].shape() != Shape{batch, hidden_size_}) {
    throw ShapeError("LSTMPCell: states must be [r (" + std::to_string(batch) + ", " + std::to_string(projection_size_) +
                     "), c (" + std::to_string(batch) + ", " + std::to_string(hidden_size_) + ")]");
  }
  if (i2h_weight_.shape()[1] == 0) i2h_weight_.set_shape({4 * hidden_size_, x.shape()[1]});
  if (i2h_weight_.shape()[1] != x.shape()[1]) {
    throw ShapeError("LSTMPCell: input " + x.shape().str() + " has " + std::to_string(x.shape()[1]) + " features, '" +
                     i2h_weight_.name() + "' expects " + std::to_string(i2h_weight_.shape()[1]));
  }
  const Context ctx = x.context();
  const NDArray i2h = nd::FullyConnected(x, i2h_weight_.data(ctx), i2h_bias_.data(ctx), static_cast<int>(4 * hidden_size_),
                                         /*flatten=*/false);
  return nd::recurrent::recurrent_step(nd::recurrent::CellKind::kLSTM, i2h, states, h2h_weight_.data(ctx),
                                       h2h_bias_.data(ctx), {.h2r_weight = h2r_weight_.data(ctx)});
}

std::vector<NDArray> LSTMPCell::begin_state(std::int64_t batch_size, Context ctx) const {
  return {nd::zeros({batch_size, projection_size_}, ctx, i2h_bias_.dtype()), nd::zeros({batch_size, hidden_size_}, ctx, i2h_bias_.dtype())};
}

std::string LSTMPCell::repr() const {
  return "LSTMPCell(" + std::to_string(i2h_weight_.shape()[1]) + " -> " + std::to_string(hidden_size_) + " -> " +
         std::to_string(projection_size_) + ")";
}

}  // namespace mx::gluon::contrib::rnn
