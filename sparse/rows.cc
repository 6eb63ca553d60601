// Row-sparse arrays made from loose rows (an embedding's gradient), and writes into an existing row-sparse array.
#include <algorithm>
#include <cstring>

#include <mx/sparse/operand.h>
#include <mx/sparse/row_order.h>
#include <mx/sparse/sparse_ops.h>

namespace mx::detail::sparse {

void sum_rows(std::span<const std::int64_t> given_rows, const std::byte* values, std::int64_t row_size,
              std::int64_t limit, SparseChunk& out) {
  const auto count = static_cast<std::int64_t>(given_rows.size());
  std::vector<std::int64_t> row(given_rows.size());
  for (std::int64_t k = 0; k < count; ++k) row[k] = std::clamp<std::int64_t>(given_rows[k], 0, limit - 1);
  // The given rows in order of their numbers (stable: equal numbers add in the order given).
  const std::vector<std::int64_t> order = stable_order(row, limit);
  out.indices.clear();
  for (const std::int64_t k : order) {
    if (out.indices.empty() || out.indices.back() != row[k]) out.indices.push_back(row[k]);
  }
  dispatch_values(out.dtype, "row_sparse_sum_rows", [&](auto tag) {
    using T = decltype(tag);
    out.values.assign(out.indices.size() * static_cast<std::size_t>(row_size) * sizeof(T), std::byte{0});
    T* sums = out.values_as<T>();
    const T* source = reinterpret_cast<const T*>(values);
    std::int64_t position = -1, previous = -1;
    for (const std::int64_t k : order) {
      if (row[k] != previous) ++position, previous = row[k];
      T* sum = sums + position * row_size;
      for (std::int64_t j = 0; j < row_size; ++j) sum[j] += source[k * row_size + j];
    }
  });
}

}  // namespace mx::detail::sparse

namespace mx::nd::sparse {

namespace ds = detail::sparse;
using detail::SparseChunk;

RowSparseNDArray row_sparse_sum_rows(const NDArray& values, const NDArray& rows, const Shape& shape) {
  const char* op = "row_sparse_sum_rows";
  if (values.is_none() || rows.is_none()) throw Error(std::string(op) + ": an operand is an empty handle");
  ds::check_usable(op, values.context());
  ds::check_usable(op, rows.context());
  if (shape.ndim() < 1 || rows.ndim() != 1 || values.ndim() != shape.ndim() || values.shape()[0] != rows.size() ||
      ds::row_size(values.shape()) != ds::row_size(shape)) {
    throw ShapeError(std::string(op) + ": values " + values.shape().str() + " must hold one row of " + shape.str() +
                     " for each of the " + rows.shape().str() + " row numbers");
  }
  const NDArray numbers = rows.dtype() == DType::kInt64 ? rows : rows.astype(DType::kInt64);
  auto out = std::make_shared<SparseChunk>(values.context(), values.dtype());
  ds::dispatch_values(out->dtype, op, [](auto) {});
  const std::int64_t size = ds::row_size(shape), limit = shape[0];
  ds::push(op, out->ctx, {values.var(), numbers.var()}, {out->var},
           [out, size, limit, v = values.lazy_blob(), r = numbers.lazy_blob()] {
             const Blob value_blob = v.resolve(), row_blob = r.resolve();
             ds::sum_rows({row_blob.ptr<std::int64_t>(), static_cast<std::size_t>(row_blob.size())},
                          static_cast<const std::byte*>(value_blob.data), size, limit, *out);
           });
  return RowSparseNDArray(std::move(out), shape);
}

RowSparseNDArray retain_rows(const NDArray& dense, const NDArray& rows) {
  const char* op = "row_sparse_pull";
  if (dense.is_none() || rows.is_none()) throw Error(std::string(op) + ": an operand is an empty handle");
  ds::check_usable(op, dense.context());
  ds::check_usable(op, rows.context());
  if (dense.ndim() < 1 || rows.ndim() != 1) {
    throw ShapeError(std::string(op) + ": rows " + rows.shape().str() + " must be 1-D, the array " +
                     dense.shape().str() + " at least 1-D");
  }
  const NDArray numbers = rows.dtype() == DType::kInt64 ? rows : rows.astype(DType::kInt64);
  auto out = std::make_shared<SparseChunk>(dense.context(), dense.dtype());
  ds::dispatch_values(out->dtype, op, [](auto) {});
  const std::int64_t size = ds::row_size(dense.shape()), limit = dense.shape()[0];
  ds::push(op, out->ctx, {dense.var(), numbers.var()}, {out->var},
           [out, size, limit, d = dense.lazy_blob(), r = numbers.lazy_blob()] {
             const Blob dense_blob = d.resolve(), row_blob = r.resolve();
             const std::int64_t* numbers = row_blob.ptr<std::int64_t>();
             const std::vector<std::int64_t> wanted(numbers, numbers + row_blob.size());
             for (const std::int64_t w : wanted) {
               if (w < 0 || w >= limit) {
                 throw IndexError("row_sparse_pull: row " + std::to_string(w) + " is out of range for " +
                                  std::to_string(limit) + " rows");
               }
             }
             out->indices = ds::distinct_keys(wanted, limit).keys;
             const std::size_t bytes = static_cast<std::size_t>(size) * dtype_size(out->dtype);
             out->values.resize(out->indices.size() * bytes);
             for (std::size_t k = 0; k < out->indices.size(); ++k) {
               const auto* row =
                   static_cast<const std::byte*>(dense_blob.data) + out->indices[k] * static_cast<std::int64_t>(bytes);
               std::memcpy(out->values.data() + k * bytes, row, bytes);
             }
           });
  return RowSparseNDArray(std::move(out), dense.shape());
}

void copyto(const RowSparseNDArray& src, RowSparseNDArray& dst) {
  ds::check_sparse_operand("copyto", src, "the source");
  ds::check_sparse_operand("copyto", dst, "the destination");
  ds::check_same_layout("copyto", src, dst);
  if (src.chunk() == dst.chunk()) return;
  ds::push("copyto", dst.context(), {src.var()}, {dst.var()}, [from = src.chunk(), to = dst.chunk()] {
    to->values = from->values;
    to->indices = from->indices;
  });
  dst.bump_version();
}

void moveto(RowSparseNDArray&& src, RowSparseNDArray& dst) {
  ds::check_sparse_operand("moveto", src, "the source");
  ds::check_sparse_operand("moveto", dst, "the destination");
  ds::check_same_layout("moveto", src, dst);
  if (src.chunk() == dst.chunk()) return;
  // The source is read and written (its error still passes to dst), so every operation pushed on it before has
  // finished (the engine orders them) and none pushed after can start: when this operation holds the last
  // reference, no handle can read the source again and its buffers can be handed over; otherwise they are copied.
  ds::push("moveto", dst.context(), {src.var()}, {src.var(), dst.var()}, [from = src.chunk(), to = dst.chunk()] {
    if (from.use_count() == 1) {
      to->values.swap(from->values);
      to->indices.swap(from->indices);
    } else {
      to->values = from->values;
      to->indices = from->indices;
    }
  });
  dst.bump_version();
  src = RowSparseNDArray();
}

}  // namespace mx::nd::sparse
