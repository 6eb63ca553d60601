// MXNet's linalg extractdiag, makediag, extracttrian, maketrian and sumlogdiag: entries of the last two axes taken
// by index (take along the flattened matrix), or placed by index (take from the entries behind a leading zero),
// so take's gradient differentiates them on any device.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/indexing.h>
#include <mx/operators/linalg.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd::linalg {
namespace {

using Cells = std::vector<std::pair<std::int64_t, std::int64_t>>;  // (row, column), in the order they are listed

Cells diagonal(std::int64_t n, int offset) {
  Cells cells;
  for (std::int64_t r = std::max<std::int64_t>(0, -offset); r < n && r + offset < n; ++r) cells.emplace_back(r, r + offset);
  return cells;
}

// Row-major cells of the triangle: on and below the main diagonal (lower) or on and above it for offset 0; on and
// above the k-th diagonal for k > 0; on and below it for k < 0.
Cells triangle(std::int64_t n, int offset, bool lower) {
  const bool below = offset == 0 ? lower : offset < 0;
  Cells cells;
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::int64_t c = 0; c < n; ++c) {
      if (below ? c - r <= offset : c - r >= offset) cells.emplace_back(r, c);
    }
  }
  return cells;
}

std::int64_t square_side(const char* op, const NDArray& a) {
  if (a.ndim() < 2 || a.shape()[a.ndim() - 1] != a.shape()[a.ndim() - 2]) {
    throw ShapeError(std::string(op) + ": expects square matrices (..., n, n), got " + a.shape().str());
  }
  return a.shape()[a.ndim() - 1];
}

// The listed cells of each matrix of a (..., n, n): (..., cells).
NDArray gather_cells(const NDArray& a, std::int64_t n, const Cells& cells) {
  std::vector<std::int64_t> flat;
  for (const auto& [r, c] : cells) flat.push_back(r * n + c);
  std::vector<std::int64_t> dims(a.shape().begin(), a.shape().end() - 2);
  dims.push_back(n * n);
  return take(a.reshape(Shape(dims)), array(flat, std::nullopt, a.context()), a.ndim() - 2);
}

// Matrices (..., n, n) holding a's last axis at the listed cells, zero elsewhere.
NDArray place_cells(const NDArray& a, std::int64_t n, const Cells& cells) {
  std::vector<std::int64_t> source(static_cast<std::size_t>(n * n), 0);  // 0: the zero put in front of a's entries
  for (std::size_t i = 0; i < cells.size(); ++i) source[static_cast<std::size_t>(cells[i].first * n + cells[i].second)] = static_cast<std::int64_t>(i) + 1;
  std::vector<std::int64_t> zero_shape(a.shape().begin(), a.shape().end());
  zero_shape.back() = 1;
  const NDArray padded = concat({zeros(Shape(zero_shape), a.context(), a.dtype()), a}, a.ndim() - 1);
  std::vector<std::int64_t> dims(a.shape().begin(), a.shape().end() - 1);
  dims.push_back(n);
  dims.push_back(n);
  return take(padded, array(source, std::nullopt, a.context()), a.ndim() - 1).reshape(Shape(dims));
}

void check_vector(const char* op, const NDArray& a) {
  if (a.ndim() < 1) throw ShapeError(std::string(op) + ": expects vectors (..., m), got " + a.shape().str());
}

}  // namespace

NDArray extractdiag(const NDArray& a, int offset) {
  const std::int64_t n = square_side("extractdiag", a);
  if (std::abs(offset) >= n) throw ShapeError("extractdiag: offset " + std::to_string(offset) + " is outside " + a.shape().str());
  return gather_cells(a, n, diagonal(n, offset));
}

NDArray makediag(const NDArray& a, int offset) {
  check_vector("makediag", a);
  const std::int64_t n = a.shape()[a.ndim() - 1] + std::abs(offset);
  return place_cells(a, n, diagonal(n, offset));
}

NDArray extracttrian(const NDArray& a, int offset, bool lower) {
  const std::int64_t n = square_side("extracttrian", a);
  if (std::abs(offset) >= n) throw ShapeError("extracttrian: offset " + std::to_string(offset) + " is outside " + a.shape().str());
  return gather_cells(a, n, triangle(n, offset, lower));
}

NDArray maketrian(const NDArray& a, int offset, bool lower) {
  check_vector("maketrian", a);
  const std::int64_t m = a.shape()[a.ndim() - 1];
  std::int64_t t = 0;  // the triangle's side: t (t + 1) / 2 = m
  while ((t + 1) * (t + 2) / 2 <= m) ++t;
  if (t * (t + 1) / 2 != m || m == 0) {
    throw ShapeError("maketrian: " + std::to_string(m) + " entries do not make a triangle (t (t + 1) / 2 for some t)");
  }
  const std::int64_t n = t + std::abs(offset);
  return place_cells(a, n, triangle(n, offset, lower));
}

NDArray sumlogdiag(const NDArray& a) {
  square_side("sumlogdiag", a);
  return sum(log(extractdiag(a)), {a.ndim() - 2});
}

}  // namespace mx::nd::linalg
