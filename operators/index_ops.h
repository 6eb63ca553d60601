#pragma once
// MXNet's index arithmetic and copies by index, composed of recorded operators (so they run on any device and,
// where they pass values through, differentiate): ravel_multi_index, unravel_index, contrib.index_copy and
// contrib.index_array.
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// data (ndim, N...) index tuples into an array of `shape` (row-major): their flat indices (N...), in data's dtype.
NDArray ravel_multi_index(const NDArray& data, const Shape& shape);
// The inverse: flat indices (N...) into `shape` as tuples (ndim, N...), in the indices' dtype.
NDArray unravel_index(const NDArray& indices, const Shape& shape);

namespace contrib {
// old (N, ...) with row index[k] replaced by new_rows[k] (K, ...) for each k of index (K,) (distinct rows; float
// or integer values). Differentiable in old and new_rows.
NDArray index_copy(const NDArray& old, const NDArray& index, const NDArray& new_rows);
// Every element's position along `axes` (all when empty): shape x.shape + (len(axes),), int64.
NDArray index_array(const NDArray& x, std::vector<int> axes = {});
}  // namespace contrib

}  // namespace mx::nd
