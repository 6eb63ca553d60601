#pragma once
// Normalization layers' operators, as MXNet's BatchNorm, LayerNorm and InstanceNorm. Built from recorded
// reductions and elementwise operators, so autograd differentiates them.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

struct BatchNormOptions {
  double eps = 1e-3;
  double momentum = 0.9;
  bool fix_gamma = true;          // MXNet's default: gamma is taken as 1 (Gluon's BatchNorm sets false)
  bool use_global_stats = false;  // normalize with the moving statistics even in training
  int axis = 1;                   // the channel axis
};
// In training mode (autograd's record or train_mode) and without use_global_stats: normalizes with the batch's
// mean and variance over every axis but `axis`, and updates moving_mean and moving_var in place
// (moving = momentum * moving + (1 - momentum) * batch; not recorded). Otherwise normalizes with the moving
// statistics. gamma, beta, moving_mean and moving_var have one value per channel.
NDArray BatchNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, NDArray& moving_mean,
                  NDArray& moving_var, const BatchNormOptions& options = {});
// data * scale[c] + shift[c] along `axis`, in one pass over data (BatchNorm's form once its statistics are known);
// differentiable in all three.
NDArray scale_shift_channels(const NDArray& data, const NDArray& scale, const NDArray& shift, int axis = 1);
// Normalizes over `axis` (per sample), then scales and shifts by gamma and beta (the extent of `axis`).
NDArray LayerNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, int axis = -1, double eps = 1e-5);
// Normalizes each sample's channel over its spatial axes (data (N, C, ...)), then gamma and beta per channel.
NDArray InstanceNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, double eps = 1e-3);

}  // namespace mx::nd
