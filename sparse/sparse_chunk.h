#pragma once
// The storage behind a sparse array: host buffers for its components and one engine variable that orders every
// operation on them. For the operations on sparse arrays (sparse/, and the kvstore's sums across processes).
//
// The buffers are resized by the operation that writes the array, on an engine worker, because how many values
// a result stores is known only then. Only operations holding `var` (written, or read) touch them, so the
// engine's ordering is their lock. The chunk's variable is deleted through the engine after the last operation.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <mx/engine/engine.h>
#include <mx/ndarray/dtype.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/shape.h>

namespace mx::detail {

struct SparseChunk {
  SparseChunk(Context ctx, DType dtype);
  ~SparseChunk();
  SparseChunk(const SparseChunk&) = delete;
  SparseChunk& operator=(const SparseChunk&) = delete;

  template <class T>
  T* values_as() { return reinterpret_cast<T*>(values.data()); }
  template <class T>
  void resize_values(std::size_t count) { values.resize(count * sizeof(T)); }
  std::size_t value_count() const { return values.size() / dtype_size(dtype); }

  const Context ctx;
  const DType dtype;
  const std::shared_ptr<engine::Engine> engine;  // outlives the chunk, also during static destruction
  const engine::VarHandle var;
  std::vector<std::byte> values;
  std::vector<std::int64_t> indices;
  std::vector<std::int64_t> indptr;  // CSR only
  std::atomic<std::uint64_t> version{0};  // writes into an existing array (copyto), as NDArray::version
};

namespace sparse {

// The values in one stored row of a row-sparse array of this shape (1 for a 1-D array), and the shape of `rows`
// such rows: (rows, shape[1:]...).
inline std::int64_t row_size(const Shape& shape) {
  std::int64_t size = 1;
  for (int axis = 1; axis < shape.ndim(); ++axis) size *= shape[axis];
  return size;
}
inline Shape stored_rows_shape(const Shape& shape, std::int64_t rows) {
  Shape stored{rows};
  for (int axis = 1; axis < shape.ndim(); ++axis) stored.push_back(shape[axis]);
  return stored;
}

// Calls fn(float{}) or fn(double{}); throws mx::DTypeError naming `op` for other dtypes.
template <class Fn>
void dispatch_values(DType dtype, const char* op, Fn&& fn) {
  if (dtype == DType::kFloat32) return fn(float{});
  if (dtype == DType::kFloat64) return fn(double{});
  throw DTypeError(std::string(op) + ": sparse values must be float32 or float64, got " + dtype_name(dtype));
}

// Throws mx::Error naming `op` when `ctx` is not a CPU context, or when hybridize is tracing (a sparse
// operation has no node in a graph).
void check_usable(const char* op, Context ctx);

// Sums loose rows into `out` (indices and values, of out.dtype): row k of `values` (row_size values each) adds into
// row rows[k], clipped into [0, limit); equal numbers add in the order given, so every caller gets the same bits.
void sum_rows(std::span<const std::int64_t> rows, const std::byte* values, std::int64_t row_size,
              std::int64_t limit, SparseChunk& out);

// Pushes `fn` on the CPU engine with these variables read and written, named `op` for errors and the profiler.
void push(const char* op, Context ctx, std::vector<engine::VarHandle> reads, std::vector<engine::VarHandle> writes,
          std::function<void()> fn);

}  // namespace sparse
}  // namespace mx::detail
