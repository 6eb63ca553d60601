#pragma once
// Rearranging arrays: transpose, expand_dims, flatten, concat, split, split_v2, slice_axis, broadcast_to.
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// Permutes the axes (reverses them when `axes` is empty). A copy.
NDArray transpose(const NDArray& x, std::vector<int> axes = {});
// A new axis of extent 1 at `axis` (0..ndim; negative counts from the end). A view sharing x's storage.
NDArray expand_dims(const NDArray& x, int axis);
// (N, a, b, ...) as (N, a*b*...). A view sharing x's storage.
NDArray flatten(const NDArray& x);
// Joins arrays along `dim`; every other extent must match.
NDArray concat(const std::vector<NDArray>& arrays, int dim = 1);
// Cuts x into `num_outputs` equal parts along `axis`; with squeeze_axis, that axis (then of extent 1) is removed.
std::vector<NDArray> split(const NDArray& x, int num_outputs, int axis = 1, bool squeeze_axis = false);
// MXNet's split_v2 with indices: cuts x along `axis` before each of `indices` (increasing, within the axis):
// indices {2, 5} give [0, 2), [2, 5) and [5, end). Parts may differ in extent; squeeze_axis as for split.
std::vector<NDArray> split_v2(const NDArray& x, const std::vector<std::int64_t>& indices, int axis = 0,
                              bool squeeze_axis = false);
// [begin, end) along `axis` (negative indices count from the end). A copy.
NDArray slice_axis(const NDArray& x, int axis, std::int64_t begin, std::int64_t end);
// x stretched to `shape` by NumPy's broadcasting rules (x itself when it has that shape already).
NDArray broadcast_to(const NDArray& x, const Shape& shape);

}  // namespace mx::nd
