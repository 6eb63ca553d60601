#include <mx/operators/index_ops.h>

#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/gather_scatter.h>
#include <mx/operators/layout.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd {
namespace {

// Row-major strides of `shape`, each shaped to broadcast along the first axis of (ndim, N...) index tuples.
NDArray strides_column(const Shape& shape, int trailing_axes, Context ctx, DType dtype) {
  std::vector<double> strides(static_cast<std::size_t>(shape.ndim()));
  double stride = 1;
  for (int a = shape.ndim() - 1; a >= 0; --a) {
    strides[static_cast<std::size_t>(a)] = stride;
    stride *= static_cast<double>(shape[a]);
  }
  std::vector<std::int64_t> dims(static_cast<std::size_t>(trailing_axes + 1), 1);
  dims[0] = shape.ndim();
  return array(std::span<const double>(strides), Shape(dims), ctx, dtype);
}

void check_index_shape(const char* op, const Shape& shape) {
  if (shape.ndim() == 0) throw ShapeError(std::string(op) + ": shape must have at least one axis");
  for (std::int64_t d : shape) {
    if (d < 1) throw ShapeError(std::string(op) + ": shape " + shape.str() + " must have positive extents");
  }
}

}  // namespace

NDArray ravel_multi_index(const NDArray& data, const Shape& shape) {
  check_index_shape("ravel_multi_index", shape);
  if (data.ndim() < 1 || data.shape()[0] != shape.ndim()) {
    throw ShapeError("ravel_multi_index: data must be (" + std::to_string(shape.ndim()) + ", N...) index tuples into " +
                     shape.str() + ", got " + data.shape().str());
  }
  return sum(data * strides_column(shape, data.ndim() - 1, data.context(), data.dtype()), {0});
}

NDArray unravel_index(const NDArray& indices, const Shape& shape) {
  check_index_shape("unravel_index", shape);
  const NDArray strides = strides_column(shape, indices.ndim(), indices.context(), indices.dtype());
  std::vector<double> extents(shape.begin(), shape.end());
  std::vector<std::int64_t> dims(static_cast<std::size_t>(indices.ndim() + 1), 1);
  dims[0] = shape.ndim();
  const NDArray extent = array(std::span<const double>(extents), Shape(dims), indices.context(), indices.dtype());
  const NDArray quotient = expand_dims(indices, 0) / strides;  // integer dtypes divide to whole numbers already
  return modulo(is_floating(indices.dtype()) ? floor(quotient) : quotient, extent);
}

NDArray contrib::index_copy(const NDArray& old, const NDArray& index, const NDArray& new_rows) {
  if (old.ndim() < 1 || index.ndim() != 1 || new_rows.ndim() != old.ndim() || new_rows.shape()[0] != index.shape()[0]) {
    throw ShapeError("index_copy: old (N, ...), index (K,) and new (K, ...) do not fit: " + old.shape().str() + ", " +
                     index.shape().str() + ", " + new_rows.shape().str());
  }
  for (int a = 1; a < old.ndim(); ++a) {
    if (new_rows.shape()[a] != old.shape()[a]) {
      throw ShapeError("index_copy: new rows " + new_rows.shape().str() + " differ from old's rows " + old.shape().str());
    }
  }
  const NDArray tuples = index.reshape({1, index.shape()[0]});
  const NDArray placed = scatter_nd(new_rows, tuples, old.shape());
  std::vector<std::int64_t> row_shape(static_cast<std::size_t>(old.ndim()), 1);
  row_shape[0] = old.shape()[0];
  const NDArray replaced = scatter_nd(ones({index.shape()[0]}, old.context(), old.dtype()), tuples, Shape{old.shape()[0]})
                               .reshape(Shape(row_shape));
  return old * (1.0 - replaced) + placed;
}

NDArray contrib::index_array(const NDArray& x, std::vector<int> axes) {
  if (axes.empty()) {
    for (int a = 0; a < x.ndim(); ++a) axes.push_back(a);
  }
  std::vector<NDArray> positions;
  for (int axis : axes) {
    const int a = normalize_axis(axis, x.ndim(), "index_array");
    std::vector<std::int64_t> along(static_cast<std::size_t>(x.ndim()), 1);
    along[static_cast<std::size_t>(a)] = x.shape()[a];
    const NDArray range = arange(0, static_cast<double>(x.shape()[a]), 1, 1, x.context(), DType::kInt64);
    positions.push_back(broadcast_to(range.reshape(Shape(along)), x.shape()));
  }
  return stack(positions, x.ndim());
}

}  // namespace mx::nd
