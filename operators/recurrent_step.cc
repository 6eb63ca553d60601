#include <mx/operators/recurrent_step.h>

#include <algorithm>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/dot.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/layout.h>
#include <mx/operators/nn.h>
#include <mx/operators/select.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd::recurrent {

int gate_count(CellKind kind) {
  switch (kind) {
    case CellKind::kLSTM: return 4;
    case CellKind::kGRU: return 3;
    default: return 1;
  }
}

int state_count(CellKind kind) { return kind == CellKind::kLSTM ? 2 : 1; }

StepOutput recurrent_step(CellKind kind, const NDArray& i2h, const std::vector<NDArray>& states,
                          const NDArray& h2h_weight, const NDArray& h2h_bias, const LSTMExtras& lstm) {
  const auto gates = static_cast<int>(h2h_weight.shape()[0]);
  // From a zero state h2h is the bias alone, broadcast over the batch.
  const NDArray h2h = states.empty() ? h2h_bias : nd::FullyConnected(states[0], h2h_weight, h2h_bias, gates);
  return gated_step(kind, i2h, h2h, states, lstm);
}

namespace {
NDArray activate(const NDArray& x, std::string_view activation) {
  return activation == "tanh" ? nd::tanh(x) : nd::Activation(x, activation);
}
}  // namespace

StepOutput gated_step(CellKind kind, const NDArray& i2h, const NDArray& h2h, const std::vector<NDArray>& states,
                      const LSTMExtras& lstm, std::string_view activation) {
  const bool from_zero = states.empty();
  switch (kind) {
    case CellKind::kRNNTanh:
    case CellKind::kRNNRelu: {
      const NDArray sum = i2h + h2h;
      NDArray h = kind == CellKind::kRNNTanh ? nd::tanh(sum) : nd::relu(sum);
      return {h, {h}};
    }
    case CellKind::kLSTM: {
      const std::vector<NDArray> g = nd::split(i2h + h2h, 4, 1);
      const NDArray in = nd::sigmoid(g[0]), transform = activate(g[2], activation), out = nd::sigmoid(g[3]);
      NDArray c = from_zero ? in * transform : nd::sigmoid(g[1]) * states[1] + in * transform;
      if (lstm.clip) c = nd::clip(c, lstm.clip->min, lstm.clip->max);
      NDArray h = out * activate(c, activation);
      if (!lstm.h2r_weight.is_none()) {
        h = nd::FullyConnected(h, lstm.h2r_weight, std::nullopt, static_cast<int>(lstm.h2r_weight.shape()[0]));
      }
      return {h, {h, c}};
    }
    case CellKind::kGRU: {
      // A bias alone (from a zero state) is split along its one axis.
      const std::vector<NDArray> x = nd::split(i2h, 3, 1), h = nd::split(h2h, 3, h2h.ndim() == 1 ? 0 : 1);
      const NDArray reset = nd::sigmoid(x[0] + h[0]), update = nd::sigmoid(x[1] + h[1]);
      const NDArray candidate = activate(x[2] + reset * h[2], activation);
      NDArray next = from_zero ? (1.0 - update) * candidate : (1.0 - update) * candidate + update * states[0];
      return {next, {next}};
    }
  }
  throw Error("recurrent_step: unknown cell kind");
}

void hold_past_length(StepOutput& step, const std::vector<NDArray>& previous, const NDArray& column) {
  // (N, 1) stretched to (N, 1, ..., 1) for outputs with axes past (N, H): the convolutional cells'.
  std::vector<std::int64_t> dims(static_cast<std::size_t>(std::max(step.output.ndim(), 2)), 1);
  dims[0] = column.shape()[0];
  const NDArray inside = column.reshape(Shape(dims));
  step.output = step.output * inside;
  for (std::size_t k = 0; k < step.states.size(); ++k) {
    step.states[k] = previous.empty() ? step.states[k] * inside : nd::where(inside, step.states[k], previous[k]);
  }
}

StepOutput run_sequence(CellKind kind, const NDArray& i2h, std::vector<NDArray> states, const NDArray& h2h_weight,
                        const NDArray& h2h_bias, const std::vector<NDArray>& inside, bool backwards, int stack_axis,
                        const LSTMExtras& lstm) {
  const std::int64_t steps = i2h.shape()[0];
  const std::vector<NDArray> per_step = nd::split(i2h, static_cast<int>(steps), 0, /*squeeze_axis=*/true);
  std::vector<NDArray> outputs(per_step.size());
  for (std::int64_t s = 0; s < steps; ++s) {
    const auto t = static_cast<std::size_t>(backwards ? steps - 1 - s : s);
    StepOutput step = recurrent_step(kind, per_step[t], states, h2h_weight, h2h_bias, lstm);
    // Past a sequence's end its states hold: backwards, its pass starts at its own last step.
    if (!inside.empty()) hold_past_length(step, states, inside[t]);
    outputs[t] = std::move(step.output);
    states = std::move(step.states);
  }
  return {nd::stack(outputs, stack_axis), std::move(states)};
}

std::vector<NDArray> length_masks(const char* who, const NDArray& lengths, std::int64_t steps, std::int64_t batch,
                                  DType dtype) {
  if (lengths.shape() != Shape{batch}) {
    throw ShapeError(std::string(who) + ": sequence lengths must be (" + std::to_string(batch) + ",), got " +
                     lengths.shape().str());
  }
  const NDArray column = (lengths.dtype() == dtype ? lengths : lengths.astype(dtype)).reshape({batch, 1});
  std::vector<NDArray> masks;
  for (std::int64_t t = 0; t < steps; ++t) masks.push_back(column > static_cast<double>(t));
  return masks;
}

}  // namespace mx::nd::recurrent
