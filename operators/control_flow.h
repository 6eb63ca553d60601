#pragma once
// MXNet's imperative control flow (mx.nd.contrib.foreach, while_loop, cond) and its value tests (isinf, isfinite,
// isnan). The loops run the caller's functions on the calling thread, each step's operators pushed as usual and
// recorded by autograd, so gradients flow through every step:
//
//   auto [outs, states] = nd::contrib::foreach(
//       [](const Arrays& x, const Arrays& s) { return std::pair{Arrays{x[0] + s[0]}, Arrays{s[0] * 2.0}}; },
//       {data}, {init});
//
// while_loop and cond read their condition's value (a sync point), so a hybridized block cannot trace them; foreach
// reads none and unrolls into the traced graph.
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::contrib {

using Arrays = std::vector<NDArray>;

// body(step slices of every data array along axis 0, states) -> (step outputs, new states), for each of the data's
// first-axis extent steps. Returns each step output stacked along a new axis 0, and the last states. mx::Error when
// the data arrays differ in steps, or a step changes the number of outputs or states.
std::pair<Arrays, Arrays> foreach(const std::function<std::pair<Arrays, Arrays>(const Arrays& slices, const Arrays& states)>& body,
                                  const Arrays& data, const Arrays& init_states);

// While cond(loop_vars) (a one-element array, nonzero for true) and fewer than max_iterations steps:
// (step outputs, loop_vars) = func(loop_vars). Returns the step outputs stacked along a new axis 0 and padded with
// zeros to max_iterations rows (MXNet's shape; its padding was undefined), none when no step ran, and the final
// loop variables. mx::Error for max_iterations < 1, no loop variables, or a step changing their number.
std::pair<Arrays, Arrays> while_loop(const std::function<NDArray(const Arrays& loop_vars)>& cond,
                                     const std::function<std::pair<Arrays, Arrays>(const Arrays& loop_vars)>& func,
                                     Arrays loop_vars, std::int64_t max_iterations);

// then_func() when pred (a one-element array) is nonzero, else else_func().
Arrays cond(const NDArray& pred, const std::function<Arrays()>& then_func, const std::function<Arrays()>& else_func);

// Elementwise 1 or 0: infinite, finite (neither infinite nor NaN), NaN.
NDArray isinf(const NDArray& x);
NDArray isfinite(const NDArray& x);
NDArray isnan(const NDArray& x);

}  // namespace mx::nd::contrib
