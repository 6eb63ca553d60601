#pragma once
// Taking elements by index: take (with its scatter-add gradient), Embedding and sequence_mask.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

enum class IndexMode { kClip, kWrap };

// The slices of `a` along `axis` at `indices` (any shape, float or integer values): shape a.shape[:axis] +
// indices.shape + a.shape[axis + 1:]. Out-of-range indices are clipped into range or wrapped around.
NDArray take(const NDArray& a, const NDArray& indices, int axis = 0, IndexMode mode = IndexMode::kClip);

// Rows of `weight` (input_dim, output_dim) at the indices in `data` (MXNet's Embedding): take along axis 0.
NDArray Embedding(const NDArray& data, const NDArray& weight);

// data (max_length, batch, ...) (or (batch, max_length, ...) with axis 1) with every position at or beyond its
// sequence's length set to `value` (MXNet's SequenceMask).
NDArray sequence_mask(const NDArray& data, const NDArray& sequence_length, double value = 0, int axis = 0);

}  // namespace mx::nd
