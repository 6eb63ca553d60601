#include <mx/operators/control_flow.h>

#include <limits>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/layout.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd::contrib {
namespace {

bool truth(const NDArray& value, const char* op, const char* what) {
  if (value.shape().size() != 1) {
    throw ShapeError(std::string(op) + ": " + what + " must be one value, got shape " + value.shape().str());
  }
  return value.asscalar<double>() != 0;
}

// Step outputs, one list per step, stacked along a new axis 0 (each output's steps must agree in shape).
Arrays stack_steps(const std::vector<Arrays>& steps, const char* op) {
  Arrays out;
  if (steps.empty()) return out;
  for (std::size_t k = 0; k < steps.front().size(); ++k) {
    Arrays column;
    for (std::size_t s = 0; s < steps.size(); ++s) {
      if (steps[s][k].shape() != steps[0][k].shape()) {
        throw ShapeError(std::string(op) + ": output " + std::to_string(k) + " is " + steps[0][k].shape().str() + " at step 0 but " +
                         steps[s][k].shape().str() + " at step " + std::to_string(s));
      }
      column.push_back(steps[s][k]);
    }
    out.push_back(stack(column, 0));
  }
  return out;
}

void check_count(const char* op, const char* what, std::size_t got, std::size_t expected, std::size_t step) {
  if (got != expected) {
    throw Error(std::string(op) + ": step " + std::to_string(step) + " gave " + std::to_string(got) + " " + what + ", step 0 " +
                std::to_string(expected));
  }
}

}  // namespace

std::pair<Arrays, Arrays> foreach(const std::function<std::pair<Arrays, Arrays>(const Arrays&, const Arrays&)>& body,
                                  const Arrays& data, const Arrays& init_states) {
  if (data.empty()) throw Error("foreach: no data arrays to iterate over");
  for (const NDArray& d : data) {
    if (d.ndim() == 0 || d.shape()[0] != data[0].shape()[0]) {
      throw ShapeError("foreach: every data array needs the same steps along axis 0, got " + data[0].shape().str() + " and " +
                       d.shape().str());
    }
  }
  Arrays states = init_states;
  std::vector<Arrays> steps;
  for (std::int64_t i = 0; i < data[0].shape()[0]; ++i) {
    Arrays slices;
    for (const NDArray& d : data) slices.push_back(squeeze(slice_axis(d, 0, i, i + 1), {0}));
    auto [outputs, next] = body(slices, states);
    const auto step = static_cast<std::size_t>(i);
    check_count("foreach", "states", next.size(), init_states.size(), step);
    if (!steps.empty()) check_count("foreach", "outputs", outputs.size(), steps.front().size(), step);
    steps.push_back(std::move(outputs));
    states = std::move(next);
  }
  return {stack_steps(steps, "foreach"), states};
}

std::pair<Arrays, Arrays> while_loop(const std::function<NDArray(const Arrays&)>& cond,
                                     const std::function<std::pair<Arrays, Arrays>(const Arrays&)>& func, Arrays loop_vars,
                                     std::int64_t max_iterations) {
  if (max_iterations < 1) throw Error("while_loop: max_iterations must be positive, got " + std::to_string(max_iterations));
  if (loop_vars.empty()) throw Error("while_loop: needs at least one loop variable");
  const std::size_t count = loop_vars.size();
  std::vector<Arrays> steps;
  while (static_cast<std::int64_t>(steps.size()) < max_iterations && truth(cond(loop_vars), "while_loop", "cond's result")) {
    auto [outputs, next] = func(loop_vars);
    check_count("while_loop", "loop variables", next.size(), count, steps.size());
    if (!steps.empty()) check_count("while_loop", "outputs", outputs.size(), steps.front().size(), steps.size());
    steps.push_back(std::move(outputs));
    loop_vars = std::move(next);
  }
  Arrays stacked = stack_steps(steps, "while_loop");
  const auto missing = max_iterations - static_cast<std::int64_t>(steps.size());
  for (NDArray& s : stacked) {
    if (missing == 0) break;
    Shape pad_shape = s.shape();
    pad_shape[0] = missing;
    s = concat({s, zeros(pad_shape, s.context(), s.dtype())}, 0);
  }
  return {stacked, loop_vars};
}

Arrays cond(const NDArray& pred, const std::function<Arrays()>& then_func, const std::function<Arrays()>& else_func) {
  return truth(pred, "cond", "pred") ? then_func() : else_func();
}

NDArray isinf(const NDArray& x) { return abs(x) == std::numeric_limits<double>::infinity(); }
NDArray isnan(const NDArray& x) { return x != x; }
NDArray isfinite(const NDArray& x) { return logical_and(abs(x) != std::numeric_limits<double>::infinity(), x == x); }

}  // namespace mx::nd::contrib
