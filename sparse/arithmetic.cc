// Sums and scalings of sparse arrays. A sum of row-sparse arrays stores the union of their rows, each row the
// sum of the operands that store it, in the order the operands were given (so that summing gradients of several
// devices is deterministic).
#include <algorithm>
#include <cstring>
#include <iterator>

#include <mx/sparse/operand.h>
#include <mx/sparse/sparse_ops.h>

namespace mx::nd::sparse {
namespace {

namespace ds = detail::sparse;
using detail::SparseChunk;

// out = sum of coefficient[i] * operand[i], over row-sparse operands.
RowSparseNDArray linear_combination(const char* op, const std::vector<RowSparseNDArray>& operands,
                                    const std::vector<double>& coefficients) {
  if (operands.empty()) throw Error(std::string(op) + ": no arrays given");
  for (const auto& a : operands) {
    ds::check_sparse_operand(op, a, "an operand");
    ds::check_same_layout(op, operands.front(), a);
  }
  const RowSparseNDArray& first = operands.front();
  auto out = std::make_shared<SparseChunk>(first.context(), first.dtype());
  std::vector<std::shared_ptr<SparseChunk>> chunks;
  std::vector<engine::VarHandle> reads;
  for (const auto& a : operands) {
    chunks.push_back(a.chunk());
    reads.push_back(a.var());
  }
  const std::int64_t size = ds::row_size(first.shape());
  ds::push(op, out->ctx, reads, {out->var}, [chunks, coefficients, out, size, op] {
    std::vector<std::int64_t> rows;
    for (const auto& c : chunks) {
      std::vector<std::int64_t> merged;
      std::set_union(rows.begin(), rows.end(), c->indices.begin(), c->indices.end(), std::back_inserter(merged));
      rows = std::move(merged);
    }
    ds::dispatch_values(out->dtype, op, [&](auto tag) {
      using T = decltype(tag);
      std::vector<T> values(rows.size() * static_cast<std::size_t>(size), T(0));
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        const SparseChunk& c = *chunks[i];
        const T* source = const_cast<SparseChunk&>(c).values_as<T>();
        const T scale = static_cast<T>(coefficients[i]);
        auto position = rows.begin();
        for (std::size_t k = 0; k < c.indices.size(); ++k) {
          position = std::lower_bound(position, rows.end(), c.indices[k]);  // both ascend: search only onwards
          T* row = values.data() + (position - rows.begin()) * size;
          for (std::int64_t j = 0; j < size; ++j) row[j] += scale * source[static_cast<std::int64_t>(k) * size + j];
        }
      }
      out->indices = std::move(rows);
      out->resize_values<T>(values.size());
      std::copy(values.begin(), values.end(), out->values_as<T>());
    });
  });
  return RowSparseNDArray(std::move(out), first.shape());
}

}  // namespace

RowSparseNDArray add(const RowSparseNDArray& a, const RowSparseNDArray& b) {
  return linear_combination("elemwise_add", {a, b}, {1, 1});
}

RowSparseNDArray subtract(const RowSparseNDArray& a, const RowSparseNDArray& b) {
  return linear_combination("elemwise_sub", {a, b}, {1, -1});
}

RowSparseNDArray add_n(const std::vector<RowSparseNDArray>& arrays) {
  return linear_combination("add_n", arrays, std::vector<double>(arrays.size(), 1.0));
}

NDArray add(const NDArray& dense, const RowSparseNDArray& sparse) {
  ds::check_sparse_operand("elemwise_add", sparse, "the sparse operand");
  ds::check_dense_operand("elemwise_add", dense, sparse, 0, "the dense operand");
  if (dense.shape() != sparse.shape()) {
    throw ShapeError("elemwise_add: shapes " + dense.shape().str() + " and " + sparse.shape().str() + " differ");
  }
  NDArray out(dense.shape(), dense.context(), dense.dtype());
  const std::int64_t size = ds::row_size(sparse.shape());
  ds::push("elemwise_add", out.context(), {dense.var(), sparse.var()}, {out.var()},
           [chunk = sparse.chunk(), d = dense.lazy_blob(), o = out.lazy_blob(), size] {
             const Blob in = d.resolve(), result = o.resolve();
             std::memcpy(result.data, in.data, static_cast<std::size_t>(in.size()) * dtype_size(in.dtype));
             ds::dispatch_values(chunk->dtype, "elemwise_add", [&](auto tag) {
               using T = decltype(tag);
               const T* values = chunk->values_as<T>();
               for (std::size_t k = 0; k < chunk->indices.size(); ++k) {
                 T* row = result.ptr<T>() + chunk->indices[k] * size;
                 for (std::int64_t j = 0; j < size; ++j) row[j] += values[static_cast<std::int64_t>(k) * size + j];
               }
             });
           });
  return out;
}

RowSparseNDArray multiply(const RowSparseNDArray& a, double scalar) {
  return RowSparseNDArray(ds::map_stored("_mul_scalar", a, [scalar](auto v) { return v * scalar; }), a.shape());
}

CSRNDArray multiply(const CSRNDArray& a, double scalar) {
  return CSRNDArray(ds::map_stored("_mul_scalar", a, [scalar](auto v) { return v * scalar; }), a.shape());
}

NDArray square_sum(const SparseNDArray& a) {
  ds::check_sparse_operand("square_sum", a, "the operand");
  NDArray out(Shape{1}, a.context(), a.dtype());
  ds::push("square_sum", out.context(), {a.var()}, {out.var()}, [chunk = a.chunk(), o = out.lazy_blob()] {
    const Blob result = o.resolve();
    ds::dispatch_values(chunk->dtype, "square_sum", [&](auto tag) {
      using T = decltype(tag);
      const T* values = chunk->values_as<T>();
      double sum = 0;
      for (std::size_t k = 0; k < chunk->value_count(); ++k) sum += static_cast<double>(values[k]) * values[k];
      *result.ptr<T>() = static_cast<T>(sum);
    });
  });
  return out;
}

}  // namespace mx::nd::sparse
