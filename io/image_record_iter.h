#pragma once
// MXNet's mx.io.ImageRecordIter: the images of an im2rec .rec file in batches of (batch, C, H, W), decoded and
// augmented on a pool of threads as MXNet's default augmenter and normalizer did them:
//   resize the shorter edge to `resize` (bilinear); pad by `pad` pixels of `fill_value`; crop data_shape's
//   (H, W), at random with rand_crop, else from the center (an image smaller than that is an error naming
//   the record); mirror at random with rand_mirror (always with mirror); then each channel
//   (pixel - mean) * contrast * scale / std + illumination * scale / std, with contrast drawn from
//   1 +- max_random_contrast and illumination from +- max_random_illumination (float32), or the bytes (uint8).
// Channels are RGB (gray with data_shape[0] == 1). Labels are float32 (batch,) or (batch, label_width): the
// record header's label, or its extra labels for label_width > 1.
//
//   io::ImageRecordIter train({.path_imgrec = "train.rec", .data_shape = {3, 224, 224}, .batch_size = 32,
//                              .shuffle = true, .rand_crop = true, .rand_mirror = true,
//                              .mean_r = 123.68f, .mean_g = 116.28f, .mean_b = 103.53f,
//                              .std_r = 58.395f, .std_g = 57.12f, .std_b = 57.375f});
//
// Random choices are drawn per sample from `seed`, the pass and the sample's place, so the same options give
// the same batches whatever the threads. Wrap the iterator in PrefetchingIter to decode a batch ahead.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <mx/io/data_iter.h>

namespace mx::io {

struct ImageRecordIterOptions {
  std::string path_imgrec;  // required
  std::string path_imgidx;  // the .idx beside the .rec; without one, the .rec is scanned once for its records
  Shape data_shape;         // (C, H, W), C 1 (gray) or 3 (RGB)
  std::int64_t batch_size = 128;
  std::int64_t label_width = 1;
  bool shuffle = false;  // a new order every pass
  // The last batch of a pass filled up from the pass's first samples (its pad says how many), else padded with
  // zeros; either way every batch holds batch_size samples.
  bool round_batch = true;
  int preprocess_threads = 4;
  std::int64_t resize = -1;
  bool rand_crop = false, rand_mirror = false, mirror = false;
  int pad = 0, fill_value = 255;
  float mean_r = 0, mean_g = 0, mean_b = 0, std_r = 1, std_g = 1, std_b = 1, scale = 1;
  float max_random_contrast = 0, max_random_illumination = 0;
  // The contiguous part of the records this iterator reads: part_index of num_parts (one per worker).
  std::int64_t num_parts = 1, part_index = 0;
  std::uint64_t seed = 0;
  DType dtype = DType::kFloat32;  // or kUint8: the augmented bytes, not normalized
  std::string data_name = "data", label_name = "softmax_label";
};

class ImageRecordIter : public DataIter {
 public:
  // mx::Error naming the file for a missing or malformed .rec or .idx, or for options that cannot work.
  explicit ImageRecordIter(ImageRecordIterOptions options);
  ~ImageRecordIter() override;

  // An undecodable record, or one smaller than data_shape, is an mx::Error naming the record and the file.
  bool next() override;
  void reset() override;
  std::vector<DataDesc> provide_data() const override;
  std::vector<DataDesc> provide_label() const override;
  // The records of this part.
  std::int64_t num_samples() const;

 private:
  struct Source;
  ImageRecordIterOptions options_;
  std::unique_ptr<Source> source_;
  std::vector<std::int64_t> order_;  // this pass's record positions
  std::int64_t cursor_ = 0, pass_ = -1;  // reset() starts pass 0
  bool pass_over_ = false;
};

}  // namespace mx::io
