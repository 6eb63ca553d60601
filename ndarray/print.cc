// Printing as MXNet does: NumPy's text of the values, then "<NDArray 2x3 @cpu(0)>".
#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx {
namespace {

constexpr std::int64_t kSummarizeAbove = 1000;  // NumPy's threshold: larger arrays show their edges
constexpr std::int64_t kEdgeItems = 3;
constexpr int kPrecision = 8;  // NumPy's default print precision

// NumPy's float text: the shortest representation that reads back, "1." for integral values, "nan", "inf".
std::string float_text(double value, bool is_single) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buffer[64];
  auto result = is_single ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value))
                          : std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  const std::size_t dot = text.find('.');
  if (text.find('e') == std::string::npos && dot != std::string::npos && text.size() - dot - 1 > kPrecision) {
    // NumPy prints at most kPrecision fractional digits, then drops trailing zeros.
    result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, kPrecision);
    text.assign(buffer, result.ptr);
    text.erase(text.find_last_not_of('0') + 1);
  }
  if (text.find_first_of(".e") == std::string::npos) text += ".";
  return text;
}

class Printer {
 public:
  explicit Printer(const NDArray& array)
      : shape_(array.shape()), dtype_(array.dtype()), summarize_(array.size() > kSummarizeAbove) {
    if (dtype_ == DType::kInt64) {  // beyond 2^53, double would lose digits
      for (std::int64_t v : array.asnumpy<std::int64_t>()) texts_.push_back(std::to_string(v));
    } else {
      for (double v : array.asnumpy<double>()) texts_.push_back(text(v));
    }
    // NumPy aligns floats on their decimal point and right-aligns everything else.
    if (dtype_ == DType::kBool) int_width_ = 5;  // NumPy pads True to the width of False
    for (const std::string& t : texts_) {
      const std::size_t dot = is_floating(dtype_) ? t.find('.') : std::string::npos;
      if (dot == std::string::npos) {
        int_width_ = std::max(int_width_, t.size());
      } else {
        int_width_ = std::max(int_width_, dot);
        frac_width_ = std::max(frac_width_, t.size() - dot);
      }
    }
  }

  void print(std::ostream& os) {
    if (shape_.ndim() == 0) {
      os << texts_[0];
      return;
    }
    print_axis(os, 0, 0, 1);
  }

 private:
  std::string text(double value) const {
    if (dtype_ == DType::kBool) return value != 0 ? "True" : "False";
    if (!is_floating(dtype_)) return std::to_string(static_cast<std::int64_t>(value));
    return float_text(value, dtype_ != DType::kFloat64);
  }

  std::string padded(std::size_t index) const {
    const std::string& t = texts_[index];
    const std::size_t dot = is_floating(dtype_) ? t.find('.') : std::string::npos;
    const std::size_t int_part = dot == std::string::npos ? t.size() : dot;
    const std::size_t frac_part = dot == std::string::npos ? 0 : t.size() - dot;
    return std::string(int_width_ - std::min(int_width_, int_part), ' ') + t +
           std::string(frac_width_ > frac_part && dot != std::string::npos ? frac_width_ - frac_part : 0, ' ');
  }

  // Prints the sub-array at flat `offset` starting at `axis`, `indent` columns in.
  void print_axis(std::ostream& os, int axis, std::int64_t offset, int indent) {
    const std::int64_t extent = shape_[axis];
    std::int64_t stride = 1;
    for (int a = axis + 1; a < shape_.ndim(); ++a) stride *= shape_[a];
    const bool innermost = axis + 1 == shape_.ndim();
    std::vector<std::int64_t> items;  // -1 stands for the "..." of a summarized axis
    for (std::int64_t i = 0; i < extent; ++i) {
      if (summarize_ && extent > 2 * kEdgeItems && i == kEdgeItems) {
        items.push_back(-1);
        i = extent - kEdgeItems;
      }
      items.push_back(i);
    }
    os << "[";
    for (std::size_t k = 0; k < items.size(); ++k) {
      if (k > 0) {
        os << (innermost ? std::string(" ")
                         : std::string(static_cast<std::size_t>(shape_.ndim() - axis - 1), '\n') +
                               std::string(indent, ' '));
      }
      if (items[k] < 0) {
        os << "...";
      } else if (innermost) {
        os << padded(static_cast<std::size_t>(offset + items[k]));
      } else {
        print_axis(os, axis + 1, offset + items[k] * stride, indent + 1);
      }
    }
    os << "]";
  }

  Shape shape_;
  DType dtype_;
  bool summarize_;
  std::vector<std::string> texts_;
  std::size_t int_width_ = 0, frac_width_ = 0;
};

std::string shape_label(const Shape& shape) {
  std::string label;
  for (int i = 0; i < shape.ndim(); ++i) label += (i ? "x" : "") + std::to_string(shape[i]);
  return label.empty() ? "()" : label;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const NDArray& array) {
  if (array.is_none()) return os << "<NDArray none>";
  Printer(array).print(os);
  return os << "\n<NDArray " << shape_label(array.shape()) << " @" << array.context().str() << ">";
}

}  // namespace mx
