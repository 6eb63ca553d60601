#pragma once
// MXNet's fused optimizer updates: each rewrites a weight and its optimizer states in place as one engine
// operation, so that a Trainer step pushes one operation per parameter. The gradient is first rescaled
// (rescale_grad), clipped to [-clip_gradient, clip_gradient] when clip_gradient > 0, and (except for the
// decoupled rules, AdamW and LAMB) given weight decay wd * weight. float32 and float64 weights; the gradient and
// the states have the weight's shape and dtype.
#include <span>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/update_rules.h>

namespace mx::nd {

// Updates `weight` and `states` in place. Throws mx::ShapeError / mx::DTypeError naming the update at the call.
void optimizer_update(UpdateRule rule, NDArray& weight, const NDArray& grad, std::span<NDArray> states,
                      const UpdateHyperParams& hyper);

}  // namespace mx::nd
