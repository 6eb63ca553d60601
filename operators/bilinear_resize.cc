#include <mx/operators/bilinear_resize.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/symbolic.h>

namespace mx::nd::contrib {
namespace {

// The (out, in) matrix whose row o holds the two weights output o takes from its neighbouring inputs.
std::vector<double> interpolation(std::int64_t out, std::int64_t in, bool align_corners) {
  std::vector<double> m(static_cast<std::size_t>(out * in), 0.0);
  for (std::int64_t o = 0; o < out; ++o) {
    double at = 0;
    if (align_corners) {
      at = out > 1 ? static_cast<double>(o) * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0;
    } else {
      at = std::max(0.0, (static_cast<double>(o) + 0.5) * static_cast<double>(in) / static_cast<double>(out) - 0.5);
    }
    const auto low = std::min(static_cast<std::int64_t>(at), in - 1);
    const std::int64_t high = std::min(low + 1, in - 1);
    const double w = at - static_cast<double>(low);
    m[static_cast<std::size_t>(o * in + low)] += 1 - w;
    m[static_cast<std::size_t>(o * in + high)] += w;
  }
  return m;
}

}  // namespace

NDArray BilinearResize2D(const NDArray& data, std::int64_t height, std::int64_t width, bool align_corners) {
  if (data.ndim() != 4) throw ShapeError("BilinearResize2D: expects (N, C, H, W), got " + data.shape().str());
  if (height < 1 || width < 1) {
    throw Error("BilinearResize2D: height and width must be positive, got " + std::to_string(height) + " and " +
                std::to_string(width));
  }
  const std::int64_t n = data.shape()[0], c = data.shape()[1], h = data.shape()[2], w = data.shape()[3];
  if (h == 0 || w == 0) throw ShapeError("BilinearResize2D: cannot resize the empty image " + data.shape().str());
  // The interpolation matrices are dense: each at most 2^28 entries (2 GB of float64).
  constexpr std::int64_t kMaxEntries = std::int64_t{1} << 28;
  if (height > kMaxEntries / h || width > kMaxEntries / w) {
    throw Error("BilinearResize2D: " + data.shape().str() + " to " + std::to_string(height) + " x " +
                std::to_string(width) + " is too large");
  }
  op::Composite node("_contrib_BilinearResize2D", {data});
  const NDArray rows = nd::array(interpolation(height, h, align_corners), Shape{height, h}, data.context(), data.dtype());
  const NDArray cols = nd::array(interpolation(width, w, align_corners), Shape{width, w}, data.context(), data.dtype());
  // Along the width: (N C H, W) R_w^T; then along the height: R_h (H, N C width) after moving H first.
  const NDArray across = dot(data.reshape({n * c * h, w}), cols, false, true).reshape({n * c, h, width});
  const NDArray down = dot(rows, transpose(across, {1, 0, 2}).reshape({h, n * c * width}));
  NDArray out = transpose(down.reshape({height, n * c, width}), {1, 0, 2}).reshape({n, c, height, width});
  if (!node.active()) return out;
  return node.finish({{"height", op::attr_string(height)},
                      {"width", op::attr_string(width)},
                      {"align_corners", op::attr_string(align_corners)}},
                     out);
}

}  // namespace mx::nd::contrib
