#pragma once
// What the detection operators' sources share (boxes.cc, regions.cc, multibox.cc): box formats, overlaps and the
// floating-point dispatch. Private to operators/.
#include <algorithm>
#include <array>
#include <string>
#include <type_traits>

#include <mx/ndarray/dtype.h>
#include <mx/ndarray/error.h>

namespace mx::nd::contrib::detail {

inline void check_format(const char* op, const std::string& format) {
  if (format != "corner" && format != "center") {
    throw Error(std::string(op) + ": format must be \"corner\" or \"center\", got \"" + format + "\"");
  }
}

// (xmin, ymin, xmax, ymax) from (x, y, width, height), and back.
template <class T>
std::array<double, 4> corners_of(const T* c) {
  const double x = c[0], y = c[1], w = c[2], h = c[3];
  return {x - w / 2, y - h / 2, x + w / 2, y + h / 2};
}
template <class T>
std::array<double, 4> center_of(const T* b) {
  const double x0 = b[0], y0 = b[1], x1 = b[2], y1 = b[3];
  return {(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0};
}

// Intersection over union of two boxes given as corners (or centres with `center`); 0 for an empty union.
inline double iou_of(const double* a, const double* b, bool center) {
  const std::array<double, 4> x = center ? corners_of(a) : std::array<double, 4>{a[0], a[1], a[2], a[3]};
  const std::array<double, 4> y = center ? corners_of(b) : std::array<double, 4>{b[0], b[1], b[2], b[3]};
  const double w = std::max(0.0, std::min(x[2], y[2]) - std::max(x[0], y[0]));
  const double h = std::max(0.0, std::min(x[3], y[3]) - std::max(x[1], y[1]));
  const double inter = w * h, uni = (x[2] - x[0]) * (x[3] - x[1]) + (y[2] - y[0]) * (y[3] - y[1]) - inter;
  return uni > 0 ? inter / uni : 0;
}

// The kernels over float32 and float64 (the dtypes the operators' inference admits).
template <class Fn>
void dispatch_float(DType dtype, Fn&& fn) {
  dispatch_dtype(dtype, [&](auto tag) {
    if constexpr (std::is_floating_point_v<decltype(tag)>) fn(tag);
  });
}

}  // namespace mx::nd::contrib::detail
