#include <mx/operators/statistics.h>

#include <algorithm>
#include <cmath>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/invoke.h>
#include <mx/operators/reduce.h>
#include <mx/operators/select.h>

namespace mx::nd {
namespace {

struct HistogramParams {};

// Inputs (data, edges (bins + 1,)): counts (bins,) int64, by binary search of each finite value among the edges.
const op::Operator<HistogramParams> kHistogram = op::define<HistogramParams>({
    .name = "_histogram",
    .num_inputs = 2,
    .infer = [](const HistogramParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      if (in[1].shape.ndim() != 1 || in[1].shape[0] < 2) {
        throw ShapeError("histogram: the edges must be one axis of at least two, got " + in[1].shape.str());
      }
      out[0] = {Shape{in[1].shape[0] - 1}, DType::kInt64};
    },
    .cpu = [](const HistogramParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      std::vector<double> edges(static_cast<std::size_t>(in[1].size()));
      dispatch_dtype(in[1].dtype, [&](auto tag) {
        using T = decltype(tag);
        for (std::size_t i = 0; i < edges.size(); ++i) edges[i] = static_cast<double>(in[1].ptr<T>()[i]);
      });
      for (std::size_t i = 1; i < edges.size(); ++i) {
        if (!(edges[i] > edges[i - 1]) || !std::isfinite(edges[i]) || !std::isfinite(edges[0])) {
          throw Error("histogram: the bin edges must be finite and increase (a range from values that are all NaN or "
                      "include infinities is not)");
        }
      }
      std::int64_t* counts = out[0].ptr<std::int64_t>();
      std::fill(counts, counts + out[0].size(), std::int64_t{0});
      const auto last = static_cast<std::int64_t>(edges.size()) - 2;
      dispatch_dtype(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* x = in[0].ptr<T>();
        for (std::int64_t i = 0; i < in[0].size(); ++i) {
          const auto v = static_cast<double>(x[i]);
          if (!(v >= edges.front() && v <= edges.back())) continue;  // outside, or NaN
          const auto bin = std::upper_bound(edges.begin(), edges.end(), v) - edges.begin() - 1;
          ++counts[std::min<std::int64_t>(bin, last)];  // the last edge belongs to the last bin
        }
      });
    },
});

}  // namespace

Moments moments(const NDArray& x, std::vector<int> axes, bool keepdims) {
  const NDArray mean_kept = mean(x, axes, true);
  NDArray var = mean(square(x - mean_kept), axes, keepdims);
  return {keepdims ? mean_kept : mean_kept.reshape(var.shape()), var};  // the mean once, viewed without the axes
}

Histogram histogram(const NDArray& x, const NDArray& edges) { return {op::invoke1(kHistogram, {x, edges}, HistogramParams{}, x.context()), edges}; }

Histogram histogram(const NDArray& x, std::int64_t bins, std::optional<std::pair<double, double>> range) {
  if (bins < 1) throw Error("histogram: bins must be positive, got " + std::to_string(bins));
  const NDArray steps = linspace(0, 1, bins + 1, true, x.context(), x.dtype());
  if (range) {
    auto [low, high] = *range;
    if (!(low <= high)) throw Error("histogram: range must be (low, high) with low <= high");
    if (low == high) {
      low -= 0.5;
      high += 0.5;
    }
    return histogram(x, steps * high + (1.0 - steps) * low);  // both ends exact
  }
  // The range of the values but NaNs, computed where they are: no sync point.
  const NDArray number = equal(x, x);
  NDArray low = min(where(number, x, full_like(x, INFINITY))), high = max(where(number, x, full_like(x, -INFINITY)));
  const NDArray same = equal(low, high);
  low = low - same * 0.5;
  high = high + same * 0.5;
  return histogram(x, steps * high + (1.0 - steps) * low);
}

NDArray contrib::allclose(const NDArray& a, const NDArray& b, double rtol, double atol, bool equal_nan) {
  NDArray close = lesser_equal(abs(a - b), abs(b) * rtol + atol);
  if (equal_nan) close = logical_or(close, logical_and(not_equal(a, a), not_equal(b, b)));
  return min(close).astype(DType::kInt32);
}

}  // namespace mx::nd
