#include <mx/gluon/rnn/cell_wrappers.h>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/recording.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/layout.h>
#include <mx/operators/select.h>
#include <mx/operators/sequence.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::rnn {

std::size_t SequentialRNNCell::num_states() const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < size(); ++i) count += cell(i).num_states();
  return count;
}

std::vector<std::vector<NDArray>> SequentialRNNCell::split_states(const std::vector<NDArray>& states) const {
  if (states.empty()) return std::vector<std::vector<NDArray>>(size());
  if (states.size() != num_states()) {
    throw Error("SequentialRNNCell: " + std::to_string(states.size()) + " state arrays given, its cells take " +
                std::to_string(num_states()));
  }
  std::vector<std::vector<NDArray>> parts;
  auto at = states.begin();
  for (std::size_t i = 0; i < size(); ++i) {
    const auto count = static_cast<std::ptrdiff_t>(cell(i).num_states());
    parts.emplace_back(at, at + count);
    at += count;
  }
  return parts;
}

RecurrentOutput SequentialRNNCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  if (size() == 0) throw Error("SequentialRNNCell: no cells added");
  const std::vector<std::vector<NDArray>> parts = split_states(states);
  RecurrentOutput out{x, {}};
  for (std::size_t i = 0; i < size(); ++i) {
    RecurrentOutput next = cell(i).step(out.output, parts[i].empty() ? cell(i).begin_state(x.shape()[0], x.context()) : parts[i]);
    out.output = std::move(next.output);
    out.states.insert(out.states.end(), next.states.begin(), next.states.end());
  }
  return out;
}

std::vector<NDArray> SequentialRNNCell::begin_state(std::int64_t batch_size, Context ctx) const {
  std::vector<NDArray> states;
  for (std::size_t i = 0; i < size(); ++i) {
    const std::vector<NDArray> own = cell(i).begin_state(batch_size, ctx);
    states.insert(states.end(), own.begin(), own.end());
  }
  return states;
}

RecurrentOutput SequentialRNNCell::unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state,
                                          std::string_view layout, const NDArray& valid_length) {
  if (size() == 0) throw Error("SequentialRNNCell: no cells added");
  const std::vector<std::vector<NDArray>> parts = split_states(begin_state);
  RecurrentOutput out{inputs, {}};
  for (std::size_t i = 0; i < size(); ++i) {
    RecurrentOutput next = cell(i).unroll(length, out.output, parts[i], layout, valid_length);
    out.output = std::move(next.output);
    out.states.insert(out.states.end(), next.states.begin(), next.states.end());
  }
  return out;
}

void SequentialRNNCell::reset() {
  for (std::size_t i = 0; i < size(); ++i) cell(i).reset();
}

RecurrentOutput BidirectionalCell::step(const NDArray&, const std::vector<NDArray>&) {
  throw Error("BidirectionalCell: cannot be stepped, its right cell runs backwards over the whole sequence; call unroll");
}

std::vector<NDArray> BidirectionalCell::begin_state(std::int64_t batch_size, Context ctx) const {
  std::vector<NDArray> states = left().begin_state(batch_size, ctx);
  const std::vector<NDArray> right_states = right().begin_state(batch_size, ctx);
  states.insert(states.end(), right_states.begin(), right_states.end());
  return states;
}

RecurrentOutput BidirectionalCell::unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state,
                                          std::string_view layout, const NDArray& valid_length) {
  const NDArray sequence = to_time_major("BidirectionalCell", inputs, layout, /*maps=*/true);  // (T, N, C, ...)
  std::vector<NDArray> left_states, right_states;
  if (!begin_state.empty()) {
    const std::size_t count = left().num_states();
    if (begin_state.size() != num_states()) {
      throw Error("BidirectionalCell: " + std::to_string(begin_state.size()) + " state arrays given, its cells take " +
                  std::to_string(num_states()));
    }
    left_states.assign(begin_state.begin(), begin_state.begin() + static_cast<std::ptrdiff_t>(count));
    right_states.assign(begin_state.begin() + static_cast<std::ptrdiff_t>(count), begin_state.end());
  }
  const RecurrentOutput forwards = left().unroll(length, sequence, left_states, "TNC", valid_length);
  // Each sequence reversed within its own length, run, and its outputs put back in order.
  const NDArray reversed = nd::SequenceReverse(sequence, valid_length);
  const RecurrentOutput backwards = right().unroll(length, reversed, right_states, "TNC", valid_length);
  NDArray outputs = nd::concat({forwards.output, nd::SequenceReverse(backwards.output, valid_length)}, 2);
  if (layout == "NTC") outputs = nd::swapaxes(outputs, 0, 1);
  std::vector<NDArray> states = forwards.states;
  states.insert(states.end(), backwards.states.begin(), backwards.states.end());
  return {outputs, states};
}

DropoutCell::DropoutCell(double rate, std::vector<int> axes, Prefix prefix)
    : BaseCell("dropoutcell", std::move(prefix)), rate_(rate), axes_(std::move(axes)) {
  if (!(rate >= 0 && rate < 1)) throw Error("DropoutCell: rate must be in [0, 1), got " + std::to_string(rate));
}

RecurrentOutput DropoutCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  return {rate_ == 0 ? x : nd::Dropout(x, rate_, nd::DropoutMode::kTraining, axes_), states};
}

RecurrentOutput DropoutCell::unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state,
                                    std::string_view layout, const NDArray& valid_length) {
  time_major("DropoutCell", inputs, length, layout);  // checks the length
  NDArray out = rate_ == 0 ? inputs : nd::Dropout(inputs, rate_, nd::DropoutMode::kTraining, axes_);
  if (!valid_length.is_none()) out = nd::SequenceMask(out, valid_length, 0, layout == "NTC" ? 1 : 0);
  return {out, begin_state};
}

RecurrentOutput ResidualCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  RecurrentOutput out = base().step(x, states);
  out.output = out.output + x;
  return out;
}

RecurrentOutput ResidualCell::unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state,
                                     std::string_view layout, const NDArray& valid_length) {
  RecurrentOutput out = base().unroll(length, inputs, begin_state, layout, valid_length);
  // Past a sequence's end the output stays 0, the input added only within it.
  const NDArray added = valid_length.is_none() ? inputs : nd::SequenceMask(inputs, valid_length, 0, layout == "NTC" ? 1 : 0);
  out.output = out.output + added;
  return out;
}

void ZoneoutCell::check_rates() const {
  for (double p : {zoneout_outputs_, zoneout_states_}) {
    if (!(p >= 0 && p <= 1)) throw Error("ZoneoutCell: zoneout probabilities must be in [0, 1], got " + std::to_string(p));
  }
}

void ZoneoutCell::reset() {
  previous_output_ = NDArray();
  base().reset();
}

RecurrentOutput ZoneoutCell::step(const NDArray& x, const std::vector<NDArray>& states) {
  RecurrentOutput next = base().step(x, states);
  // MXNet's mask: dropout of ones, nonzero where the new value is kept (and everywhere when predicting).
  const auto keep_new = [](double p, const NDArray& like) {
    return p >= 1 && op::thread_mode().training ? nd::zeros_like(like) : nd::Dropout(nd::ones_like(like), p);
  };
  const NDArray previous = previous_output_.is_none() ? nd::zeros_like(next.output) : previous_output_;
  if (zoneout_outputs_ > 0) next.output = nd::where(keep_new(zoneout_outputs_, next.output), next.output, previous);
  if (zoneout_states_ > 0) {
    for (std::size_t k = 0; k < next.states.size(); ++k) {
      next.states[k] = nd::where(keep_new(zoneout_states_, next.states[k]), next.states[k], states[k]);
    }
  }
  previous_output_ = next.output;
  return next;
}

}  // namespace mx::gluon::rnn
