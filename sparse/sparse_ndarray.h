#pragma once
// Sparse arrays, as MXNet's CSRNDArray and RowSparseNDArray (mx.nd.sparse): only the non-zero part is stored.
//
//   CSR (compressed sparse row), 2-D (M, N): data (nnz,), indices (nnz,) the column of each value, sorted within
//   a row, indptr (M + 1,) where row i's values are data[indptr[i] : indptr[i + 1]]. For inputs with few non-zero
//   features per sample (bag of words, click logs).
//   Row sparse, n-D (M, ...): data (K, ...) the K stored rows, indices (K,) their row numbers, strictly
//   increasing; every other row is zero. The gradient of an embedding table, whose batch touches few rows.
//
// Like NDArray, a sparse array is a handle on storage whose values are computed on the engine: operations
// return at once. How many values a result stores is known only when it is computed, so its components are
// sync points here as in MXNet: data(), indices(), indptr() and nnz() wait for the array, then copy.
// Values are float32 or float64; indices are int64. Sparse arrays live on CPU contexts (a GPU context is an
// error naming it); todense() gives an NDArray that can go anywhere.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <mx/engine/context.h>
#include <mx/ndarray/ndarray.h>

namespace mx {

enum class StorageType { kDefault, kRowSparse, kCSR };
// MXNet's names: "default", "row_sparse", "csr".
const char* stype_name(StorageType stype);

namespace detail {
struct SparseChunk;  // sparse_chunk.h
}

// What CSRNDArray and RowSparseNDArray share (MXNet's BaseSparseNDArray).
class SparseNDArray {
 public:
  bool is_none() const { return chunk_ == nullptr; }
  StorageType stype() const { return stype_; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return shape_.ndim(); }
  DType dtype() const;
  Context context() const;

  // Sync points: block until the values are computed; rethrow the error of the operation that failed.
  void wait_to_read() const;
  // The stored values as a new dense array (see the file's comment for its shape).
  NDArray data() const;
  // int64: the column of each value (CSR) or the number of each stored row (row sparse).
  NDArray indices() const;
  // How many values are stored (CSR: data's length; row sparse: stored rows times the row's size).
  std::int64_t nnz() const;

  // The dense array (MXNet's tostype('default')); returns at once.
  NDArray todense() const;
  NDArray tostype_default() const { return todense(); }
  // A host copy of the dense values, converted to T. A sync point.
  template <class T>
  std::vector<T> asnumpy() const {
    return todense().template asnumpy<T>();
  }

  // For operations on sparse arrays (sparse_ops.h).
  const std::shared_ptr<detail::SparseChunk>& chunk() const { return chunk_; }
  engine::VarHandle var() const;
  // Counts the writes into this array's storage (copyto), as NDArray::version: a Trainer tells from it whether
  // backward wrote a gradient since the last step.
  std::uint64_t version() const;
  void bump_version() const;

 protected:
  SparseNDArray() = default;
  SparseNDArray(std::shared_ptr<detail::SparseChunk> chunk, StorageType stype, const Shape& shape);
  void check_not_none(const char* what) const;

  std::shared_ptr<detail::SparseChunk> chunk_;
  StorageType stype_ = StorageType::kDefault;
  Shape shape_;
};

class CSRNDArray : public SparseNDArray {
 public:
  CSRNDArray() = default;
  // An array on a chunk that an operation fills (sparse_ops.cc).
  CSRNDArray(std::shared_ptr<detail::SparseChunk> chunk, const Shape& shape)
      : SparseNDArray(std::move(chunk), StorageType::kCSR, shape) {}

  // int64 (M + 1,). A sync point.
  NDArray indptr() const;
  // Rows [begin, end) as a new CSR array (MXNet's csr[begin:end]); negative indices count from the end.
  CSRNDArray slice(std::int64_t begin, std::int64_t end) const;
  // A deep copy; on another CPU context with as_in_context (the same handle when already there).
  CSRNDArray copy() const;
  CSRNDArray as_in_context(Context ctx) const;
};

class RowSparseNDArray : public SparseNDArray {
 public:
  RowSparseNDArray() = default;
  RowSparseNDArray(std::shared_ptr<detail::SparseChunk> chunk, const Shape& shape)
      : SparseNDArray(std::move(chunk), StorageType::kRowSparse, shape) {}

  // Only the stored rows whose numbers are in `rows` (any integer dtype or float holding integers, 1-D), as
  // MXNet's sparse.retain. Rows asked for that are not stored stay zero.
  RowSparseNDArray retain(const NDArray& rows) const;
  RowSparseNDArray copy() const;
  RowSparseNDArray as_in_context(Context ctx) const;
};

// MXNet's repr: "<CSRNDArray 3x4 @cpu(0)>". Waits for nothing.
std::ostream& operator<<(std::ostream& os, const SparseNDArray& array);

namespace nd::sparse {

// ---- CSR ----
// From host components, checked here: lengths agree, indptr starts at 0, never decreases and ends at nnz,
// columns lie in [0, N) and increase within each row. Throws mx::ShapeError / mx::IndexError naming csr_matrix.
CSRNDArray csr_matrix(const std::vector<double>& data, const std::vector<std::int64_t>& indices,
                      const std::vector<std::int64_t>& indptr, const Shape& shape, DType dtype = DType::kFloat32,
                      Context ctx = current_context());
// From arrays (any dtypes; indices and indptr holding integers), checked when the operation runs: an error then
// surfaces at the next sync point on the result. Shapes are checked here.
CSRNDArray csr_matrix(const NDArray& data, const NDArray& indices, const NDArray& indptr, const Shape& shape);
// The non-zero entries of a 2-D dense array (MXNet's tostype('csr')).
CSRNDArray csr_matrix(const NDArray& dense);
// All zeros: nothing stored.
CSRNDArray csr_matrix(const Shape& shape, DType dtype = DType::kFloat32, Context ctx = current_context());

// ---- Row sparse ----
// `data` holds the rows, row after row (indices.size() times the row's size values); indices strictly
// increasing in [0, M). Checked here.
RowSparseNDArray row_sparse_array(const std::vector<double>& data, const std::vector<std::int64_t>& indices,
                                  const Shape& shape, DType dtype = DType::kFloat32, Context ctx = current_context());
// data (K, shape[1:]...), indices (K,); values checked when the operation runs.
RowSparseNDArray row_sparse_array(const NDArray& data, const NDArray& indices, const Shape& shape);
// The rows of a dense array that hold a non-zero value (MXNet's tostype('row_sparse')).
RowSparseNDArray row_sparse_array(const NDArray& dense);
RowSparseNDArray row_sparse_array(const Shape& shape, DType dtype = DType::kFloat32, Context ctx = current_context());

}  // namespace nd::sparse
}  // namespace mx
