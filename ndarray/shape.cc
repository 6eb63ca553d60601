#include <mx/ndarray/shape.h>

#include <ostream>

#include <mx/ndarray/error.h>

namespace mx {

void Shape::assign(const std::int64_t* dims, std::size_t ndim) {
  if (ndim > static_cast<std::size_t>(kMaxNdim)) {
    throw ShapeError("shape: " + std::to_string(ndim) + " axes given; arrays have at most " +
                     std::to_string(kMaxNdim));
  }
  for (std::size_t i = 0; i < ndim; ++i) dims_[i] = dims[i];
  ndim_ = static_cast<int>(ndim);
}

void Shape::push_back(std::int64_t extent) {
  if (ndim_ == kMaxNdim) throw ShapeError("shape: arrays have at most " + std::to_string(kMaxNdim) + " axes");
  dims_[ndim_++] = extent;
}

bool Shape::operator==(const Shape& other) const {
  if (ndim_ != other.ndim_) return false;
  for (int i = 0; i < ndim_; ++i) {
    if (dims_[i] != other.dims_[i]) return false;
  }
  return true;
}

std::int64_t Shape::size() const {
  std::int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= dims_[i];
  return n;
}

std::string Shape::str() const {
  std::string text = "(";
  for (int i = 0; i < ndim_; ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(dims_[i]);
  }
  if (ndim_ == 1) text += ",";
  return text + ")";
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.str(); }

int normalize_axis(int axis, int ndim, std::string_view op) {
  const int normalized = axis < 0 ? axis + ndim : axis;
  if (normalized < 0 || normalized >= ndim) {
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for an array of " +
                     std::to_string(ndim) + " dimension(s)");
  }
  return normalized;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
  const int ndim = std::max(a.ndim(), b.ndim());
  Shape out;
  for (int i = 0; i < ndim; ++i) {
    const int ia = a.ndim() - ndim + i, ib = b.ndim() - ndim + i;
    const std::int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + a.str() + " and " + b.str() +
                       " cannot be broadcast together");
    }
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

Shape infer_reshape(const Shape& from, std::span<const std::int64_t> spec) {
  auto fail = [&](const std::string& why) {
    std::string wanted = "(";
    for (std::size_t i = 0; i < spec.size(); ++i) wanted += (i ? ", " : "") + std::to_string(spec[i]);
    throw ShapeError("reshape: cannot reshape " + from.str() + " to " + wanted + (spec.size() == 1 ? ",)" : ")") +
                     ": " + why);
  };
  std::vector<std::int64_t> out(spec.size());
  int unknown = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == 0) {
      if (static_cast<int>(i) >= from.ndim()) fail("0 at axis " + std::to_string(i) + " has no extent to copy");
      out[i] = from[static_cast<int>(i)];
    } else if (spec[i] == -1) {
      if (unknown >= 0) fail("-1 appears more than once");
      unknown = static_cast<int>(i);
      continue;
    } else if (spec[i] < 0) {
      fail("extents must be positive, 0 or -1");
    } else {
      out[i] = spec[i];
    }
    known *= out[i];
  }
  if (unknown >= 0) {
    if (known == 0 || from.size() % known != 0) fail(std::to_string(from.size()) + " elements do not divide");
    out[unknown] = from.size() / known;
  } else if (known != from.size()) {
    fail(std::to_string(from.size()) + " elements cannot become " + std::to_string(known));
  }
  return Shape(out);
}

}  // namespace mx
