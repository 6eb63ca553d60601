#include <mx/ndarray/shape.h>

#include <algorithm>
#include <ostream>
#include <vector>

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
  for (int i = 0; i < ndim_; ++i) {
    // An absurd shape (from a file or an attribute) is refused rather than wrapped round.
    if (__builtin_mul_overflow(n, dims_[i], &n)) throw ShapeError("shape " + str() + " has more elements than 64 bits count");
  }
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

Shape infer_reshape(const Shape& from, std::span<const std::int64_t> spec, bool reverse) {
  auto fail = [&](const std::string& why) {
    std::string wanted = "(";
    for (std::size_t i = 0; i < spec.size(); ++i) wanted += (i ? ", " : "") + std::to_string(spec[i]);
    throw ShapeError("reshape: cannot reshape " + from.str() + " to " + wanted + (spec.size() == 1 ? ",)" : ")") +
                     (reverse ? " (reverse)" : "") + ": " + why);
  };
  auto times = [&](std::int64_t a, std::int64_t b) {
    std::int64_t product = 0;
    if (__builtin_mul_overflow(a, b, &product)) fail("the extents overflow 64 bits");
    return product;
  };
  // Both read from the right when reversed; the result is turned back at the end.
  std::vector<std::int64_t> in(from.dims().begin(), from.dims().end()), want(spec.begin(), spec.end());
  if (reverse) {
    std::reverse(in.begin(), in.end());
    std::reverse(want.begin(), want.end());
  }
  std::vector<std::int64_t> out;
  std::size_t next = 0;  // the next input axis
  auto take = [&](const char* code) {
    if (next >= in.size()) fail(std::string(code) + " has no input axis left to take");
    return in[next++];
  };
  int unknown = -1;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::int64_t d = want[i];
    if (d > 0) {
      out.push_back(d);
      ++next;
    } else if (d == 0) {
      out.push_back(take("0"));
    } else if (d == -1) {
      if (unknown >= 0) fail("-1 appears more than once");
      unknown = static_cast<int>(out.size());
      out.push_back(1);
      ++next;
    } else if (d == -2) {
      while (next < in.size()) out.push_back(in[next++]);
    } else if (d == -3) {
      const std::int64_t first = take("-3");
      out.push_back(times(first, take("-3")));
    } else if (d == -4) {
      if (i + 2 >= want.size()) fail("-4 needs the two extents it splits into after it");
      const std::int64_t whole = take("-4");
      std::int64_t a = want[++i], b = want[++i];
      if (a == 0 || b == 0 || a < -1 || b < -1 || (a == -1 && b == -1)) {
        fail("-4 splits into two positive extents, one of which may be -1");
      }
      if (a == -1 || b == -1) {
        const std::int64_t known = a == -1 ? b : a;
        if (whole % known != 0) fail("-4 cannot split extent " + std::to_string(whole) + " by " + std::to_string(known));
        (a == -1 ? a : b) = whole / known;
      }
      if (times(a, b) != whole) {
        fail("-4 cannot split extent " + std::to_string(whole) + " into " + std::to_string(a) + " x " + std::to_string(b));
      }
      out.push_back(a);
      out.push_back(b);
    } else {
      fail("extents must be positive or one of MXNet's special values 0, -1, -2, -3, -4");
    }
  }
  std::int64_t known = 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (static_cast<int>(i) != unknown) known = times(known, out[i]);
  }
  if (unknown >= 0) {
    if (known == 0 || from.size() % known != 0) fail(std::to_string(from.size()) + " elements do not divide");
    out[static_cast<std::size_t>(unknown)] = from.size() / known;
  } else if (known != from.size()) {
    fail(std::to_string(from.size()) + " elements cannot become " + std::to_string(known));
  }
  if (out.size() > static_cast<std::size_t>(Shape::kMaxNdim)) {
    fail("more than " + std::to_string(Shape::kMaxNdim) + " axes");
  }
  if (reverse) std::reverse(out.begin(), out.end());
  return Shape(out);
}

}  // namespace mx
