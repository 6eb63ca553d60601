#pragma once
// MXNet's gather_nd and scatter_nd: elements (or slices) addressed by index tuples.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// indices has shape (M, Y...): column y is an index tuple into the first M axes of `data` (X0, ..., Xn-1). The
// result, of shape (Y..., XM, ..., Xn-1), holds data[indices[:, y]] at y. Negative indices count from the end;
// one out of range is an mx::IndexError at the next sync point. PyTorch's gather(x, dim, index) is this with
// the index tuples spelled out.
NDArray gather_nd(const NDArray& data, const NDArray& indices);

// The converse: an array of `shape`, zeros except data[y] written at indices[:, y]. data has shape
// (Y..., shape[M:]). Where tuples repeat, the last one written wins (and the gradient assumes they do not).
NDArray scatter_nd(const NDArray& data, const NDArray& indices, const Shape& shape);

}  // namespace mx::nd
