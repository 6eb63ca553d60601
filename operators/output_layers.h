#pragma once
// The heads of MXNet's symbolic networks (SoftmaxOutput is in nn.h): each passes its prediction forward, and its
// gradient is the loss's own whatever the head gradient, so executor.backward() with no head gradients trains
// the network. BlockGrad stops gradients.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

struct RegressionOutputOptions {
  double grad_scale = 1;
};
// data (N, ...) and label of data's size with N rows ((N,) for data (N, 1)). Each gradient is divided by the
// outputs per sample, label.size / N, as MXNet's:
// data; gradient (out - label) * grad_scale / outputs (squared error).
NDArray LinearRegressionOutput(const NDArray& data, const NDArray& label, const RegressionOutputOptions& options = {});
// sigmoid(data); gradient (out - label) * grad_scale / outputs (cross-entropy of the probability).
NDArray LogisticRegressionOutput(const NDArray& data, const NDArray& label,
                                 const RegressionOutputOptions& options = {});
// data; gradient sign(out - label) * grad_scale / outputs (absolute error).
NDArray MAERegressionOutput(const NDArray& data, const NDArray& label, const RegressionOutputOptions& options = {});

enum class LossNormalization { kNull, kBatch, kValid };
struct MakeLossOptions {
  double grad_scale = 1;
  // kBatch: the gradient divided by N; kValid: by the count of elements above valid_thresh (at least 1).
  LossNormalization normalization = LossNormalization::kNull;
  double valid_thresh = 0;
};
// data, marked as a loss: its gradient is grad_scale (normalized) everywhere (MXNet's MakeLoss).
NDArray MakeLoss(const NDArray& data, const MakeLossOptions& options = {});
// data, through which no gradient flows (MXNet's BlockGrad; nd::stop_gradient outside symbols).
NDArray BlockGrad(const NDArray& data);

}  // namespace mx::nd
