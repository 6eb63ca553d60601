#pragma once
// Reading LibSVM text files into CSR batches, as MXNet's mx.io.LibSVMIter: one sample per line, its label then
// `index:value` pairs for its non-zero features,
//
//   1.0 0:0.5 2:1.2
//   -2.0
//   4 2:-1.2
//
// with zero-based indices in increasing order (MXNet's convention; the LibSVM tools' files count from 1: set
// one_based). The input is read and checked when the iterator is made: an error names the file and line.
#include <cstdint>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::io {

struct LibSVMIterOptions {
  std::string data_libsvm;      // a file, or a directory whose files are read in name order
  std::int64_t data_shape = 0;  // features per sample
  std::int64_t batch_size = 1;
  // The last batch filled up with samples from the start, as MXNet's (pad() says how many); off, it is shorter.
  bool round_batch = true;
  int num_parts = 1, part_index = 0;  // read only this contiguous part of the samples (one per worker)
  bool one_based = false;
  DType dtype = DType::kFloat32;
};

class LibSVMIter {
 public:
  explicit LibSVMIter(LibSVMIterOptions options);

  // Moves to the next batch; false after the last one of the pass.
  bool next();
  // Starts the pass again.
  void reset();
  // The current batch: data (batch, data_shape) csr, label (batch,) dense.
  const CSRNDArray& data() const { return data_; }
  const NDArray& label() const { return label_; }
  // How many samples at the end of the current batch repeat the first ones (round_batch).
  std::int64_t pad() const { return pad_; }
  std::int64_t num_samples() const { return static_cast<std::int64_t>(labels_.size()); }

 private:
  void read_file(const std::string& path);

  LibSVMIterOptions options_;
  // All samples of this part, as one CSR matrix on the host.
  std::vector<double> values_, labels_;
  std::vector<std::int64_t> indices_, indptr_{0};
  std::int64_t cursor_ = 0, pad_ = 0;
  CSRNDArray data_;
  NDArray label_;
};

// A whole file (or directory) at once: data (samples, num_features) csr and label (samples,).
struct LibSVMData {
  CSRNDArray data;
  NDArray label;
};
LibSVMData load_libsvm(const std::string& path, std::int64_t num_features, DType dtype = DType::kFloat32,
                       bool one_based = false);

}  // namespace mx::io
