#pragma once
// BatchNorm in training on cuDNN, for data on a GPU: one pass for the batch statistics and the output, one for
// the three gradients, where the composition of reductions and elementwise operators takes a dozen passes over
// the activations. Private to operators/; built with CUDA only.
#include <mx/ndarray/ndarray.h>
#include <mx/operators/normalization.h>

namespace mx::nd::cudnn {

// Whether cuDNN normalizes this: data (N, C, ...) on a GPU with at most 5 axes, channels on axis 1, a floating
// dtype, eps at least cuDNN's minimum.
bool supports_batch_norm(const NDArray& data, const BatchNormOptions& options);
// The training-mode output (recorded: gamma and beta's and the data's gradients come from cuDNN); updates the
// moving statistics in place with the batch's (biased) variance, as the CPU's BatchNorm does.
NDArray batch_norm_training(const NDArray& data, const NDArray& scale, const NDArray& beta, NDArray& moving_mean,
                            NDArray& moving_var, const BatchNormOptions& options);

}  // namespace mx::nd::cudnn
