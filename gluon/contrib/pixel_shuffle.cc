#include <mx/gluon/contrib/pixel_shuffle.h>

#include <cctype>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::contrib::nn {

namespace {
std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}
}  // namespace

PixelShuffle::PixelShuffle(std::vector<std::int64_t> factors, std::size_t axes, const char* name, Prefix prefix)
    : HybridBlock(lower(name), std::move(prefix)), factors_(std::move(factors)), name_(name) {
  if (factors_.size() != axes) {
    throw Error(std::string(name) + ": takes " + std::to_string(axes) + " factors, got " + std::to_string(factors_.size()));
  }
  for (std::int64_t f : factors_) {
    if (f < 1) throw Error(repr() + ": factors must be positive");
  }
}

NDArray PixelShuffle::forward(const NDArray& x) {
  const int k = static_cast<int>(factors_.size());
  std::int64_t block = 1;
  for (std::int64_t f : factors_) block *= f;
  if (x.ndim() != k + 2 || x.shape()[1] % block != 0) {
    throw ShapeError(repr() + ": expects (N, C * " + std::to_string(block) + ", " + std::to_string(k) +
                     " spatial axes), got " + x.shape().str());
  }
  const Shape& s = x.shape();
  std::vector<std::int64_t> split = {s[0], s[1] / block}, merged = {s[0], s[1] / block};
  std::vector<int> order = {0, 1};
  split.insert(split.end(), factors_.begin(), factors_.end());
  for (int i = 0; i < k; ++i) {
    split.push_back(s[2 + i]);
    order.push_back(2 + k + i);  // the spatial axis, then its factor
    order.push_back(2 + i);
    merged.push_back(s[2 + i] * factors_[static_cast<std::size_t>(i)]);
  }
  return nd::transpose(x.reshape(split), order).reshape(merged);
}

std::string PixelShuffle::repr() const {
  std::string text = std::string(name_) + "(";
  for (std::size_t i = 0; i < factors_.size(); ++i) text += (i ? ", " : "") + std::to_string(factors_[i]);
  return text + ")";
}

PixelShuffle1D::PixelShuffle1D(std::int64_t factor, Prefix prefix)
    : PixelShuffle({factor}, 1, "PixelShuffle1D", std::move(prefix)) {}

PixelShuffle2D::PixelShuffle2D(std::pair<std::int64_t, std::int64_t> factors, Prefix prefix)
    : PixelShuffle({factors.first, factors.second}, 2, "PixelShuffle2D", std::move(prefix)) {}

PixelShuffle3D::PixelShuffle3D(std::vector<std::int64_t> factors, Prefix prefix)
    : PixelShuffle(std::move(factors), 3, "PixelShuffle3D", std::move(prefix)) {}

}  // namespace mx::gluon::contrib::nn
