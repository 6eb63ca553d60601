// Making sparse arrays: from host components, from arrays, from dense arrays, and the row operations that
// derive one from another (slice, retain, copy).
#include <algorithm>
#include <cstring>
#include <string>

#include <mx/operators/copy.h>
#include <mx/sparse/operand.h>
#include <mx/sparse/sparse_chunk.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx {
namespace {

using detail::SparseChunk;
namespace ds = detail::sparse;

std::string str(std::int64_t v) { return std::to_string(v); }

using ds::row_size;

void check_csr_shape(const Shape& shape) {
  if (shape.ndim() != 2) throw ShapeError("csr_matrix: the shape must be 2-D, got " + shape.str());
}
void check_row_sparse_shape(const Shape& shape) {
  if (shape.ndim() < 1) throw ShapeError("row_sparse_array: the shape must have at least one axis, got ()");
}

// The structure of a CSR array with `nnz` values, as the file comment of sparse_ndarray.h states it.
void validate_csr(const std::vector<std::int64_t>& indices, const std::vector<std::int64_t>& indptr,
                  std::int64_t nnz, const Shape& shape) {
  const std::int64_t rows = shape[0], columns = shape[1];
  if (static_cast<std::int64_t>(indptr.size()) != rows + 1) {
    throw ShapeError("csr_matrix: indptr has " + str(static_cast<std::int64_t>(indptr.size())) +
                     " entries; a shape of " + shape.str() + " needs " + str(rows + 1));
  }
  if (static_cast<std::int64_t>(indices.size()) != nnz) {
    throw ShapeError("csr_matrix: " + str(nnz) + " values but " + str(static_cast<std::int64_t>(indices.size())) +
                     " column indices");
  }
  if (indptr.front() != 0 || indptr.back() != nnz) {
    throw IndexError("csr_matrix: indptr must start at 0 and end at the number of values (" + str(nnz) +
                     "), got " + str(indptr.front()) + " and " + str(indptr.back()));
  }
  for (std::int64_t row = 0; row < rows; ++row) {  // first, so that the rows' ranges lie inside the values
    if (indptr[row + 1] < indptr[row]) {
      throw IndexError("csr_matrix: indptr decreases at row " + str(row) + " (" + str(indptr[row]) + " then " +
                       str(indptr[row + 1]) + ")");
    }
  }
  for (std::int64_t row = 0; row < rows; ++row) {
    for (std::int64_t k = indptr[row]; k < indptr[row + 1]; ++k) {
      if (indices[k] < 0 || indices[k] >= columns) {
        throw IndexError("csr_matrix: column index " + str(indices[k]) + " in row " + str(row) +
                         " is out of range for " + str(columns) + " columns");
      }
      if (k > indptr[row] && indices[k] <= indices[k - 1]) {
        throw IndexError("csr_matrix: the column indices of row " + str(row) + " must increase, got " +
                         str(indices[k - 1]) + " then " + str(indices[k]));
      }
    }
  }
}

void validate_row_sparse(const std::vector<std::int64_t>& indices, std::int64_t value_count, const Shape& shape) {
  const auto rows = static_cast<std::int64_t>(indices.size());
  if (value_count != rows * row_size(shape)) {
    throw ShapeError("row_sparse_array: " + str(rows) + " row indices need " + str(rows * row_size(shape)) +
                     " values for rows of shape " + shape.str() + ", got " + str(value_count));
  }
  for (std::int64_t k = 0; k < rows; ++k) {
    if (indices[k] < 0 || indices[k] >= shape[0]) {
      throw IndexError("row_sparse_array: row index " + str(indices[k]) + " is out of range for " + str(shape[0]) +
                       " rows");
    }
    if (k > 0 && indices[k] <= indices[k - 1]) {
      throw IndexError("row_sparse_array: the row indices must increase, got " + str(indices[k - 1]) + " then " +
                       str(indices[k]));
    }
  }
}

std::shared_ptr<SparseChunk> new_chunk(const char* op, Context ctx, DType dtype) {
  ds::check_usable(op, ctx);
  ds::dispatch_values(dtype, op, [](auto) {});
  return std::make_shared<SparseChunk>(ctx, dtype);
}

void store_values(SparseChunk& chunk, const std::vector<double>& data) {
  ds::dispatch_values(chunk.dtype, "sparse", [&](auto tag) {
    using T = decltype(tag);
    chunk.resize_values<T>(data.size());
    std::transform(data.begin(), data.end(), chunk.values_as<T>(), [](double v) { return static_cast<T>(v); });
  });
}

// Host int64 copies of integer arrays, and their data in `dtype`: an operation reads them once computed.
NDArray as_indices(const NDArray& array, const char* op, const char* what) {
  if (array.is_none()) throw Error(std::string(op) + ": " + what + " is an empty handle");
  if (array.ndim() != 1) throw ShapeError(std::string(op) + ": " + what + " must be 1-D, got " + array.shape().str());
  ds::check_usable(op, array.context());
  return array.dtype() == DType::kInt64 ? array : array.astype(DType::kInt64);
}

std::vector<std::int64_t> read_indices(const LazyBlob& blob) {
  const Blob b = blob.resolve();
  return std::vector<std::int64_t>(b.ptr<std::int64_t>(), b.ptr<std::int64_t>() + b.size());
}

void read_values(SparseChunk& chunk, const LazyBlob& blob) {
  const Blob b = blob.resolve();
  const auto* bytes = static_cast<const std::byte*>(b.data);
  chunk.values.assign(bytes, bytes + b.size() * static_cast<std::int64_t>(dtype_size(b.dtype)));
}

void check_dense_input(const NDArray& dense, const char* op) {
  if (dense.is_none()) throw Error(std::string(op) + ": the dense array is an empty handle");
  ds::check_usable(op, dense.context());
}

}  // namespace

namespace nd::sparse {

CSRNDArray csr_matrix(const std::vector<double>& data, const std::vector<std::int64_t>& indices,
                      const std::vector<std::int64_t>& indptr, const Shape& shape, DType dtype, Context ctx) {
  check_csr_shape(shape);
  validate_csr(indices, indptr, static_cast<std::int64_t>(data.size()), shape);
  auto chunk = new_chunk("csr_matrix", ctx, dtype);
  store_values(*chunk, data);  // before any operation is pushed on the chunk: no one else sees it yet
  chunk->indices = indices;
  chunk->indptr = indptr;
  return CSRNDArray(std::move(chunk), shape);
}

CSRNDArray csr_matrix(const NDArray& data, const NDArray& indices, const NDArray& indptr, const Shape& shape) {
  check_csr_shape(shape);
  if (data.is_none() || data.ndim() != 1) throw ShapeError("csr_matrix: data must be 1-D");
  const NDArray columns = as_indices(indices, "csr_matrix", "indices");
  const NDArray offsets = as_indices(indptr, "csr_matrix", "indptr");
  if (columns.size() != data.size()) {
    throw ShapeError("csr_matrix: data " + data.shape().str() + " and indices " + indices.shape().str() +
                     " differ in length");
  }
  if (offsets.size() != shape[0] + 1) {
    throw ShapeError("csr_matrix: indptr " + indptr.shape().str() + " needs " + str(shape[0] + 1) +
                     " entries for a shape of " + shape.str());
  }
  auto chunk = new_chunk("csr_matrix", data.context(), data.dtype());
  ds::push("csr_matrix", chunk->ctx, {data.var(), columns.var(), offsets.var()}, {chunk->var},
           [chunk, shape, values = data.lazy_blob(), cols = columns.lazy_blob(), ptr = offsets.lazy_blob()] {
             chunk->indices = read_indices(cols);
             chunk->indptr = read_indices(ptr);
             read_values(*chunk, values);
             validate_csr(chunk->indices, chunk->indptr, static_cast<std::int64_t>(chunk->value_count()), shape);
           });
  return CSRNDArray(std::move(chunk), shape);
}

CSRNDArray csr_matrix(const NDArray& dense) {
  check_dense_input(dense, "cast_storage");
  check_csr_shape(dense.shape());
  auto chunk = new_chunk("cast_storage", dense.context(), dense.dtype());
  const Shape shape = dense.shape();
  ds::push("cast_storage", chunk->ctx, {dense.var()}, {chunk->var}, [chunk, shape, src = dense.lazy_blob()] {
    const Blob b = src.resolve();
    ds::dispatch_values(chunk->dtype, "cast_storage", [&](auto tag) {
      using T = decltype(tag);
      const T* values = b.ptr<T>();
      const std::int64_t count = std::count_if(values, values + b.size(), [](T v) { return v != T(0); });
      chunk->resize_values<T>(static_cast<std::size_t>(count));
      chunk->indices.resize(static_cast<std::size_t>(count));
      chunk->indptr.assign(static_cast<std::size_t>(shape[0] + 1), 0);
      T* stored = chunk->values_as<T>();
      std::int64_t k = 0;
      for (std::int64_t row = 0; row < shape[0]; ++row) {
        for (std::int64_t column = 0; column < shape[1]; ++column) {
          const T v = values[row * shape[1] + column];
          if (v == T(0)) continue;
          stored[k] = v;
          chunk->indices[k++] = column;
        }
        chunk->indptr[row + 1] = k;
      }
    });
  });
  return CSRNDArray(std::move(chunk), shape);
}

CSRNDArray csr_matrix(const Shape& shape, DType dtype, Context ctx) {
  check_csr_shape(shape);
  auto chunk = new_chunk("csr_matrix", ctx, dtype);
  chunk->indptr.assign(static_cast<std::size_t>(shape[0] + 1), 0);
  return CSRNDArray(std::move(chunk), shape);
}

RowSparseNDArray row_sparse_array(const std::vector<double>& data, const std::vector<std::int64_t>& indices,
                                  const Shape& shape, DType dtype, Context ctx) {
  check_row_sparse_shape(shape);
  validate_row_sparse(indices, static_cast<std::int64_t>(data.size()), shape);
  auto chunk = new_chunk("row_sparse_array", ctx, dtype);
  store_values(*chunk, data);
  chunk->indices = indices;
  return RowSparseNDArray(std::move(chunk), shape);
}

RowSparseNDArray row_sparse_array(const NDArray& data, const NDArray& indices, const Shape& shape) {
  check_row_sparse_shape(shape);
  const NDArray rows = as_indices(indices, "row_sparse_array", "indices");
  if (data.is_none() || data.ndim() != shape.ndim() || data.shape()[0] != rows.size() ||
      row_size(data.shape()) != row_size(shape)) {
    throw ShapeError("row_sparse_array: data " + (data.is_none() ? std::string("(none)") : data.shape().str()) +
                     " must hold " + str(rows.size()) + " rows of the shape " + shape.str());
  }
  auto chunk = new_chunk("row_sparse_array", data.context(), data.dtype());
  ds::push("row_sparse_array", chunk->ctx, {data.var(), rows.var()}, {chunk->var},
           [chunk, shape, values = data.lazy_blob(), numbers = rows.lazy_blob()] {
             chunk->indices = read_indices(numbers);
             read_values(*chunk, values);
             validate_row_sparse(chunk->indices, static_cast<std::int64_t>(chunk->value_count()), shape);
           });
  return RowSparseNDArray(std::move(chunk), shape);
}

RowSparseNDArray row_sparse_array(const NDArray& dense) {
  check_dense_input(dense, "cast_storage");
  check_row_sparse_shape(dense.shape());
  auto chunk = new_chunk("cast_storage", dense.context(), dense.dtype());
  const Shape shape = dense.shape();
  const std::int64_t size = row_size(shape);
  ds::push("cast_storage", chunk->ctx, {dense.var()}, {chunk->var}, [chunk, shape, size, src = dense.lazy_blob()] {
    const Blob b = src.resolve();
    ds::dispatch_values(chunk->dtype, "cast_storage", [&](auto tag) {
      using T = decltype(tag);
      const T* values = b.ptr<T>();
      chunk->indices.clear();
      for (std::int64_t row = 0; row < shape[0]; ++row) {
        const T* begin = values + row * size;
        if (std::any_of(begin, begin + size, [](T v) { return v != T(0); })) chunk->indices.push_back(row);
      }
      chunk->resize_values<T>(chunk->indices.size() * static_cast<std::size_t>(size));
      T* stored = chunk->values_as<T>();
      for (std::size_t k = 0; k < chunk->indices.size(); ++k) {
        std::memcpy(stored + static_cast<std::int64_t>(k) * size, values + chunk->indices[k] * size,
                    static_cast<std::size_t>(size) * sizeof(T));
      }
    });
  });
  return RowSparseNDArray(std::move(chunk), shape);
}

RowSparseNDArray row_sparse_array(const Shape& shape, DType dtype, Context ctx) {
  check_row_sparse_shape(shape);
  return RowSparseNDArray(new_chunk("row_sparse_array", ctx, dtype), shape);
}

}  // namespace nd::sparse

CSRNDArray CSRNDArray::slice(std::int64_t begin, std::int64_t end) const {
  check_not_none("slice");
  const std::int64_t rows = shape_[0];
  if (begin < 0) begin += rows;
  if (end < 0) end += rows;
  if (begin < 0 || end > rows || begin > end) {
    throw IndexError("slice: rows [" + str(begin) + ", " + str(end) + ") are out of range for a CSRNDArray of shape " +
                     shape_.str());
  }
  auto out = new_chunk("slice", chunk_->ctx, chunk_->dtype);
  ds::push("slice", out->ctx, {chunk_->var}, {out->var}, [src = chunk_, out, begin, end] {
    const std::int64_t first = src->indptr[begin], last = src->indptr[end];
    const std::size_t width = dtype_size(src->dtype);
    out->values.assign(src->values.begin() + first * static_cast<std::int64_t>(width),
                       src->values.begin() + last * static_cast<std::int64_t>(width));
    out->indices.assign(src->indices.begin() + first, src->indices.begin() + last);
    out->indptr.resize(static_cast<std::size_t>(end - begin + 1));
    for (std::int64_t row = begin; row <= end; ++row) out->indptr[row - begin] = src->indptr[row] - first;
  });
  return CSRNDArray(std::move(out), Shape{end - begin, shape_[1]});
}

namespace {
std::shared_ptr<SparseChunk> deep_copy(const std::shared_ptr<SparseChunk>& src, Context ctx) {
  auto out = new_chunk("copy", ctx, src->dtype);
  ds::push("copy", out->ctx, {src->var}, {out->var}, [src, out] {
    out->values = src->values;
    out->indices = src->indices;
    out->indptr = src->indptr;
  });
  return out;
}
}  // namespace

CSRNDArray CSRNDArray::copy() const {
  check_not_none("copy");
  return CSRNDArray(deep_copy(chunk_, chunk_->ctx), shape_);
}

CSRNDArray CSRNDArray::as_in_context(Context ctx) const {
  check_not_none("as_in_context");
  return ctx == chunk_->ctx ? *this : CSRNDArray(deep_copy(chunk_, ctx), shape_);
}

RowSparseNDArray RowSparseNDArray::copy() const {
  check_not_none("copy");
  return RowSparseNDArray(deep_copy(chunk_, chunk_->ctx), shape_);
}

RowSparseNDArray RowSparseNDArray::as_in_context(Context ctx) const {
  check_not_none("as_in_context");
  return ctx == chunk_->ctx ? *this : RowSparseNDArray(deep_copy(chunk_, ctx), shape_);
}

RowSparseNDArray RowSparseNDArray::retain(const NDArray& rows) const {
  check_not_none("retain");
  const NDArray wanted = as_indices(rows, "retain", "the row indices");
  auto out = new_chunk("retain", chunk_->ctx, chunk_->dtype);
  const std::int64_t size = row_size(shape_);
  ds::push("retain", out->ctx, {chunk_->var, wanted.var()}, {out->var},
           [src = chunk_, out, size, numbers = wanted.lazy_blob()] {
             std::vector<std::int64_t> keep = read_indices(numbers);
             std::sort(keep.begin(), keep.end());
             const std::size_t width = static_cast<std::size_t>(size) * dtype_size(src->dtype);
             out->indices.clear();
             out->values.clear();
             for (std::size_t k = 0; k < src->indices.size(); ++k) {
               if (!std::binary_search(keep.begin(), keep.end(), src->indices[k])) continue;
               out->indices.push_back(src->indices[k]);
               const auto row = src->values.begin() + static_cast<std::ptrdiff_t>(k * width);
               out->values.insert(out->values.end(), row, row + static_cast<std::ptrdiff_t>(width));
             }
           });
  return RowSparseNDArray(std::move(out), shape_);
}

}  // namespace mx
