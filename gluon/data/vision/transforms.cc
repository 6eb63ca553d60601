#include <mx/gluon/data/vision/transforms.h>

#include <mx/ndarray/error.h>
#include <mx/operators/image.h>

namespace mx::gluon::data::vision::transforms {

NDArray ToTensor::forward(const NDArray& x) { return nd::image::to_tensor(x); }

Normalize::Normalize(std::vector<double> mean, std::vector<double> std) : mean_(std::move(mean)), std_(std::move(std)) {
  if (mean_.empty() || std_.empty()) throw Error("Normalize: mean and std need at least one value");
}

NDArray Normalize::forward(const NDArray& x) { return nd::image::normalize(x, mean_, std_); }

Compose::Compose(std::vector<Transform> transforms) : transforms_(std::move(transforms)) {
  for (const Transform& t : transforms_) {
    if (!t) throw Error("Compose: a transform is empty");
  }
}

NDArray Compose::forward(const NDArray& x) {
  NDArray y = x;
  for (const Transform& t : transforms_) y = t(y);
  return y;
}

}  // namespace mx::gluon::data::vision::transforms
