// Products with a CSR operand. The loops visit only the stored values; each writes disjoint parts of its output
// per piece (rows, or columns of the output when rows would collide), so the pieces run on the workers unlocked.
#include <algorithm>
#include <cstring>

#include <mx/operators/parallel.h>
#include <mx/operators/recording.h>
#include <mx/sparse/operand.h>
#include <mx/sparse/row_order.h>
#include <mx/sparse/sparse_ops.h>

namespace mx::nd::sparse {
namespace {

namespace ds = detail::sparse;
using detail::SparseChunk;

// Rows of work per piece: about op::kParallelGrain multiply-adds each.
std::int64_t row_grain(std::int64_t work_per_row) {
  return std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(work_per_row, 1));
}

void zero(const Blob& b) { std::memset(b.data, 0, static_cast<std::size_t>(b.size()) * dtype_size(b.dtype)); }

// out (M, N) = lhs (M, K) . rhs (K, N): each output row from its own stored values.
template <class T>
void csr_times_dense(const SparseChunk& lhs, const T* rhs, T* out, std::int64_t rows, std::int64_t n) {
  const T* values = const_cast<SparseChunk&>(lhs).values_as<T>();
  const std::int64_t average = rows == 0 ? 0 : static_cast<std::int64_t>(lhs.indices.size()) / rows;
  op::parallel_for(rows, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      T* row = out + i * n;
      for (std::int64_t k = lhs.indptr[i]; k < lhs.indptr[i + 1]; ++k) {
        const T v = values[k];
        const T* source = rhs + lhs.indices[k] * n;
        for (std::int64_t j = 0; j < n; ++j) row[j] += v * source[j];
      }
    }
  }, row_grain((average + 1) * n));
}

// out (K, N) = lhs^T . rhs (M, N); with `position`, stored value k of lhs adds into output row position[k]
// instead of its column's. Rows of lhs scatter into the same output rows, so the pieces split the N columns.
template <class T>
void csr_transposed_times_dense(const SparseChunk& lhs, const T* rhs, T* out, std::int64_t n,
                                const std::vector<std::int64_t>* position) {
  const T* values = const_cast<SparseChunk&>(lhs).values_as<T>();
  const std::int64_t rows = static_cast<std::int64_t>(lhs.indptr.size()) - 1;
  const std::int64_t work = static_cast<std::int64_t>(lhs.indices.size());
  op::parallel_for(n, [&](std::int64_t j0, std::int64_t j1) {
    for (std::int64_t i = 0; i < rows; ++i) {
      const T* source = rhs + i * n;
      for (std::int64_t k = lhs.indptr[i]; k < lhs.indptr[i + 1]; ++k) {
        T* row = out + (position == nullptr ? lhs.indices[k] : (*position)[k]) * n;
        const T v = values[k];
        for (std::int64_t j = j0; j < j1; ++j) row[j] += v * source[j];
      }
    }
  }, row_grain(work));
}

// out (M, N) = lhs (M, K) . rhs (K, N) csr, or with transpose_b lhs (M, N) . rhs^T (N, K) csr: (M, K).
template <class T>
void dense_times_csr(const T* lhs, const SparseChunk& rhs, T* out, std::int64_t rows, std::int64_t lhs_columns,
                     std::int64_t out_columns, bool transpose_b) {
  const T* values = const_cast<SparseChunk&>(rhs).values_as<T>();
  const std::int64_t csr_rows = static_cast<std::int64_t>(rhs.indptr.size()) - 1;
  op::parallel_for(rows, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const T* a = lhs + i * lhs_columns;
      T* row = out + i * out_columns;
      for (std::int64_t p = 0; p < csr_rows; ++p) {
        if (transpose_b) {  // out[i, p] = sum over row p's values of a[column] * value
          T sum = 0;
          for (std::int64_t k = rhs.indptr[p]; k < rhs.indptr[p + 1]; ++k) sum += a[rhs.indices[k]] * values[k];
          row[p] = sum;
        } else if (a[p] != T(0)) {
          for (std::int64_t k = rhs.indptr[p]; k < rhs.indptr[p + 1]; ++k) row[rhs.indices[k]] += a[p] * values[k];
        }
      }
    }
  }, row_grain(static_cast<std::int64_t>(rhs.indices.size()) + csr_rows));
}

void check_csr_dense(const char* op, const CSRNDArray& lhs, const NDArray& rhs, bool transpose_a) {
  ds::check_sparse_operand(op, lhs, "lhs");
  ds::check_dense_operand(op, rhs, lhs, 2, "rhs");
  const std::int64_t inner = transpose_a ? lhs.shape()[0] : lhs.shape()[1];
  if (rhs.shape()[0] != inner) {
    throw ShapeError(std::string(op) + ": lhs " + lhs.shape().str() + (transpose_a ? " transposed" : "") +
                     " and rhs " + rhs.shape().str() + " do not multiply");
  }
}

}  // namespace

NDArray dot(const CSRNDArray& lhs, const NDArray& rhs, bool transpose_a) {
  check_csr_dense("dot", lhs, rhs, transpose_a);
  const std::int64_t n = rhs.shape()[1];
  NDArray out(Shape{transpose_a ? lhs.shape()[1] : lhs.shape()[0], n}, rhs.context(), rhs.dtype());
  const std::int64_t rows = lhs.shape()[0];
  ds::push("dot", out.context(), {lhs.var(), rhs.var()}, {out.var()},
           [chunk = lhs.chunk(), b = rhs.lazy_blob(), o = out.lazy_blob(), n, rows, transpose_a] {
             const Blob rhs_blob = b.resolve(), out_blob = o.resolve();
             zero(out_blob);
             ds::dispatch_values(chunk->dtype, "dot", [&](auto tag) {
               using T = decltype(tag);
               if (transpose_a) {
                 csr_transposed_times_dense(*chunk, rhs_blob.ptr<T>(), out_blob.ptr<T>(), n, nullptr);
               } else {
                 csr_times_dense(*chunk, rhs_blob.ptr<T>(), out_blob.ptr<T>(), rows, n);
               }
             });
           });
  NDArray in = rhs;
  op::record("dot", std::span<const NDArray>(&in, 1), std::span<NDArray>(&out, 1),
             [lhs, transpose_a](const op::GradientArgs& args) {
               if (!transpose_a && args.wants_rows(0)) {  // lhs^T . d out: only the rows of lhs's columns
                 op::RowGradient rows;
                 rows.row_sparse = dot_row_sparse(lhs, args.output_grads[0]);
                 args.give_rows(0, std::move(rows));
                 return std::vector<NDArray>{NDArray()};
               }
               return std::vector<NDArray>{dot(lhs, args.output_grads[0], !transpose_a)};
             });
  return out;
}

RowSparseNDArray dot_row_sparse(const CSRNDArray& lhs, const NDArray& rhs) {
  check_csr_dense("dot", lhs, rhs, true);
  auto out = std::make_shared<SparseChunk>(lhs.context(), lhs.dtype());
  const std::int64_t n = rhs.shape()[1];
  ds::push("dot", out->ctx, {lhs.var(), rhs.var()}, {out->var},
           [chunk = lhs.chunk(), out, b = rhs.lazy_blob(), n, limit = lhs.shape()[1]] {
             // The output's rows: the columns lhs stores, in order, and where each stored value's lands.
             ds::DistinctKeys columns = ds::distinct_keys(chunk->indices, limit);
             out->indices = std::move(columns.keys);
             const std::vector<std::int64_t>& position = columns.place;
             const Blob rhs_blob = b.resolve();
             ds::dispatch_values(chunk->dtype, "dot", [&](auto tag) {
               using T = decltype(tag);
               out->values.assign(out->indices.size() * static_cast<std::size_t>(n) * sizeof(T), std::byte{0});
               csr_transposed_times_dense(*chunk, rhs_blob.ptr<T>(), out->values_as<T>(), n, &position);
             });
           });
  return RowSparseNDArray(std::move(out), Shape{lhs.shape()[1], rhs.shape()[1]});
}

NDArray dot(const NDArray& lhs, const CSRNDArray& rhs, bool transpose_b) {
  ds::check_sparse_operand("dot", rhs, "rhs");
  ds::check_dense_operand("dot", lhs, rhs, 2, "lhs");
  const std::int64_t inner = transpose_b ? rhs.shape()[1] : rhs.shape()[0];
  if (lhs.shape()[1] != inner) {
    throw ShapeError("dot: lhs " + lhs.shape().str() + " and rhs " + rhs.shape().str() +
                     (transpose_b ? " transposed" : "") + " do not multiply");
  }
  const std::int64_t rows = lhs.shape()[0], out_columns = transpose_b ? rhs.shape()[0] : rhs.shape()[1];
  NDArray out(Shape{rows, out_columns}, lhs.context(), lhs.dtype());
  ds::push("dot", out.context(), {lhs.var(), rhs.var()}, {out.var()},
           [chunk = rhs.chunk(), a = lhs.lazy_blob(), o = out.lazy_blob(), rows, inner, out_columns, transpose_b] {
             const Blob lhs_blob = a.resolve(), out_blob = o.resolve();
             zero(out_blob);
             ds::dispatch_values(chunk->dtype, "dot", [&](auto tag) {
               using T = decltype(tag);
               dense_times_csr(lhs_blob.ptr<T>(), *chunk, out_blob.ptr<T>(), rows, inner, out_columns, transpose_b);
             });
           });
  NDArray in = lhs;
  op::record("dot", std::span<const NDArray>(&in, 1), std::span<NDArray>(&out, 1),
             [rhs, transpose_b](const op::GradientArgs& args) {
               return std::vector<NDArray>{dot(args.output_grads[0], rhs, !transpose_b)};
             });
  return out;
}

}  // namespace mx::nd::sparse
