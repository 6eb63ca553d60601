#pragma once
// Copies and conversions between dtypes and contexts.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// A new array with the same values on the same context.
NDArray copy(const NDArray& x);
// The values converted to `dtype` as NumPy's astype converts them (MXNet's Cast).
NDArray astype(const NDArray& x, DType dtype);
// Writes x's values into `out`, which may be on another context and must have x's shape; converts dtypes.
void copyto(const NDArray& x, NDArray& out);
// x itself when it already lives on `ctx`, else a copy there.
NDArray as_in_context(const NDArray& x, Context ctx);

}  // namespace mx::nd
