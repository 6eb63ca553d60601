#pragma once
// MXNet's slice: a strided window of every axis, as Python's x[b0:e0:s0, b1:e1:s1, ...].
#include <cstdint>
#include <optional>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// One bound per leading axis (axes past the lists are taken whole). An empty optional is Python's None: the
// start (or, for a negative step, the end) of the axis. Negative bounds count from the end and are clipped into
// range as Python's are; a step of 0 is an error. A copy; its gradient scatters back into zeros.
using SliceBound = std::optional<std::int64_t>;
NDArray slice(const NDArray& x, const std::vector<SliceBound>& begin, const std::vector<SliceBound>& end,
              const std::vector<SliceBound>& step = {});

}  // namespace mx::nd
