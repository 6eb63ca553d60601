#include <mx/gluon/data/vision/transforms.h>

#include <cmath>
#include <tuple>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/image.h>
#include <mx/operators/layout.h>
#include <mx/operators/nn.h>
#include <mx/operators/random.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/slice.h>

namespace mx::gluon::data::vision::transforms {

NDArray ToTensor::forward(const NDArray& x) { return nd::image::to_tensor(x); }

Normalize::Normalize(std::vector<double> mean, std::vector<double> std) : mean_(std::move(mean)), std_(std::move(std)) {
  if (mean_.empty() || std_.empty()) throw Error("Normalize: mean and std need at least one value");
}

NDArray Normalize::forward(const NDArray& x) { return nd::image::normalize(x, mean_, std_); }

namespace {

std::pair<std::int64_t, std::int64_t> width_height(const char* transform, const std::vector<std::int64_t>& size) {
  if (size.empty() || size.size() > 2 || size[0] < 1 || size.back() < 1) {
    throw Error(std::string(transform) + ": size must be one or two positive values (width, height)");
  }
  return {size[0], size.back()};
}

// (H, W, C) images only: the random transforms act per image.
void check_image(const char* transform, const NDArray& x) {
  if (x.ndim() != 3) throw ShapeError(std::string(transform) + ": expects an image (H, W, C), got " + x.shape().str());
}

double draw_uniform(double low, double high) { return nd::random::uniform(low, high, {1}).asscalar<double>(); }

NDArray crop(const NDArray& x, std::int64_t left, std::int64_t top, std::int64_t width, std::int64_t height) {
  return nd::slice(x, {top, left}, {top + height, left + width});
}

// Each pixel's gray level (ITU-R BT.601 weights) of an RGB image as float32, (H, W, 1).
NDArray gray_levels(const NDArray& rgb) {
  return nd::sum(rgb.astype(DType::kFloat32) * nd::array({0.299, 0.587, 0.114}), {2}, /*keepdims=*/true);
}

// The image's values scaled, in its own dtype (integers saturated as uint8 images are).
NDArray scaled_like(const NDArray& x, const NDArray& value) {
  if (is_floating(x.dtype())) return value.astype(x.dtype());
  return nd::clip(nd::round(value), 0, 255).astype(x.dtype());
}

}  // namespace

Resize::Resize(std::vector<std::int64_t> size, bool keep_ratio) : size_(std::move(size)), keep_ratio_(keep_ratio) {
  width_height("Resize", size_);
}

NDArray Resize::forward(const NDArray& x) {
  const int w_axis = x.ndim() - 2, h_axis = x.ndim() - 3;
  if (x.ndim() != 3 && x.ndim() != 4) throw ShapeError("Resize: expects (H, W, C) or (N, H, W, C), got " + x.shape().str());
  auto [w, h] = width_height("Resize", size_);
  if (keep_ratio_ && size_.size() == 1) {
    const double in_w = static_cast<double>(x.shape()[w_axis]), in_h = static_cast<double>(x.shape()[h_axis]);
    if (in_w < in_h) h = static_cast<std::int64_t>(std::lround(in_h * static_cast<double>(w) / in_w));
    else w = static_cast<std::int64_t>(std::lround(in_w * static_cast<double>(h) / in_h));
  }
  return nd::image::resize(x, w, h);
}

CenterCrop::CenterCrop(std::vector<std::int64_t> size) { std::tie(width_, height_) = width_height("CenterCrop", size); }

NDArray CenterCrop::forward(const NDArray& x) {
  check_image("CenterCrop", x);
  NDArray image = x;
  const std::int64_t h = x.shape()[0], w = x.shape()[1];
  if (w < width_ || h < height_) {  // too small: scale up so that the crop fits
    const double factor = std::max(static_cast<double>(width_) / static_cast<double>(w),
                                   static_cast<double>(height_) / static_cast<double>(h));
    image = nd::image::resize(x, std::max(width_, static_cast<std::int64_t>(std::ceil(w * factor))),
                              std::max(height_, static_cast<std::int64_t>(std::ceil(h * factor))));
  }
  const std::int64_t H = image.shape()[0], W = image.shape()[1];
  return crop(image, (W - width_) / 2, (H - height_) / 2, width_, height_);
}

RandomResizedCrop::RandomResizedCrop(std::vector<std::int64_t> size, std::pair<double, double> scale,
                                     std::pair<double, double> ratio)
    : scale_(scale), ratio_(ratio) {
  std::tie(width_, height_) = width_height("RandomResizedCrop", size);
  if (!(0 < scale.first && scale.first <= scale.second && scale.second <= 1)) {
    throw Error("RandomResizedCrop: scale must satisfy 0 < low <= high <= 1");
  }
  if (!(0 < ratio.first && ratio.first <= ratio.second)) throw Error("RandomResizedCrop: ratio must satisfy 0 < low <= high");
}

NDArray RandomResizedCrop::forward(const NDArray& x) {
  check_image("RandomResizedCrop", x);
  const std::int64_t h = x.shape()[0], w = x.shape()[1];
  const double area = static_cast<double>(h * w);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * draw_uniform(scale_.first, scale_.second);
    const double aspect = std::exp(draw_uniform(std::log(ratio_.first), std::log(ratio_.second)));
    const auto cw = static_cast<std::int64_t>(std::lround(std::sqrt(target * aspect)));
    const auto ch = static_cast<std::int64_t>(std::lround(std::sqrt(target / aspect)));
    if (cw < 1 || ch < 1 || cw > w || ch > h) continue;
    const auto left = static_cast<std::int64_t>(draw_uniform(0, static_cast<double>(w - cw + 1)));
    const auto top = static_cast<std::int64_t>(draw_uniform(0, static_cast<double>(h - ch + 1)));
    return nd::image::resize(crop(x, std::min(left, w - cw), std::min(top, h - ch), cw, ch), width_, height_);
  }
  return nd::image::resize(CenterCrop({std::min(w, h)})(x), width_, height_);
}

RandomCrop::RandomCrop(std::vector<std::int64_t> size, std::int64_t pad, double pad_value) : pad_(pad), pad_value_(pad_value) {
  std::tie(width_, height_) = width_height("RandomCrop", size);
  if (pad < 0) throw Error("RandomCrop: pad must not be negative, got " + std::to_string(pad));
}

NDArray RandomCrop::forward(const NDArray& x) {
  check_image("RandomCrop", x);
  NDArray image = pad_ > 0 ? nd::pad(x, {pad_, pad_, pad_, pad_, 0, 0}, nd::PadMode::kConstant, pad_value_) : x;
  const std::int64_t h = image.shape()[0], w = image.shape()[1];
  if (w < width_ || h < height_) image = nd::image::resize(image, std::max(w, width_), std::max(h, height_));
  const std::int64_t H = image.shape()[0], W = image.shape()[1];
  const auto left = std::min(W - width_, static_cast<std::int64_t>(draw_uniform(0, static_cast<double>(W - width_ + 1))));
  const auto top = std::min(H - height_, static_cast<std::int64_t>(draw_uniform(0, static_cast<double>(H - height_ + 1))));
  return crop(image, left, top, width_, height_);
}

CropResize::CropResize(std::int64_t x, std::int64_t y, std::int64_t width, std::int64_t height, std::vector<std::int64_t> size)
    : x_(x), y_(y), width_(width), height_(height), size_(std::move(size)) {
  if (x < 0 || y < 0 || width < 1 || height < 1) {
    throw Error("CropResize: needs x, y >= 0 and a positive width and height, got (" + std::to_string(x) + ", " +
                std::to_string(y) + ", " + std::to_string(width) + ", " + std::to_string(height) + ")");
  }
  if (!size_.empty()) width_height("CropResize", size_);
}

NDArray CropResize::forward(const NDArray& x) {
  if (x.ndim() != 3 && x.ndim() != 4) throw ShapeError("CropResize: expects (H, W, C) or (N, H, W, C), got " + x.shape().str());
  const int h_axis = x.ndim() - 3;
  const std::int64_t h = x.shape()[h_axis], w = x.shape()[h_axis + 1];
  if (x_ + width_ > w || y_ + height_ > h) {
    throw ShapeError("CropResize: the crop (" + std::to_string(x_) + ", " + std::to_string(y_) + ") of " +
                     std::to_string(width_) + " x " + std::to_string(height_) + " does not fit in " + x.shape().str());
  }
  std::vector<nd::SliceBound> begin(static_cast<std::size_t>(h_axis)), end(static_cast<std::size_t>(h_axis));  // whole batch
  begin.insert(begin.end(), {y_, x_});
  end.insert(end.end(), {y_ + height_, x_ + width_});
  const NDArray cropped = nd::slice(x, begin, end);
  if (size_.empty()) return cropped;
  const auto [width, height] = width_height("CropResize", size_);
  return nd::image::resize(cropped, width, height);
}

NDArray RandomFlipLeftRight::forward(const NDArray& x) {
  check_image("RandomFlipLeftRight", x);
  return draw_uniform(0, 1) < 0.5 ? nd::flip(x, 1) : x;
}

NDArray RandomFlipTopBottom::forward(const NDArray& x) {
  check_image("RandomFlipTopBottom", x);
  return draw_uniform(0, 1) < 0.5 ? nd::flip(x, 0) : x;
}

RandomBrightness::RandomBrightness(double brightness) : brightness_(brightness) {
  if (brightness < 0) throw Error("RandomBrightness: brightness must not be negative");
}

NDArray RandomBrightness::forward(const NDArray& x) {
  const double alpha = 1 + draw_uniform(-brightness_, brightness_);
  return scaled_like(x, x.astype(DType::kFloat32) * alpha);
}

RandomContrast::RandomContrast(double contrast) : contrast_(contrast) {
  if (contrast < 0) throw Error("RandomContrast: contrast must not be negative");
}

NDArray RandomContrast::forward(const NDArray& x) {
  check_image("RandomContrast", x);
  const double alpha = 1 + draw_uniform(-contrast_, contrast_);
  const NDArray f = x.astype(DType::kFloat32);
  const NDArray gray = nd::mean(x.shape()[2] == 3 ? gray_levels(x) : f);  // the mean luminance
  return scaled_like(x, f * alpha + gray * (1 - alpha));
}

namespace {

void check_rgb(const char* transform, const NDArray& x) {
  check_image(transform, x);
  if (x.shape()[2] != 3) throw ShapeError(std::string(transform) + ": expects an RGB image (H, W, 3), got " + x.shape().str());
}

// x's pixels (H, W, 3) times the 3 x 3 matrix m (row-major) on the right, as float32.
NDArray mix_channels(const NDArray& x, const std::vector<double>& m) {
  const Shape shape = x.shape();
  const NDArray pixels = x.astype(DType::kFloat32).reshape({-1, 3});
  return nd::dot(pixels, nd::array(m, Shape{3, 3}, x.context(), DType::kFloat32)).reshape(shape);
}

}  // namespace

RandomSaturation::RandomSaturation(double saturation) : saturation_(saturation) {
  if (saturation < 0) throw Error("RandomSaturation: saturation must not be negative");
}

NDArray RandomSaturation::forward(const NDArray& x) {
  check_image("RandomSaturation", x);
  const double alpha = 1 + draw_uniform(-saturation_, saturation_);
  if (x.shape()[2] != 3) return x;
  return scaled_like(x, x.astype(DType::kFloat32) * alpha + gray_levels(x) * (1 - alpha));
}

RandomHue::RandomHue(double hue) : hue_(hue) {
  if (hue < 0) throw Error("RandomHue: hue must not be negative");
}

NDArray RandomHue::forward(const NDArray& x) {
  check_rgb("RandomHue", x);
  const double alpha = draw_uniform(-hue_, hue_), u = std::cos(alpha * M_PI), w = std::sin(alpha * M_PI);
  // RGB -> YIQ, rotate (I, Q) by alpha pi, YIQ -> RGB; as row vectors: rgb' = rgb T^T R^T I^T.
  const double to_yiq[9] = {0.299, 0.587, 0.114, 0.596, -0.274, -0.321, 0.211, -0.523, 0.311};
  const double from_yiq[9] = {1.0, 0.956, 0.621, 1.0, -0.272, -0.647, 1.0, -1.107, 1.705};
  const double rotate[9] = {1, 0, 0, 0, u, -w, 0, w, u};
  const auto product = [](const double* a, const double* b) {
    std::vector<double> c(9, 0.0);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 3; ++k) c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
    return c;
  };
  const std::vector<double> t = product(from_yiq, product(rotate, to_yiq).data());  // acts on column vectors
  std::vector<double> transposed(9);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) transposed[j * 3 + i] = t[i * 3 + j];
  return scaled_like(x, mix_channels(x, transposed));
}

RandomColorJitter::RandomColorJitter(double brightness, double contrast, double saturation, double hue) {
  if (brightness > 0) parts_.push_back(RandomBrightness(brightness));
  if (contrast > 0) parts_.push_back(RandomContrast(contrast));
  if (saturation > 0) parts_.push_back(RandomSaturation(saturation));
  if (hue > 0) parts_.push_back(RandomHue(hue));
  if (brightness < 0 || contrast < 0 || saturation < 0 || hue < 0) {
    throw Error("RandomColorJitter: brightness, contrast, saturation and hue must not be negative");
  }
}

NDArray RandomColorJitter::forward(const NDArray& x) {
  if (parts_.empty()) return x;
  // A random order per image, as MXNet's.
  const std::vector<double> order =
      nd::random::shuffle(nd::arange(static_cast<double>(parts_.size()))).asnumpy<double>();
  NDArray y = x;
  for (double i : order) y = parts_[static_cast<std::size_t>(i)](y);
  return y;
}

RandomLighting::RandomLighting(double alpha_std) : alpha_std_(alpha_std) {
  if (alpha_std < 0) throw Error("RandomLighting: alpha_std must not be negative");
}

NDArray RandomLighting::forward(const NDArray& x) {
  check_rgb("RandomLighting", x);
  if (alpha_std_ == 0) return x;
  static constexpr double kEigval[3] = {55.46, 4.794, 1.148};
  static constexpr double kEigvec[3][3] = {{-0.5675, 0.7192, 0.4009}, {-0.5808, -0.0045, -0.8140}, {-0.5836, -0.6948, 0.4203}};
  const std::vector<double> alpha = nd::random::normal(0, alpha_std_, {3}, cpu(), DType::kFloat64).asnumpy<double>();
  std::vector<double> rgb(3, 0.0);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) rgb[i] += kEigvec[i][j] * alpha[j] * kEigval[j];
  return scaled_like(x, x.astype(DType::kFloat32) + nd::array(rgb, Shape{3}, x.context(), DType::kFloat32));
}

RandomGray::RandomGray(double p) : p_(p) {
  if (!(p >= 0 && p <= 1)) throw Error("RandomGray: p must be in [0, 1], got " + std::to_string(p));
}

NDArray RandomGray::forward(const NDArray& x) {
  check_rgb("RandomGray", x);
  if (draw_uniform(0, 1) >= p_) return x;
  const NDArray gray = nd::sum(x.astype(DType::kFloat32) * nd::array({0.2989, 0.587, 0.114}), {2}, /*keepdims=*/true);
  return scaled_like(x, nd::broadcast_to(gray, x.shape()));
}

RandomRotation::RandomRotation(std::pair<double, double> angle_limits, bool zoom_in, bool zoom_out, double rotate_with_proba)
    : angle_limits_(angle_limits), zoom_in_(zoom_in), zoom_out_(zoom_out), rotate_with_proba_(rotate_with_proba) {
  if (!(angle_limits.first <= angle_limits.second) || !std::isfinite(angle_limits.first) || !std::isfinite(angle_limits.second)) {
    throw Error("RandomRotation: angle_limits must be finite, low <= high");
  }
  if (zoom_in && zoom_out) throw Error("RandomRotation: zoom_in and zoom_out cannot both be set");
  if (!(rotate_with_proba >= 0 && rotate_with_proba <= 1)) throw Error("RandomRotation: rotate_with_proba must be in [0, 1]");
}

NDArray RandomRotation::forward(const NDArray& x) {
  if (rotate_with_proba_ < 1 && draw_uniform(0, 1) >= rotate_with_proba_) return x;
  return nd::image::imrotate(x, draw_uniform(angle_limits_.first, angle_limits_.second), zoom_in_, zoom_out_);
}

RandomApply::RandomApply(Transform transform, double p) : transform_(std::move(transform)), p_(p) {
  if (!transform_) throw Error("RandomApply: the transform is empty");
  if (!(p >= 0 && p <= 1)) throw Error("RandomApply: p must be in [0, 1], got " + std::to_string(p));
}

NDArray RandomApply::forward(const NDArray& x) { return draw_uniform(0, 1) < p_ ? transform_(x) : x; }

Compose::Compose(std::vector<Transform> transforms) {
  for (std::size_t i = 0; i < transforms.size(); ++i) {
    if (!transforms[i]) throw Error("Compose: a transform is empty");
    const Transform& t = transforms[i];
    const Compose* nested = t.target<Compose>();
    batchable_ = batchable_ && (t.target<ToTensor>() || t.target<Normalize>() || t.target<Cast>() ||
                                (nested != nullptr && nested->batchable()));
    const Normalize* next = i + 1 < transforms.size() ? transforms[i + 1].target<Normalize>() : nullptr;
    if (transforms[i].target<ToTensor>() != nullptr && next != nullptr) {
      transforms_.push_back([mean = next->mean(), std = next->std()](const NDArray& x) {
        return nd::image::to_tensor_normalized(x, mean, std);
      });
      ++i;
      continue;
    }
    transforms_.push_back(std::move(transforms[i]));
  }
}

NDArray Compose::forward(const NDArray& x) {
  NDArray y = x;
  for (const Transform& t : transforms_) y = t(y);
  return y;
}

}  // namespace mx::gluon::data::vision::transforms
