#pragma once
// Optimizer updates with a row-sparse gradient, as MXNet's sgd_update, adam_update, ... given a row_sparse grad:
// the rule of nd::optimizer_update applied row by row. With `lazy_update` (MXNet's default) only the rows the
// gradient stores are touched, weight decay and momentum included, so a step costs the batch's rows, not the
// table's; without it every row is updated, the rows not stored with a zero gradient, exactly as the dense
// update of the dense gradient.
#include <span>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/update_rules.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::nd::sparse {

// Updates the dense `weight` and its `states` (as nd::optimizer_update takes them) in place; one engine
// operation. LAMB, whose step needs the whole weight's norm, is refused. Throws mx::ShapeError / mx::DTypeError
// naming the update at the call.
void optimizer_update(UpdateRule rule, NDArray& weight, const RowSparseNDArray& grad, std::span<NDArray> states,
                      const UpdateHyperParams& hyper, bool lazy_update = true);

}  // namespace mx::nd::sparse
