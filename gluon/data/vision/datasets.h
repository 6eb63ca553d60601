#pragma once
// Vision datasets read from their distribution files. Samples are (image (H, W, C) uint8, label int32 scalar).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <mx/gluon/data/dataset.h>
#include <mx/gluon/data/record_dataset.h>

namespace mx::gluon::data::vision {

// The MNIST-format (IDX) digits: train-images-idx3-ubyte and train-labels-idx1-ubyte (t10k-* for the test
// set), gzipped or not, in `root`. A missing file names the path; a truncated or corrupt one is an mx::Error
// naming the file and what was wrong.
class MNIST : public DatasetBase<MNIST> {
 public:
  explicit MNIST(std::string root = "/usr/share/datasets/mnist", bool train = true);
  std::size_t size() const override { return static_cast<std::size_t>(labels_.size()); }
  Sample get(std::size_t i) const override;
  std::vector<NDArray> get_batch(const std::vector<std::size_t>& indices) const override {
    return gather_rows({images_, labels_}, indices, "MNIST");
  }
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

// CIFAR-10 and CIFAR-100 from their binary versions: data_batch_1.bin ... data_batch_5.bin and test_batch.bin
// (CIFAR-10), train.bin and test.bin (CIFAR-100, fine or coarse labels), in `root` or its cifar-10-batches-bin /
// cifar-100-binary subfolder as the archives unpack. Images (32, 32, 3) uint8.
class CIFAR10 : public DatasetBase<CIFAR10> {
 public:
  explicit CIFAR10(std::string root = "~/.mxnet/datasets/cifar10", bool train = true);
  std::size_t size() const override { return static_cast<std::size_t>(labels_.size()); }
  Sample get(std::size_t i) const override;
  std::vector<NDArray> get_batch(const std::vector<std::size_t>& indices) const override {
    return gather_rows({images_, labels_}, indices, "CIFAR");
  }
  const NDArray& images() const { return images_; }
  const NDArray& labels() const { return labels_; }

 protected:
  struct Unread {};
  explicit CIFAR10(Unread) {}
  // Reads records of `label_bytes` label bytes (the one kept at `label_index`) and 3072 image bytes.
  void read(const std::vector<std::string>& files, int label_bytes, int label_index, const char* dataset);

 private:
  NDArray images_, labels_;
};

class CIFAR100 : public CIFAR10 {
 public:
  explicit CIFAR100(std::string root = "~/.mxnet/datasets/cifar100", bool fine_label = false, bool train = true);
};

// Images in class folders: root/<class>/<image>. Classes are the folder names in sorted order (their index is
// the label), images the .jpg, .jpeg and .png files in each, sorted; decoded when read (flag 1: RGB, 0: gray).
class ImageFolderDataset : public DatasetBase<ImageFolderDataset> {
 public:
  explicit ImageFolderDataset(std::string root, int flag = 1);
  std::size_t size() const override { return items_->size(); }
  Sample get(std::size_t i) const override;
  const std::vector<std::string>& synsets() const { return *synsets_; }
  // (path, label) of each image.
  const std::vector<std::pair<std::string, int>>& items() const { return *items_; }

 private:
  std::shared_ptr<const std::vector<std::string>> synsets_;
  std::shared_ptr<const std::vector<std::pair<std::string, int>>> items_;
  int flag_;
};

// MXNet's ImageListDataset: images listed with their labels, paths relative to `root`. The list is an im2rec
// .lst file (a line per image: index, then one or more labels, then the path, separated by tabs) or given as
// (labels, path) pairs. Sample i is the decoded image (H, W, C) uint8 (flag 1: RGB, 0: gray) and its labels,
// float32 (k,). A malformed line is an mx::Error naming the file and line.
class ImageListDataset : public DatasetBase<ImageListDataset> {
 public:
  ImageListDataset(std::string root, const std::string& lst_file, int flag = 1);
  ImageListDataset(std::string root, std::vector<std::pair<std::vector<double>, std::string>> images, int flag = 1);
  std::size_t size() const override { return items_->size(); }
  Sample get(std::size_t i) const override;

 private:
  std::string root_;
  std::shared_ptr<const std::vector<std::pair<std::vector<double>, std::string>>> items_;
  int flag_;
};

// Images packed in an MXNet .rec file (im2rec's), read through its .idx: sample i is the decoded image (H, W, C)
// uint8 (flag 1: RGB, 0: gray) and its label, float32: a scalar, or (k,) for records with k labels.
class ImageRecordDataset : public DatasetBase<ImageRecordDataset> {
 public:
  explicit ImageRecordDataset(std::string filename, int flag = 1);
  std::size_t size() const override { return records_.size(); }
  Sample get(std::size_t i) const override;

 private:
  RecordFileDataset records_;
  int flag_;
};

}  // namespace mx::gluon::data::vision
