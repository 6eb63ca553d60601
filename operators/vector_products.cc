// outer, addr and cross, built from elementwise operators and slices, which also gives their gradients.
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/vector_products.h>

namespace mx::nd {

NDArray outer(const NDArray& u, const NDArray& v) {
  if (u.ndim() != 1 || v.ndim() != 1) {
    throw ShapeError("outer: takes two vectors, got " + u.shape().str() + " and " + v.shape().str());
  }
  return u.reshape({u.size(), 1}) * v.reshape({1, v.size()});
}

NDArray addr(const NDArray& m, const NDArray& u, const NDArray& v, double beta, double alpha) {
  if (u.ndim() != 1 || v.ndim() != 1) {
    throw ShapeError("addr: takes two vectors, got " + u.shape().str() + " and " + v.shape().str());
  }
  const Shape target{u.size(), v.size()};
  bool fits = m.ndim() <= 2;
  for (int a = 0; fits && a < m.ndim(); ++a) {
    const std::int64_t extent = m.shape()[a];
    fits = extent == 1 || extent == target[2 - m.ndim() + a];
  }
  if (!fits) throw ShapeError("addr: m " + m.shape().str() + " does not broadcast to the outer product's " + target.str());
  NDArray product = outer(u, v);
  if (alpha != 1) product = product * alpha;
  if (beta == 0) return product;  // PyTorch ignores m then, NaNs included
  return (beta == 1 ? m : m * beta) + product;
}

NDArray cross(const NDArray& a, const NDArray& b, int axis) {
  const int ndim = std::max(a.ndim(), b.ndim());
  const int axis_a = normalize_axis(axis, a.ndim(), "cross"), axis_b = normalize_axis(axis, b.ndim(), "cross");
  if (a.shape()[axis_a] != 3 || b.shape()[axis_b] != 3) {
    throw ShapeError("cross: axis " + std::to_string(axis) + " must have extent 3 in both, got " + a.shape().str() +
                     " and " + b.shape().str());
  }
  if (axis >= 0 && a.ndim() != b.ndim()) {
    throw ShapeError("cross: a nonnegative axis needs operands of one rank, got " + a.shape().str() + " and " +
                     b.shape().str() + "; count the axis from the end");
  }
  auto part = [](const NDArray& x, int at, int i) { return slice_axis(x, at, i, i + 1); };
  auto component = [&](int i, int j) { return part(a, axis_a, i) * part(b, axis_b, j) - part(a, axis_a, j) * part(b, axis_b, i); };
  const int out_axis = axis < 0 ? axis + ndim : axis;
  return concat({component(1, 2), component(2, 0), component(0, 1)}, out_axis);
}

NDArray khatri_rao(const std::vector<NDArray>& matrices) {
  if (matrices.empty()) throw Error("khatri_rao: no matrices given");
  const std::int64_t columns = matrices.front().ndim() == 2 ? matrices.front().shape()[1] : -1;
  for (const NDArray& m : matrices) {
    if (m.ndim() != 2 || m.shape()[1] != columns) {
      throw ShapeError("khatri_rao: the matrices must be 2-D with as many columns as the first (" +
                       matrices.front().shape().str() + "), got " + m.shape().str());
    }
  }
  NDArray out = matrices.front();
  for (std::size_t i = 1; i < matrices.size(); ++i) {
    const NDArray& next = matrices[i];
    out = (out.reshape({out.shape()[0], 1, columns}) * next.reshape({1, next.shape()[0], columns}))
              .reshape({out.shape()[0] * next.shape()[0], columns});
  }
  return out;
}

}  // namespace mx::nd
