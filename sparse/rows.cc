// Row-sparse arrays made from loose rows (an embedding's gradient), and writes into an existing row-sparse array.
#include <algorithm>

#include <mx/sparse/operand.h>
#include <mx/sparse/row_order.h>
#include <mx/sparse/sparse_ops.h>

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
             const std::int64_t count = row_blob.size();
             std::vector<std::int64_t> row(static_cast<std::size_t>(count));
             for (std::int64_t k = 0; k < count; ++k) row[k] = std::clamp<std::int64_t>(row_blob.ptr<std::int64_t>()[k], 0, limit - 1);
             // The given rows in order of their numbers (stable: equal numbers add in the order given).
             const std::vector<std::int64_t> order = ds::stable_order(row, limit);
             out->indices.clear();
             for (const std::int64_t k : order) {
               if (out->indices.empty() || out->indices.back() != row[k]) out->indices.push_back(row[k]);
             }
             ds::dispatch_values(out->dtype, "row_sparse_sum_rows", [&](auto tag) {
               using T = decltype(tag);
               out->values.assign(out->indices.size() * static_cast<std::size_t>(size) * sizeof(T), std::byte{0});
               T* sums = out->values_as<T>();
               const T* given = value_blob.ptr<T>();
               std::int64_t position = -1, previous = -1;
               for (const std::int64_t k : order) {
                 if (row[k] != previous) ++position, previous = row[k];
                 T* sum = sums + position * size;
                 const T* source = given + k * size;
                 for (std::int64_t j = 0; j < size; ++j) sum[j] += source[j];
               }
             });
           });
  return RowSparseNDArray(std::move(out), shape);
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

}  // namespace mx::nd::sparse
