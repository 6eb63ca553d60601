#pragma once
// Arranging arrays: squeeze, swapaxes, stack, reshape_like, broadcast_like, tile, repeat, flip, pad, diag, tril
// and triu. Most are built from views, broadcast_to, concat and masks, so that autograd differentiates them.
#include <cstdint>
#include <optional>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// Removes the axes of extent 1 (`axis` empty: all of them). A view.
NDArray squeeze(const NDArray& x, std::vector<int> axis = {});
// Exchanges two axes (a copy, as transpose).
NDArray swapaxes(const NDArray& x, int axis1, int axis2);
// Joins arrays of one shape along a new axis.
NDArray stack(const std::vector<NDArray>& arrays, int axis = 0);
// x with the shape of `like` (a view; sizes must agree).
NDArray reshape_like(const NDArray& x, const NDArray& like);
// x broadcast to the shape of `like`.
NDArray broadcast_like(const NDArray& x, const NDArray& like);
// x repeated `reps` times along each axis (NumPy's tile: missing leading reps count as 1, and x gains leading
// axes when reps has more).
NDArray tile(const NDArray& x, std::vector<std::int64_t> reps);
// Each element repeated `repeats` times along `axis`; without an axis, x is flattened first (NumPy's repeat).
NDArray repeat(const NDArray& x, std::int64_t repeats, std::optional<int> axis = std::nullopt);
// x reversed along `axis`.
NDArray flip(const NDArray& x, int axis);

enum class PadMode { kConstant, kEdge, kReflect };
// Pads each axis by pad_width[2a] before and pad_width[2a + 1] after (MXNet's flat pad_width), with
// `constant_value`, the edge values, or the values mirrored about the edge (NumPy's reflect).
NDArray pad(const NDArray& x, const std::vector<std::int64_t>& pad_width, PadMode mode = PadMode::kConstant,
            double constant_value = 0);

// A 2-D array's k-th diagonal (k > 0 above the main one), or the square matrix with a 1-D array on it.
NDArray diag(const NDArray& x, int k = 0);
// MXNet's depth_to_space: (N, C, H, W) to (N, C / b^2, H b, W b), channel blocks laid out over b x b pixels
// (TensorFlow's DCR order); space_to_depth is its inverse.
NDArray depth_to_space(const NDArray& x, std::int64_t block_size);
NDArray space_to_depth(const NDArray& x, std::int64_t block_size);
// The lower (tril) or upper (triu) triangle of the last two axes from diagonal k, zeros elsewhere.
NDArray tril(const NDArray& x, int k = 0);
NDArray triu(const NDArray& x, int k = 0);

}  // namespace mx::nd
