#pragma once
// Taking elements by index: take (MXNet's, the Embedding lookup) and its scatter-add gradient.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

enum class IndexMode { kClip, kWrap };

// The slices of `a` along `axis` at `indices` (any shape, float or integer values): shape a.shape[:axis] +
// indices.shape + a.shape[axis + 1:]. Out-of-range indices are clipped into range or wrapped around.
NDArray take(const NDArray& a, const NDArray& indices, int axis = 0, IndexMode mode = IndexMode::kClip);

}  // namespace mx::nd
