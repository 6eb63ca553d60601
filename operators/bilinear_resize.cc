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

// The (out, in) matrix whose row o averages inputs floor(o in / out) .. ceil((o + 1) in / out) - 1.
std::vector<double> averaging(std::int64_t out, std::int64_t in) {
  std::vector<double> m(static_cast<std::size_t>(out * in), 0.0);
  for (std::int64_t o = 0; o < out; ++o) {
    const std::int64_t begin = o * in / out, end = ((o + 1) * in + out - 1) / out;
    for (std::int64_t i = begin; i < end; ++i) m[static_cast<std::size_t>(o * in + i)] = 1.0 / static_cast<double>(end - begin);
  }
  return m;
}

// R_h X R_w^T for every image and channel of data (N, C, H, W): rows (OH, H), cols (OW, W).
NDArray separable(const NDArray& data, const std::vector<double>& rows, const std::vector<double>& cols, std::int64_t height,
                  std::int64_t width) {
  const std::int64_t n = data.shape()[0], c = data.shape()[1], h = data.shape()[2], w = data.shape()[3];
  const NDArray r = nd::array(rows, Shape{height, h}, data.context(), data.dtype());
  const NDArray q = nd::array(cols, Shape{width, w}, data.context(), data.dtype());
  // Along the width: (N C H, W) R_w^T; then along the height: R_h (H, N C width) after moving H first.
  const NDArray across = dot(data.reshape({n * c * h, w}), q, false, true).reshape({n * c, h, width});
  const NDArray down = dot(r, transpose(across, {1, 0, 2}).reshape({h, n * c * width}));
  return transpose(down.reshape({height, n * c, width}), {1, 0, 2}).reshape({n, c, height, width});
}

}  // namespace

NDArray BilinearResize2D(const NDArray& data, std::int64_t height, std::int64_t width, bool align_corners) {
  if (data.ndim() != 4) throw ShapeError("BilinearResize2D: expects (N, C, H, W), got " + data.shape().str());
  if (height < 1 || width < 1) {
    throw Error("BilinearResize2D: height and width must be positive, got " + std::to_string(height) + " and " +
                std::to_string(width));
  }
  const std::int64_t h = data.shape()[2], w = data.shape()[3];
  if (h == 0 || w == 0) throw ShapeError("BilinearResize2D: cannot resize the empty image " + data.shape().str());
  // The interpolation matrices are dense: each at most 2^28 entries (2 GB of float64).
  constexpr std::int64_t kMaxEntries = std::int64_t{1} << 28;
  if (height > kMaxEntries / h || width > kMaxEntries / w) {
    throw Error("BilinearResize2D: " + data.shape().str() + " to " + std::to_string(height) + " x " +
                std::to_string(width) + " is too large");
  }
  op::Composite node("_contrib_BilinearResize2D", {data});
  NDArray out = separable(data, interpolation(height, h, align_corners), interpolation(width, w, align_corners), height, width);
  if (!node.active()) return out;
  return node.finish({{"height", op::attr_string(height)},
                      {"width", op::attr_string(width)},
                      {"align_corners", op::attr_string(align_corners)}},
                     out);
}

NDArray AdaptiveAvgPooling2D(const NDArray& data, std::vector<std::int64_t> output_size) {
  if (data.ndim() != 4) throw ShapeError("AdaptiveAvgPooling2D: expects (N, C, H, W), got " + data.shape().str());
  if (output_size.empty()) output_size = {1, 1};
  if (output_size.size() == 1) output_size.push_back(output_size[0]);
  if (output_size.size() != 2 || output_size[0] < 1 || output_size[1] < 1) {
    throw Error("AdaptiveAvgPooling2D: output_size must be one or two positive extents, got " + op::attr_string(output_size));
  }
  const std::int64_t h = data.shape()[2], w = data.shape()[3], height = output_size[0], width = output_size[1];
  if (h == 0 || w == 0) throw ShapeError("AdaptiveAvgPooling2D: cannot pool the empty image " + data.shape().str());
  constexpr std::int64_t kMaxEntries = std::int64_t{1} << 28;
  if (height > kMaxEntries / h || width > kMaxEntries / w) {
    throw Error("AdaptiveAvgPooling2D: " + data.shape().str() + " to " + std::to_string(height) + " x " +
                std::to_string(width) + " is too large");
  }
  op::Composite node("_contrib_AdaptiveAvgPooling2D", {data});
  NDArray out = separable(data, averaging(height, h), averaging(width, w), height, width);
  if (!node.active()) return out;
  return node.finish({{"output_size", op::attr_string(output_size)}}, out);
}

}  // namespace mx::nd::contrib
