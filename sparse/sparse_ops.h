#pragma once
// Operators on sparse arrays, as MXNet's mx.nd.sparse: products with a CSR operand and the sums that keep row
// sparse gradients sparse. Each returns at once and runs on the engine; shapes and dtypes are checked at the call
// (mx::ShapeError / mx::DTypeError naming the operator and the shapes). Operands share one dtype and context.
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::nd::sparse {

// lhs (M, K) csr times rhs (K, N) dense: (M, N) dense. With transpose_a, lhs^T (K, M) times rhs (M, N): (K, N).
// Recorded by autograd for rhs: d rhs = lhs^T . d out (with transpose_a: lhs . d out); for an rhs whose
// gradient is kept row sparse, lhs^T . d out is given as the rows of lhs's columns (dot_row_sparse).
NDArray dot(const CSRNDArray& lhs, const NDArray& rhs, bool transpose_a = false);
// lhs^T (K, M) times rhs (M, N) as row sparse (K, N): only the rows of the columns lhs stores (MXNet's
// dot(csr, dense, transpose_a=True) whose output stype is row_sparse). The gradient of an embedding-like weight.
RowSparseNDArray dot_row_sparse(const CSRNDArray& lhs, const NDArray& rhs);
// lhs (M, K) dense times rhs (K, N) csr: (M, N) dense; with transpose_b, lhs (M, N) times rhs^T (N, K): (M, K).
// Recorded for lhs: d lhs = d out . rhs^T (with transpose_b: d out . rhs).
NDArray dot(const NDArray& lhs, const CSRNDArray& rhs, bool transpose_b = false);

// The row-sparse array whose row r is the sum of values[k] over every k with rows[k] == r: the gradient of
// taking rows of a table (an embedding). rows: (K,) integers, clipped into [0, shape[0]) as take clips them;
// values: (K, shape[1:]...).
RowSparseNDArray row_sparse_sum_rows(const NDArray& values, const NDArray& rows, const Shape& shape);
// The rows `rows` (integers, repeats allowed) of a dense array as a row-sparse array: MXNet's row_sparse_pull of
// the rows a batch needs. A row out of range is an error at the next sync point on the result.
RowSparseNDArray retain_rows(const NDArray& dense, const NDArray& rows);
// Overwrites `dst`'s values with `src`'s, keeping the handle (a gradient buffer). Shapes and dtypes must agree.
void copyto(const RowSparseNDArray& src, RowSparseNDArray& dst);
// copyto that hands `src`'s buffers to `dst` instead of copying them when no other handle holds them (a sum made
// for this write, as backward's); `src` is left empty.
void moveto(RowSparseNDArray&& src, RowSparseNDArray& dst);

// Sums with row-sparse operands (MXNet's elemwise_add, add_n). The sparse forms store the union of the rows.
RowSparseNDArray add(const RowSparseNDArray& a, const RowSparseNDArray& b);
RowSparseNDArray add_n(const std::vector<RowSparseNDArray>& arrays);
NDArray add(const NDArray& dense, const RowSparseNDArray& sparse);
RowSparseNDArray subtract(const RowSparseNDArray& a, const RowSparseNDArray& b);
// Every stored value times `scalar` (zeros stay zeros, so the result keeps a's structure).
RowSparseNDArray multiply(const RowSparseNDArray& a, double scalar);
CSRNDArray multiply(const CSRNDArray& a, double scalar);
// The sum of the squares of the values: a one-element dense array (the squared norm that gradient clipping reads).
NDArray square_sum(const SparseNDArray& a);
// The sum of a CSR array (M, N) along axis 0, (N,), or axis 1, (M,), dense (MXNet's sum(csr, axis)).
NDArray sum(const CSRNDArray& a, int axis);

// MXNet's elementwise functions that keep zeros zero, on the stored values alone: the result has the operand's
// structure (a stored value may become 0 and stays stored, as in MXNet).
enum class ZeroPreserving { kAbs, kSign, kSqrt, kSquare, kRelu, kTanh, kSin, kExpm1, kLog1p, kFloor, kCeil, kRound };
CSRNDArray map_values(const CSRNDArray& a, ZeroPreserving fn);
RowSparseNDArray map_values(const RowSparseNDArray& a, ZeroPreserving fn);

}  // namespace mx::nd::sparse
