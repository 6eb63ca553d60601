#pragma once
// Gluon's vision transforms, as blocks (so they also go into a Sequential) and callables for
// Dataset::transform_first:
//
//   auto trans = Compose({ToTensor(), Normalize(0.13f, 0.31f)});
//   dataset.transform_first(trans);
#include <utility>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/gluon/data/dataset.h>

namespace mx::gluon::data::vision::transforms {

// (H, W, C) uint8 (or a batch (N, H, W, C)) to float32 (C, H, W) in [0, 1].
class ToTensor : public HybridBlock, public BatchableTransform {
 public:
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "ToTensor"; }
};

// (x - mean) / std per channel of (C, H, W) (or (N, C, H, W)); one value applies to every channel.
class Normalize : public HybridBlock, public BatchableTransform {
 public:
  Normalize(double mean, double std) : Normalize(std::vector<double>{mean}, std::vector<double>{std}) {}
  Normalize(std::vector<double> mean, std::vector<double> std);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Normalize"; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& std() const { return std_; }

 private:
  std::vector<double> mean_, std_;
};

// Converts to `dtype`.
class Cast : public HybridBlock, public BatchableTransform {
 public:
  explicit Cast(DType dtype = DType::kFloat32) : dtype_(dtype) {}
  NDArray forward(const NDArray& x) override { return x.astype(dtype_); }
  std::string repr() const override { return "Cast"; }

 private:
  DType dtype_;
};

// Image transforms on (H, W, C) images (before ToTensor), as Gluon's. Sizes are (width, height); one value
// means a square. The random ones draw from mx::random's stream, so they repeat under random::seed.

// Resized to `size`; with keep_ratio and one value, the shorter side becomes that value.
class Resize : public HybridBlock {
 public:
  explicit Resize(std::vector<std::int64_t> size, bool keep_ratio = false);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Resize"; }

 private:
  std::vector<std::int64_t> size_;
  bool keep_ratio_;
};

// The centre `size` crop (the image is first resized up when smaller).
class CenterCrop : public HybridBlock {
 public:
  explicit CenterCrop(std::vector<std::int64_t> size);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "CenterCrop"; }

 private:
  std::int64_t width_, height_;
};

// A crop of random area (a fraction in `scale` of the image) and aspect ratio (in `ratio`), resized to `size`
// (Inception's augmentation); the centre crop when ten draws find none that fits.
class RandomResizedCrop : public HybridBlock {
 public:
  explicit RandomResizedCrop(std::vector<std::int64_t> size, std::pair<double, double> scale = {0.08, 1.0},
                             std::pair<double, double> ratio = {3.0 / 4, 4.0 / 3});
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomResizedCrop"; }

 private:
  std::int64_t width_, height_;
  std::pair<double, double> scale_, ratio_;
};

// A `size` crop at a random place, after each side is padded by `pad` pixels of `pad_value` (CIFAR's
// augmentation: RandomCrop({32}, 4)); an image still smaller than `size` is first resized up to fit.
class RandomCrop : public HybridBlock {
 public:
  explicit RandomCrop(std::vector<std::int64_t> size, std::int64_t pad = 0, double pad_value = 0);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomCrop"; }

 private:
  std::int64_t width_, height_, pad_;
  double pad_value_;
};

// The crop of `width` x `height` whose top-left corner is (x, y), resized to `size` when one is given (MXNet's
// CropResize); mx::ShapeError when it does not lie within the image.
class CropResize : public HybridBlock {
 public:
  CropResize(std::int64_t x, std::int64_t y, std::int64_t width, std::int64_t height, std::vector<std::int64_t> size = {});
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "CropResize"; }

 private:
  std::int64_t x_, y_, width_, height_;
  std::vector<std::int64_t> size_;
};

// Mirrored left-right (or top-bottom) with probability 1/2.
class RandomFlipLeftRight : public HybridBlock {
 public:
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomFlipLeftRight"; }
};
class RandomFlipTopBottom : public HybridBlock {
 public:
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomFlipTopBottom"; }
};

// x * alpha, alpha uniform in [1 - brightness, 1 + brightness].
class RandomBrightness : public HybridBlock {
 public:
  explicit RandomBrightness(double brightness);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomBrightness"; }

 private:
  double brightness_;
};

// Blended with its mean gray level: x * alpha + gray * (1 - alpha), alpha uniform in [1 - contrast, 1 + contrast].
class RandomContrast : public HybridBlock {
 public:
  explicit RandomContrast(double contrast);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomContrast"; }

 private:
  double contrast_;
};

// Blended with each pixel's own gray level (ITU-R BT.601 weights): x * alpha + gray * (1 - alpha), alpha uniform in
// [1 - saturation, 1 + saturation]. One-channel images are returned as they are.
class RandomSaturation : public HybridBlock {
 public:
  explicit RandomSaturation(double saturation);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomSaturation"; }

 private:
  double saturation_;
};

// The colors rotated about the gray axis by alpha * pi, alpha uniform in [-hue, hue]: a rotation of the I and Q
// components in YIQ space, which keeps each pixel's luma (mx.image.HueJitterAug's). RGB images only.
class RandomHue : public HybridBlock {
 public:
  explicit RandomHue(double hue);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomHue"; }

 private:
  double hue_;
};

// Brightness, contrast, saturation and hue jitter (each left out at 0), applied in a random order per image.
class RandomColorJitter : public HybridBlock {
 public:
  RandomColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomColorJitter"; }

 private:
  std::vector<Transform> parts_;
};

// AlexNet's PCA lighting noise: adds eigvec (alpha * eigval) to every pixel's RGB, alpha three draws of
// N(0, alpha_std), with ImageNet's eigenvalues and eigenvectors (as MXNet's RandomLighting). RGB images only.
class RandomLighting : public HybridBlock {
 public:
  explicit RandomLighting(double alpha_std);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomLighting"; }

 private:
  double alpha_std_;
};

// With probability p, the RGB image in gray (each channel x . (0.2989, 0.587, 0.114), MXNet's weights); else as
// it is.
class RandomGray : public HybridBlock {
 public:
  explicit RandomGray(double p = 0.5);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomGray"; }

 private:
  double p_;
};

// A tensor image (C, H, W) or batch (N, C, H, W), after ToTensor, rotated by an angle in degrees drawn
// uniformly from angle_limits (nd::image::imrotate: zoom_in, zoom_out), with probability rotate_with_proba.
class RandomRotation : public Block {
 public:
  RandomRotation(std::pair<double, double> angle_limits, bool zoom_in = false, bool zoom_out = false,
                 double rotate_with_proba = 1.0);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomRotation"; }

 private:
  std::pair<double, double> angle_limits_;
  bool zoom_in_, zoom_out_;
  double rotate_with_proba_;
};

// `transform` (a Compose for several) applied with probability p, else the input unchanged (MXNet's RandomApply).
class RandomApply : public Block {
 public:
  explicit RandomApply(Transform transform, double p = 0.5);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "RandomApply"; }

 private:
  Transform transform_;
  double p_;
};

// The transforms applied in order. ToTensor directly followed by Normalize runs as one operation.
class Compose : public Block, public BatchableTransform {
 public:
  explicit Compose(std::vector<Transform> transforms);
  // Whether every part is batchable (ToTensor, Normalize, Cast, or such a Compose).
  bool batchable() const override { return batchable_; }
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Compose"; }

 private:
  std::vector<Transform> transforms_;
  bool batchable_ = true;
};

}  // namespace mx::gluon::data::vision::transforms
