#pragma once
// The shape of an array: its extent along each axis. A scalar has no axes and one element. Extents are stored
// inline (at most kMaxNdim axes), so copying a shape, as every array handle and operation does, never allocates.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mx {

class Shape {
 public:
  static constexpr int kMaxNdim = 8;

  Shape() = default;
  // Throw mx::ShapeError for more than kMaxNdim axes.
  Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.size()); }
  explicit Shape(std::span<const std::int64_t> dims) { assign(dims.data(), dims.size()); }
  explicit Shape(const std::vector<std::int64_t>& dims) { assign(dims.data(), dims.size()); }

  int ndim() const { return ndim_; }
  std::int64_t size() const;  // the number of elements
  std::int64_t operator[](int axis) const { return dims_[axis]; }
  std::int64_t& operator[](int axis) { return dims_[axis]; }
  std::span<const std::int64_t> dims() const { return {dims_.data(), static_cast<std::size_t>(ndim_)}; }
  const std::int64_t* begin() const { return dims_.data(); }
  const std::int64_t* end() const { return dims_.data() + ndim_; }
  bool operator==(const Shape& other) const;
  // The shape with `extent` appended (throws mx::ShapeError past kMaxNdim).
  void push_back(std::int64_t extent);

  // As MXNet and NumPy print it: "(5, 3)", "(4,)", "()".
  std::string str() const;

 private:
  void assign(const std::int64_t* dims, std::size_t ndim);

  std::array<std::int64_t, kMaxNdim> dims_{};
  int ndim_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Shape& shape);

// An axis given by a caller (negative counts from the end) as an index in [0, ndim); throws mx::ShapeError
// naming `op` when it is out of range.
int normalize_axis(int axis, int ndim, std::string_view op);

// NumPy broadcasting: shapes align at their last axes, and an extent of 1 stretches. Throws mx::ShapeError
// naming `op` and both shapes when they cannot.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

// The shape MXNet's reshape gives `from` for `spec`, walking the input's axes as it reads the spec: a positive
// extent is taken as it is (and passes one input axis); 0 copies the next input axis; -1 is inferred from what is
// left (at most once; it passes one input axis); -2 copies every input axis left; -3 merges the next two into their
// product; -4 splits the next one into the two extents that follow it (one of them may be -1). With `reverse`, the
// axes are matched from the right: (10, 5, 4) with (-1, 0) gives (40, 5), reversed (50, 4). Throws
// mx::ShapeError naming both shapes when the spec does not fit or the element counts cannot match.
Shape infer_reshape(const Shape& from, std::span<const std::int64_t> spec, bool reverse = false);

}  // namespace mx
