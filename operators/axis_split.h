#pragma once
// A shape seen around one axis: outer x extent x inner, the loop structure of every along-an-axis kernel
// (softmax, pick, take, argsort...). Private to operators/.
#include <cstdint>

#include <mx/ndarray/shape.h>

namespace mx::op {

struct AxisSplit {
  std::int64_t outer = 1, extent = 1, inner = 1;
};

inline AxisSplit split_at(const Shape& s, int axis) {
  AxisSplit split;
  for (int a = 0; a < s.ndim(); ++a) {
    if (a < axis) split.outer *= s[a];
    else if (a == axis) split.extent = s[a];
    else split.inner *= s[a];
  }
  return split;
}

}  // namespace mx::op
