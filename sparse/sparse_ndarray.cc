// Sparse arrays: the chunk, the handles' accessors, and conversion to dense.
#include <cstring>
#include <ostream>
#include <string>

#include <mx/operators/tracing.h>
#include <mx/sparse/sparse_chunk.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx {
namespace detail {

SparseChunk::SparseChunk(Context c, DType d)
    : ctx(c), dtype(d), engine(engine::Engine::get_shared()), var(engine->new_variable()) {}

SparseChunk::~SparseChunk() {
  engine->delete_variable([](engine::RunContext) {}, ctx, var);
}

namespace sparse {

void check_usable(const char* op, Context ctx) {
  if (ctx.is_gpu()) {
    throw Error(std::string(op) + ": sparse arrays live on CPU contexts in mxpp, and " + ctx.str() +
                " was given; compute on the CPU and move the dense result with as_in_context");
  }
  if (op::thread_mode().tracer != nullptr) {
    throw Error(std::string(op) + ": sparse arrays cannot be part of a hybridized graph; call it outside "
                "hybridize (in a Block's forward, not a HybridBlock's)");
  }
}

void push(const char* op, Context ctx, std::vector<engine::VarHandle> reads, std::vector<engine::VarHandle> writes,
          std::function<void()> fn) {
  engine::PushOptions options;
  options.name = op;
  engine::Engine::get().push_sync([fn = std::move(fn)](engine::RunContext) { fn(); }, ctx, reads, writes,
                                  std::move(options));
}

}  // namespace sparse
}  // namespace detail

const char* stype_name(StorageType stype) {
  switch (stype) {
    case StorageType::kDefault: return "default";
    case StorageType::kRowSparse: return "row_sparse";
    case StorageType::kCSR: return "csr";
  }
  return "unknown";
}

SparseNDArray::SparseNDArray(std::shared_ptr<detail::SparseChunk> chunk, StorageType stype, const Shape& shape)
    : chunk_(std::move(chunk)), stype_(stype), shape_(shape) {}

void SparseNDArray::check_not_none(const char* what) const {
  if (chunk_ == nullptr) throw Error(std::string(what) + ": the sparse array is an empty handle");
}

DType SparseNDArray::dtype() const {
  check_not_none("dtype");
  return chunk_->dtype;
}

Context SparseNDArray::context() const {
  check_not_none("context");
  return chunk_->ctx;
}

engine::VarHandle SparseNDArray::var() const {
  check_not_none("var");
  return chunk_->var;
}

std::uint64_t SparseNDArray::version() const {
  check_not_none("version");
  return chunk_->version.load(std::memory_order_relaxed);
}

void SparseNDArray::bump_version() const {
  check_not_none("bump_version");
  chunk_->version.fetch_add(1, std::memory_order_relaxed);
}

void SparseNDArray::wait_to_read() const {
  check_not_none("wait_to_read");
  chunk_->engine->wait_for_var(chunk_->var);
}

namespace {

// A new dense array on the chunk's context holding `count` host values of `dtype`, shaped `shape`.
NDArray dense_copy(const void* values, DType dtype, const Shape& shape, Context ctx) {
  NDArray out(shape, ctx, dtype);
  out.copy_from_host(values, dtype, static_cast<std::size_t>(shape.size()));
  return out;
}

}  // namespace

NDArray SparseNDArray::data() const {
  wait_to_read();
  const auto count = static_cast<std::int64_t>(chunk_->value_count());
  const Shape shape = stype_ == StorageType::kCSR
                          ? Shape{count}
                          : detail::sparse::stored_rows_shape(shape_, static_cast<std::int64_t>(chunk_->indices.size()));
  return dense_copy(chunk_->values.data(), chunk_->dtype, shape, chunk_->ctx);
}

NDArray SparseNDArray::indices() const {
  wait_to_read();
  return dense_copy(chunk_->indices.data(), DType::kInt64, Shape{static_cast<std::int64_t>(chunk_->indices.size())},
                    chunk_->ctx);
}

std::int64_t SparseNDArray::nnz() const {
  wait_to_read();
  return static_cast<std::int64_t>(chunk_->value_count());
}

NDArray CSRNDArray::indptr() const {
  wait_to_read();
  return dense_copy(chunk_->indptr.data(), DType::kInt64, Shape{static_cast<std::int64_t>(chunk_->indptr.size())},
                    chunk_->ctx);
}

NDArray SparseNDArray::todense() const {
  check_not_none("todense");
  detail::sparse::check_usable("cast_storage", chunk_->ctx);
  NDArray out(shape_, chunk_->ctx, chunk_->dtype);
  const LazyBlob dst = out.lazy_blob();
  const std::int64_t columns = detail::sparse::row_size(shape_);  // a CSR row's, or a stored row's, values
  detail::sparse::push("cast_storage", chunk_->ctx, {chunk_->var}, {out.var()},
                       [chunk = chunk_, dst, columns, csr = stype_ == StorageType::kCSR] {
    const Blob out_blob = dst.resolve();
    std::memset(out_blob.data, 0, static_cast<std::size_t>(out_blob.size()) * dtype_size(out_blob.dtype));
    detail::sparse::dispatch_values(chunk->dtype, "cast_storage", [&](auto tag) {
      using T = decltype(tag);
      T* out_values = out_blob.ptr<T>();
      const T* values = chunk->values_as<T>();
      if (csr) {
        const std::int64_t rows = static_cast<std::int64_t>(chunk->indptr.size()) - 1;
        for (std::int64_t row = 0; row < rows; ++row) {
          for (std::int64_t k = chunk->indptr[row]; k < chunk->indptr[row + 1]; ++k) {
            out_values[row * columns + chunk->indices[k]] = values[k];
          }
        }
      } else {
        for (std::size_t k = 0; k < chunk->indices.size(); ++k) {
          std::memcpy(out_values + chunk->indices[k] * columns, values + static_cast<std::int64_t>(k) * columns,
                      static_cast<std::size_t>(columns) * sizeof(T));
        }
      }
    });
  });
  return out;
}

std::ostream& operator<<(std::ostream& os, const SparseNDArray& array) {
  if (array.is_none()) return os << "<" << (array.stype() == StorageType::kCSR ? "CSRNDArray" : "RowSparseNDArray")
                                 << " empty>";
  os << '<' << (array.stype() == StorageType::kCSR ? "CSRNDArray " : "RowSparseNDArray ");
  for (int axis = 0; axis < array.ndim(); ++axis) os << (axis == 0 ? "" : "x") << array.shape()[axis];
  return os << " @" << array.context().str() << '>';
}

}  // namespace mx
