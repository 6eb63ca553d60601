#pragma once
// Creating arrays: from host values, filled with a constant, ranges. float32 on cpu(0) unless told otherwise.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

NDArray empty(const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
NDArray zeros(const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
NDArray ones(const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
NDArray full(const Shape& shape, double value, Context ctx = current_context(), DType dtype = DType::kFloat32);
NDArray zeros_like(const NDArray& like);
NDArray ones_like(const NDArray& like);
NDArray full_like(const NDArray& like, double value);
// Writes `value` into every element of `out`, in place (MXNet's out[:] = value).
void fill(NDArray& out, double value);

// [start, stop) in steps of `step`, each value repeated `repeat` times, as MXNet's arange. With one bound, it is
// the stop: arange(5) is 0..4.
NDArray arange(double start, std::optional<double> stop = std::nullopt, double step = 1, int repeat = 1,
               Context ctx = current_context(), DType dtype = DType::kFloat32);

// The identity-like N x M matrix with ones on diagonal k (M = N when 0).
NDArray eye(std::int64_t n, std::int64_t m = 0, int k = 0, Context ctx = current_context(), DType dtype = DType::kFloat32);
// `num` values evenly spaced from start to stop (stop included when `endpoint`).
NDArray linspace(double start, double stop, std::int64_t num, bool endpoint = true, Context ctx = current_context(),
                 DType dtype = DType::kFloat32);

// An array holding `values` (converted to `dtype`), shaped `shape` (one axis when not given). Throws
// mx::ShapeError when the shape holds a different number of values.
NDArray array(std::span<const double> values, std::optional<Shape> shape = std::nullopt, Context ctx = current_context(),
              DType dtype = DType::kFloat32);
inline NDArray array(std::initializer_list<double> values, std::optional<Shape> shape = std::nullopt,
                     Context ctx = current_context(), DType dtype = DType::kFloat32) {
  return array(std::span(values.begin(), values.size()), std::move(shape), ctx, dtype);
}
// Typed host data keeps its dtype: array(std::vector<int32_t>{...}) is int32.
template <class T>
NDArray array(const std::vector<T>& values, std::optional<Shape> shape = std::nullopt, Context ctx = current_context()) {
  NDArray out(shape.value_or(Shape{static_cast<std::int64_t>(values.size())}), ctx, dtype_of<T>());
  out.copy_from_host(values.data(), dtype_of<T>(), values.size());
  return out;
}

// x's shape (ndim,) and its number of elements (1,), int64 (MXNet's shape_array and size_array).
NDArray shape_array(const NDArray& x);
NDArray size_array(const NDArray& x);

namespace contrib {
// start, start + step, ... each repeated `repeat` times, shaped as x (or (x.shape[axis],) along one axis), in x's
// dtype and on its context (MXNet's contrib.arange_like).
NDArray arange_like(const NDArray& x, double start = 0, double step = 1, int repeat = 1, std::optional<int> axis = std::nullopt);
}  // namespace contrib

}  // namespace mx::nd
