#pragma once
// Running sums and products along an axis.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// out[..., i, ...] = x[..., 0, ...] + ... + x[..., i, ...] along `axis` (PyTorch's cumsum; NumPy's with an axis).
NDArray cumsum(const NDArray& x, int axis);
NDArray cumprod(const NDArray& x, int axis);

}  // namespace mx::nd
