// Elementwise functions that keep zeros zero, applied to the stored values, and sums of CSR arrays along an axis.
#include <cmath>
#include <cstring>

#include <mx/sparse/operand.h>
#include <mx/sparse/sparse_ops.h>

namespace mx::nd::sparse {
namespace {

namespace ds = detail::sparse;
using detail::SparseChunk;

const char* name_of(ZeroPreserving fn) {
  switch (fn) {
    case ZeroPreserving::kAbs: return "abs";
    case ZeroPreserving::kSign: return "sign";
    case ZeroPreserving::kSqrt: return "sqrt";
    case ZeroPreserving::kSquare: return "square";
    case ZeroPreserving::kRelu: return "relu";
    case ZeroPreserving::kTanh: return "tanh";
    case ZeroPreserving::kSin: return "sin";
    case ZeroPreserving::kExpm1: return "expm1";
    case ZeroPreserving::kLog1p: return "log1p";
    case ZeroPreserving::kFloor: return "floor";
    case ZeroPreserving::kCeil: return "ceil";
    case ZeroPreserving::kRound: return "round";
  }
  return "map_values";
}

template <class T>
T apply(ZeroPreserving fn, T v) {
  switch (fn) {
    case ZeroPreserving::kAbs: return std::abs(v);
    case ZeroPreserving::kSign: return static_cast<T>((v > 0) - (v < 0));
    case ZeroPreserving::kSqrt: return std::sqrt(v);
    case ZeroPreserving::kSquare: return v * v;
    case ZeroPreserving::kRelu: return v > 0 ? v : T(0);
    case ZeroPreserving::kTanh: return std::tanh(v);
    case ZeroPreserving::kSin: return std::sin(v);
    case ZeroPreserving::kExpm1: return std::expm1(v);
    case ZeroPreserving::kLog1p: return std::log1p(v);
    case ZeroPreserving::kFloor: return std::floor(v);
    case ZeroPreserving::kCeil: return std::ceil(v);
    case ZeroPreserving::kRound: return std::round(v);
  }
  return v;
}

}  // namespace

CSRNDArray map_values(const CSRNDArray& a, ZeroPreserving fn) {
  return CSRNDArray(ds::map_stored(name_of(fn), a, [fn](auto v) { return apply(fn, v); }), a.shape());
}

RowSparseNDArray map_values(const RowSparseNDArray& a, ZeroPreserving fn) {
  return RowSparseNDArray(ds::map_stored(name_of(fn), a, [fn](auto v) { return apply(fn, v); }), a.shape());
}

NDArray sum(const CSRNDArray& a, int axis) {
  ds::check_sparse_operand("sum", a, "the operand");
  if (axis < 0) axis += 2;
  if (axis != 0 && axis != 1) throw ShapeError("sum: a CSR array has axes 0 and 1, not " + std::to_string(axis));
  NDArray out(Shape{a.shape()[1 - axis]}, a.context(), a.dtype());
  ds::push("sum", out.context(), {a.var()}, {out.var()}, [chunk = a.chunk(), o = out.lazy_blob(), axis] {
    const Blob result = o.resolve();
    std::memset(result.data, 0, static_cast<std::size_t>(result.size()) * dtype_size(result.dtype));
    ds::dispatch_values(chunk->dtype, "sum", [&](auto tag) {
      using T = decltype(tag);
      const T* values = chunk->values_as<T>();
      T* sums = result.ptr<T>();
      const std::int64_t rows = static_cast<std::int64_t>(chunk->indptr.size()) - 1;
      for (std::int64_t row = 0; row < rows; ++row) {
        for (std::int64_t k = chunk->indptr[row]; k < chunk->indptr[row + 1]; ++k) {
          sums[axis == 0 ? chunk->indices[k] : row] += values[k];
        }
      }
    });
  });
  return out;
}

}  // namespace mx::nd::sparse
