#pragma once
// Choosing elements: where.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// x where `condition` is nonzero, else y; the three broadcast together (NumPy's where). x and y share a dtype;
// the condition may have any dtype.
NDArray where(const NDArray& condition, const NDArray& x, const NDArray& y);

}  // namespace mx::nd
