#pragma once
// Checks shared by the sparse operators, made at the call. Private to sparse/.
#include <memory>
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

// A new chunk with `a`'s structure and fn(value) for each stored value (fn takes and returns the value type;
// float results round to it).
template <class Fn>
std::shared_ptr<SparseChunk> map_stored(const char* op, const SparseNDArray& a, Fn fn) {
  check_sparse_operand(op, a, "the operand");
  auto out = std::make_shared<SparseChunk>(a.context(), a.dtype());
  push(op, out->ctx, {a.var()}, {out->var}, [src = a.chunk(), out, fn, op] {
    out->indices = src->indices;
    out->indptr = src->indptr;
    out->values = src->values;
    dispatch_values(out->dtype, op, [&](auto tag) {
      using T = decltype(tag);
      T* values = out->values_as<T>();
      for (std::size_t k = 0; k < out->value_count(); ++k) values[k] = static_cast<T>(fn(values[k]));
    });
  });
  return out;
}

}  // namespace mx::detail::sparse
