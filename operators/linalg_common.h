#pragma once
// What the linalg operators share: checks of dtype and batch axes, and a loop over the matrices of a batch.
#include <string>

#include <cstring>
#include <utility>

#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/layout.h>
#include <mx/operators/parallel.h>
#include <mx/operators/registry.h>

namespace mx::op::linalg {

// A batch of matrices: the leading axes flattened to `count`.
struct Batch {
  std::int64_t count = 1, rows = 0, cols = 0;
};

inline Batch batch_of(const char* op, const ArrayInfo& a, const char* what = "input") {
  if (a.dtype != DType::kFloat32 && a.dtype != DType::kFloat64) {
    throw DTypeError(std::string(op) + ": " + what + " is " + dtype_name(a.dtype) +
                     "; float32 and float64 only (convert with astype)");
  }
  const Shape& s = a.shape;
  if (s.ndim() < 2) throw ShapeError(std::string(op) + ": " + what + " needs at least 2 axes, got " + s.str());
  Batch b;
  for (int d = 0; d < s.ndim() - 2; ++d) b.count *= s[d];
  b.rows = s[s.ndim() - 2];
  b.cols = s[s.ndim() - 1];
  return b;
}

inline Batch square_batch_of(const char* op, const ArrayInfo& a, const char* what = "input") {
  const Batch b = batch_of(op, a, what);
  if (b.rows != b.cols) {
    throw ShapeError(std::string(op) + ": " + what + " must be square matrices, got " + a.shape.str());
  }
  return b;
}

// The leading (batch) axes of two operands must agree, and their dtypes.
inline void check_same_batch(const char* op, const ArrayInfo& a, const ArrayInfo& b) {
  if (a.dtype != b.dtype) {
    throw DTypeError(std::string(op) + ": operands have different dtypes, " + dtype_name(a.dtype) + " and " +
                     dtype_name(b.dtype));
  }
  bool same = a.shape.ndim() == b.shape.ndim();
  for (int d = 0; same && d < a.shape.ndim() - 2; ++d) same = a.shape[d] == b.shape[d];
  if (!same) {
    throw ShapeError(std::string(op) + ": operands " + a.shape.str() + " and " + b.shape.str() +
                     " must have the same leading (batch) axes");
  }
}

// `s` with its last two extents replaced.
inline Shape with_matrix(const Shape& s, std::int64_t rows, std::int64_t cols) {
  Shape r = s;
  r[r.ndim() - 2] = rows;
  r[r.ndim() - 1] = cols;
  return r;
}

// fn(i) for each matrix of the batch, in parallel; LAPACK runs single-threaded inside each.
template <class Fn>
void for_each_matrix(std::int64_t count, Fn fn) {
  op::parallel_for(count, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) fn(i);
  }, 1);
}

template <class Fn>
void dispatch_real(DType dtype, Fn fn) {
  if (dtype == DType::kFloat32) fn(float{});
  else fn(double{});
}

// Copies the input into the output, then calls fn(matrix, index, n) on each n x n matrix of the output (as
// float* or double*): for the LAPACK routines that work in place.
template <class Fn>
void factor_in_place(const Blob& in, const Blob& out, Fn fn) {
  const std::int64_t n = in.shape[in.shape.ndim() - 1];
  std::memcpy(out.data, in.data, static_cast<std::size_t>(out.size()) * dtype_size(out.dtype));
  dispatch_real(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    for_each_matrix(n == 0 ? 0 : out.size() / (n * n), [&](std::int64_t i) { fn(out.ptr<T>() + i * n * n, i, n); });
  });
}

struct NoParams {};

// The operators with two outputs return them as a pair.
inline std::pair<NDArray, NDArray> invoke_pair(const Operator<NoParams>& op, const NDArray& a) {
  std::vector<NDArray> outputs(2);
  invoke(op, std::span(&a, 1), NoParams{}, std::span(outputs));
  return {outputs[0], outputs[1]};
}

// The matrices of a batch transposed (the last two axes swapped).
inline NDArray transposed(const NDArray& x) { return nd::swapaxes(x, -1, -2); }

[[noreturn]] inline void fail_matrix(const char* op, std::int64_t index, const Shape& s, const std::string& why) {
  throw Error(std::string(op) + ": matrix " + std::to_string(index) + " of " + s.str() + " " + why);
}

}  // namespace mx::op::linalg
