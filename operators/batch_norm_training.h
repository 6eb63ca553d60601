#pragma once
// BatchNorm in training on the CPU as two operators: the forward pass reads each channel's values for its mean,
// again for its variance, and once more to write the output; the backward pass reads them for two sums and
// once more to write the data's gradient. A channel's values stay in cache between its passes. The composition
// of reductions and elementwise operators it replaces took about thirty passes over the activations, forward
// and backward (60% of a ResNet-18 training step). Private to operators/.
#include <mx/ndarray/ndarray.h>
#include <mx/operators/normalization.h>

namespace mx::nd::fused {

// Whether the fused form handles this: data on the CPU, float32 or float64, with gamma and beta of its dtype.
bool supports_batch_norm(const NDArray& data, const NDArray& scale, const NDArray& beta);
// The training-mode output, normalized with the batch's statistics along every axis but `axis` (recorded: the
// data's, scale's and beta's gradients come from the fused backward). Updates the moving statistics in place
// with the batch's mean and (biased) variance.
NDArray batch_norm_training(const NDArray& data, const NDArray& scale, const NDArray& beta, NDArray& moving_mean,
                            NDArray& moving_var, const BatchNormOptions& options, int axis);

}  // namespace mx::nd::fused
