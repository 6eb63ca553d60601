#pragma once
// Operators of the training path: clip, one_hot, pick, softmax, log_softmax, softmax_cross_entropy, SoftmaxOutput,
// smooth_l1.
#include <cstdint>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// Values limited to [a_min, a_max].
NDArray clip(const NDArray& x, double a_min, double a_max);
// indices (any shape) to indices.shape + (depth,): on_value at each index, off_value elsewhere; indices outside
// [0, depth) give a row of off_value, as MXNet's.
NDArray one_hot(const NDArray& indices, std::int64_t depth, double on_value = 1, double off_value = 0,
                DType dtype = DType::kFloat32);
// data[..., index[...], ...] along `axis`: index has data's shape without that axis (or with it of extent 1 when
// keepdims). Indices are clipped into range, as MXNet's default mode.
NDArray pick(const NDArray& data, const NDArray& index, int axis = -1, bool keepdims = false);
// With a temperature t, softmax(x / t).
NDArray softmax(const NDArray& x, int axis = -1, double temperature = 1);
NDArray log_softmax(const NDArray& x, int axis = -1);
// softmax(-x / t): MXNet's softmin.
NDArray softmin(const NDArray& x, int axis = -1, double temperature = 1);
// The cross-entropy of softmax(data) (batch, classes) against integer class labels (batch): summed, shape (1,)
// (MXNet's), or one value per row, shape (batch,) (what Gluon's SoftmaxCrossEntropyLoss computes, fused).
NDArray softmax_cross_entropy(const NDArray& data, const NDArray& label, bool per_sample = false);


struct SoftmaxOutputOptions {
  double grad_scale = 1;
  bool normalize_by_batch = false;  // MXNet's normalization="batch": the gradient divided by the batch size
};
// softmax(data) over the last axis; its gradient, whatever the head gradient, is
// (softmax(data) - one_hot(label)) * grad_scale (MXNet's SoftmaxOutput, the loss layer of symbolic networks).
NDArray SoftmaxOutput(const NDArray& data, const NDArray& label, const SoftmaxOutputOptions& options = {});
// 0.5 (sigma x)^2 where |x| < 1 / sigma^2, else |x| - 0.5 / sigma^2 (MXNet's smooth_l1; its scalar is sigma).
NDArray smooth_l1(const NDArray& x, double sigma = 1);

}  // namespace mx::nd
