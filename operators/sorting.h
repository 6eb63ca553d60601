#pragma once
// Sorting along an axis: sort, argsort, topk, and take_along_axis (PyTorch's gather), which they are built on.
#include <cstdint>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// The indices that sort x along `axis` (stable; ties keep their order), as float32 (MXNet's default).
NDArray argsort(const NDArray& x, int axis = -1, bool is_ascend = true);
// x sorted along `axis`.
NDArray sort(const NDArray& x, int axis = -1, bool is_ascend = true);

enum class TopkReturn { kIndices, kValue, kBoth, kMask };
// The k largest (or, with is_ascend, smallest) along `axis`: their indices, their values, both (values then
// indices), or a mask of x's shape with 1 where they are.
std::vector<NDArray> topk(const NDArray& x, int axis = -1, std::int64_t k = 1, TopkReturn ret = TopkReturn::kIndices,
                          bool is_ascend = false);

// out[..., i, ...] = x[..., indices[..., i, ...], ...] along `axis`: indices has x's shape except along `axis`.
NDArray take_along_axis(const NDArray& x, const NDArray& indices, int axis);

}  // namespace mx::nd
