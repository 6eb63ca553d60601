#pragma once
// Summaries of an array's values, as MXNet's moments, histogram and contrib.allclose.
#include <optional>
#include <utility>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// The mean and (population) variance over `axes` (all when empty), MXNet's moments. Differentiable.
struct Moments {
  NDArray mean, var;
};
Moments moments(const NDArray& x, std::vector<int> axes = {}, bool keepdims = false);

// NumPy's histogram, as MXNet's: counts (bins,) int64 of x's values in `bins` equal bins over `range` (x's
// minimum and maximum when unset; a range of one value widened by 0.5 each way), and the bin edges (bins + 1,)
// in x's dtype. Each bin holds [edge, next edge), the last one its right edge too; values outside the range and
// NaNs are not counted. The second form takes the edges themselves (increasing). Not differentiable; CPU only.
struct Histogram {
  NDArray counts, edges;
};
Histogram histogram(const NDArray& x, std::int64_t bins = 10, std::optional<std::pair<double, double>> range = std::nullopt);
Histogram histogram(const NDArray& x, const NDArray& edges);

namespace contrib {
// Whether every |a - b| <= atol + rtol |b| (NaNs equal to NaNs with equal_nan), broadcasting: a 0-d int32 array
// holding 1 or 0 (MXNet's contrib.allclose).
NDArray allclose(const NDArray& a, const NDArray& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = true);
}  // namespace contrib

}  // namespace mx::nd
