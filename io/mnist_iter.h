#pragma once
// MXNet's mx.io.MNISTIter: the MNIST-format IDX files (MNIST, Fashion-MNIST) in batches, as MXNet gave them:
// pixels scaled by 1/256 into float32 (batch, 1, 28, 28), or (batch, 784) when flat; labels float32 (batch,);
// shuffled once, when the iterator is made, from `seed`; the samples after the last full batch dropped.
//
//   io::MNISTIter train({.image = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
//                        .label = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", .batch_size = 100});
#include <memory>
#include <string>

#include <mx/io/data_iter.h>

namespace mx::io {

class NDArrayIter;

struct MNISTIterOptions {
  std::string image = "./train-images-idx3-ubyte";  // gzipped or not
  std::string label = "./train-labels-idx1-ubyte";
  std::int64_t batch_size = 128;
  bool shuffle = true;
  bool flat = false;
  int seed = 0;
  bool silent = false;  // else the iterator logs what it loaded, as MXNet's did
  // The contiguous part of the samples this iterator reads: part_index of num_parts (one per worker).
  std::int64_t num_parts = 1, part_index = 0;
  std::string data_name = "data", label_name = "softmax_label";
};

class MNISTIter : public DataIter {
 public:
  // mx::Error naming the file for an unreadable or malformed one, or when images and labels differ in number.
  explicit MNISTIter(MNISTIterOptions options = {});
  ~MNISTIter() override;

  bool next() override;
  void reset() override;
  std::vector<DataDesc> provide_data() const override;
  std::vector<DataDesc> provide_label() const override;
  // The samples of this part (whole batches of them are read each pass).
  std::int64_t num_samples() const { return num_samples_; }

 private:
  std::unique_ptr<NDArrayIter> batches_;
  std::int64_t num_samples_ = 0;
};

}  // namespace mx::io
