#include <mx/operators/sequence.h>

#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/composite_forms.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/layout.h>
#include <mx/operators/nn.h>
#include <mx/operators/select.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/sorting.h>
#include <mx/operators/symbolic.h>

namespace mx::nd {
namespace {

// Checks the shapes; returns T.
std::int64_t steps_of(const char* op, const NDArray& data, const NDArray& lengths, int axis, int max_axis) {
  if (axis < 0 || axis > max_axis) {
    throw Error(std::string(op) + ": axis must be " + (max_axis ? "0 or 1" : "0") + ", got " + std::to_string(axis));
  }
  if (data.ndim() < 2) throw ShapeError(std::string(op) + ": data must have a time and a batch axis, got " + data.shape().str());
  if (!lengths.is_none() && lengths.shape() != Shape{data.shape()[1 - axis]}) {
    throw ShapeError(std::string(op) + ": sequence_length must be (" + std::to_string(data.shape()[1 - axis]) +
                     ",) for data " + data.shape().str() + " along axis " + std::to_string(axis) + ", got " +
                     lengths.shape().str());
  }
  return data.shape()[axis];
}

// `values` (T, N) for axis 0 or (N, T) for axis 1, given trailing axes of extent 1 to broadcast over data's.
NDArray with_trailing(const NDArray& values, const NDArray& data) {
  std::vector<std::int64_t> shape = {values.shape()[0], values.shape()[1]};
  shape.resize(static_cast<std::size_t>(data.ndim()), 1);
  return values.reshape(shape);
}

// Time steps and lengths as (T, N) or (N, T) operands, in data's dtype.
std::pair<NDArray, NDArray> steps_and_lengths(const NDArray& data, const NDArray& lengths, int axis, std::int64_t steps) {
  const std::int64_t batch = data.shape()[1 - axis];
  const NDArray t = arange(0, static_cast<double>(steps), 1, 1, data.context(), data.dtype());
  const NDArray l = lengths.dtype() == data.dtype() ? lengths : lengths.astype(data.dtype());
  return axis == 0 ? std::pair{t.reshape({steps, 1}), l.reshape({1, batch})}
                   : std::pair{t.reshape({1, steps}), l.reshape({batch, 1})};
}

op::Attrs sequence_attrs(bool use_length, int axis) {
  return {{"use_sequence_length", op::attr_string(use_length)}, {"axis", op::attr_string(axis)}};
}

std::vector<NDArray> node_inputs(const NDArray& data, const NDArray& lengths) {
  return lengths.is_none() ? std::vector<NDArray>{data} : std::vector<NDArray>{data, lengths};
}

}  // namespace

NDArray SequenceMask(const NDArray& data, const NDArray& sequence_length, double value, int axis) {
  const std::int64_t steps = steps_of("SequenceMask", data, sequence_length, axis, 1);
  op::Composite node("SequenceMask", node_inputs(data, sequence_length));
  NDArray out;
  if (sequence_length.is_none()) {
    out = data.copy();
  } else {
    const auto [t, l] = steps_and_lengths(data, sequence_length, axis, steps);
    out = where(with_trailing(t < l, data), data, full({1}, value, data.context(), data.dtype()));
  }
  if (!node.active()) return out;
  op::Attrs attrs = sequence_attrs(!sequence_length.is_none(), axis);
  attrs["value"] = op::attr_string(value);
  return node.finish(std::move(attrs), out);
}

NDArray SequenceLast(const NDArray& data, const NDArray& sequence_length, int axis) {
  const std::int64_t steps = steps_of("SequenceLast", data, sequence_length, axis, 1);
  op::Composite node("SequenceLast", node_inputs(data, sequence_length));
  NDArray out;
  if (sequence_length.is_none()) {
    out = squeeze(slice_axis(data, axis, steps - 1, steps), {axis});
  } else {
    // pick's index has data's shape without the time axis: each sequence's length - 1, across its features.
    Shape rest;
    for (int a = 0; a < data.ndim(); ++a) {
      if (a != axis) rest.push_back(data.shape()[a]);
    }
    std::vector<std::int64_t> column(static_cast<std::size_t>(rest.ndim()), 1);
    column[0] = rest[0];
    const NDArray last = (sequence_length.astype(data.dtype()) - 1.0).reshape(column);
    out = pick(data, broadcast_to(last, rest), axis);
  }
  if (!node.active()) return out;
  return node.finish(sequence_attrs(!sequence_length.is_none(), axis), out);
}

NDArray SequenceReverse(const NDArray& data, const NDArray& sequence_length, int axis) {
  const std::int64_t steps = steps_of("SequenceReverse", data, sequence_length, axis, 0);
  op::Composite node("SequenceReverse", node_inputs(data, sequence_length));
  NDArray out;
  if (sequence_length.is_none()) {
    out = flip(data, 0);
  } else {
    // Step t of sequence n comes from length - 1 - t inside it, from t itself in its padding.
    const auto [t, l] = steps_and_lengths(data, sequence_length, 0, steps);
    const NDArray source = where(t < l, l - 1.0 - t, broadcast_to(t, {steps, data.shape()[1]}));
    out = take_along_axis(data, broadcast_to(with_trailing(source, data), data.shape()), 0);
  }
  if (!node.active()) return out;
  return node.finish(sequence_attrs(!sequence_length.is_none(), axis), out);
}

}  // namespace mx::nd
