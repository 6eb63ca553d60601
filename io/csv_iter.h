#pragma once
// MXNet's mx.io.CSVIter: batches from comma-separated text, one sample per line.
//
//   io::CSVIter it({.data_csv = "x.csv", .data_shape = {3, 2}, .label_csv = "y.csv", .batch_size = 4});
//   batches: data[0] (4, 3, 2) "data" from lines of 6 values, label[0] (4,) "softmax_label"
//
// The files are read and checked when the iterator is made: an error names the file and the line. Without a
// label file every label is 0, as MXNet's.
#include <optional>
#include <string>
#include <vector>

#include <mx/io/data_iter.h>

namespace mx::io {

struct CSVIterOptions {
  std::string data_csv;
  Shape data_shape;           // of one sample: each line holds data_shape.size() values
  std::string label_csv;      // optional: the same number of lines, label_shape.size() values each
  Shape label_shape{1};       // (1): labels come as (batch,), otherwise (batch, label_shape...)
  std::int64_t batch_size = 1;
  // The last batch filled up with samples from the start (pad says how many); off, it is shorter.
  bool round_batch = true;
  DType dtype = DType::kFloat32;
  std::optional<Context> ctx;  // where batches are made; unset: the current context when the iterator is made
  std::string data_name = "data", label_name = "softmax_label";
};

class CSVIter : public DataIter {
 public:
  explicit CSVIter(CSVIterOptions options);

  bool next() override;
  void reset() override { cursor_ = 0; }
  std::vector<DataDesc> provide_data() const override;
  std::vector<DataDesc> provide_label() const override;
  std::int64_t num_samples() const { return samples_; }

 private:
  // (batch_size, sample...); a label of shape (1) as (batch_size) when drop_single.
  Shape batch_shape(const Shape& sample, bool drop_single) const;

  CSVIterOptions options_;
  Context ctx_;
  std::vector<double> data_, labels_;  // every sample's values, row after row
  std::int64_t samples_ = 0, cursor_ = 0;
};

}  // namespace mx::io
