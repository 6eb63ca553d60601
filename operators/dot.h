#pragma once
// Matrix products on OpenBLAS: dot, batch_dot and the fully connected layer.
#include <optional>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// MXNet's dot: a of shape (..., k) times b of shape (k, ...) gives a.shape[:-1] + b.shape[1:]; two vectors give
// shape (1,). The transpose flags apply to 2-D operands. Floating dtypes only.
NDArray dot(const NDArray& a, const NDArray& b, bool transpose_a = false, bool transpose_b = false);
// (B, m, k) times (B, k, n) gives (B, m, n); the flags transpose each matrix of the batch.
NDArray batch_dot(const NDArray& a, const NDArray& b, bool transpose_a = false, bool transpose_b = false);

// MXNet's FullyConnected: data (N, ...) flattened to (N, k) (or, with flatten false, (..., k)) times weight
// (num_hidden, k) transposed, plus bias (num_hidden) when given. Output (N, num_hidden) or (..., num_hidden).
NDArray FullyConnected(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                       int num_hidden, bool flatten = true);

}  // namespace mx::nd
