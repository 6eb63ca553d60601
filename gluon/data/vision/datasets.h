#pragma once
// Vision datasets read from their distribution files. Samples are (image (H, W, C) uint8, label int32 scalar).
#include <string>

#include <mx/gluon/data/dataset.h>

namespace mx::gluon::data::vision {

// The MNIST-format (IDX) digits: train-images-idx3-ubyte and train-labels-idx1-ubyte (t10k-* for the test
// set), gzipped or not, in `root`. A missing file names the path; a truncated or corrupt one is an mx::Error
// naming the file and what was wrong.
class MNIST : public DatasetBase<MNIST> {
 public:
  explicit MNIST(std::string root = "/usr/share/datasets/mnist", bool train = true);
  std::size_t size() const override { return static_cast<std::size_t>(labels_.size()); }
  Sample get(std::size_t i) const override;
  // All images (N, 28, 28, 1) and labels (N,), for preloading.
  const NDArray& images() const { return images_; }
  const NDArray& labels() const { return labels_; }

 protected:
  MNIST(std::string root, bool train, const char* dataset, const char* package);

 private:
  NDArray images_, labels_;
};

// Zalando's Fashion-MNIST in the same format; the default root is where Debian's dataset-fashion-mnist puts it.
class FashionMNIST : public MNIST {
 public:
  explicit FashionMNIST(std::string root = "/usr/share/datasets/fashion-mnist", bool train = true)
      : MNIST(std::move(root), train, "FashionMNIST", "dataset-fashion-mnist") {}
};

}  // namespace mx::gluon::data::vision
