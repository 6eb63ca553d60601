#pragma once
// Checks shared by the sparse operators, made at the call. Private to sparse/.
#include <string>

#include <mx/ndarray/ndarray.h>
#include <mx/sparse/sparse_chunk.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::detail::sparse {

inline void check_sparse_operand(const char* op, const SparseNDArray& a, const char* what) {
  if (a.is_none()) throw Error(std::string(op) + ": " + what + " is an empty handle");
  check_usable(op, a.context());
}

// A dense operand beside a sparse one: on the CPU, of the sparse one's dtype, with `ndim` axes.
inline void check_dense_operand(const char* op, const NDArray& dense, const SparseNDArray& sparse, int ndim,
                                const char* what) {
  if (dense.is_none()) throw Error(std::string(op) + ": " + what + " is an empty handle");
  check_usable(op, dense.context());
  if (dense.dtype() != sparse.dtype()) {
    throw DTypeError(std::string(op) + ": " + what + " is " + dtype_name(dense.dtype()) +
                     " but the sparse operand is " + dtype_name(sparse.dtype()));
  }
  if (ndim > 0 && dense.ndim() != ndim) {
    throw ShapeError(std::string(op) + ": " + what + " must be " + std::to_string(ndim) + "-D, got " +
                     dense.shape().str());
  }
}

inline void check_same_layout(const char* op, const SparseNDArray& a, const SparseNDArray& b) {
  if (a.shape() != b.shape()) {
    throw ShapeError(std::string(op) + ": shapes " + a.shape().str() + " and " + b.shape().str() + " differ");
  }
  if (a.dtype() != b.dtype()) {
    throw DTypeError(std::string(op) + ": dtypes " + std::string(dtype_name(a.dtype())) + " and " +
                     dtype_name(b.dtype()) + " differ");
  }
}

// The values in one stored row of a row-sparse array of this shape (1 for a 1-D array).
inline std::int64_t row_size(const Shape& shape) {
  std::int64_t size = 1;
  for (int axis = 1; axis < shape.ndim(); ++axis) size *= shape[axis];
  return size;
}

}  // namespace mx::detail::sparse
