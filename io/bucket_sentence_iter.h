#pragma once
// MXNet's mx.rnn.BucketSentenceIter and encode_sentences: sentences of token ids grouped into buckets by length,
// each padded to its bucket's length, batches of one bucket at a time for a BucketingModule. The label of each
// position is the next token (the last is invalid_label), a language model's target.
//
//   auto [encoded, vocab] = io::encode_sentences(words, {.invalid_label = 0, .start_label = 1});
//   io::BucketSentenceIter train(encoded, {.batch_size = 32, .buckets = {10, 20, 30}, .invalid_label = 0});
//   batch.data[0] (32, 20), batch.bucket_key 20
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <mx/io/data_iter.h>

namespace mx::io {

struct BucketSentenceIterOptions {
  std::int64_t batch_size = 1;
  // Bucket lengths; empty: every length that batch_size sentences have, as MXNet's.
  std::vector<std::int64_t> buckets = {};
  double invalid_label = -1;  // the padding and the last label
  std::string data_name = "data", label_name = "softmax_label";
  DType dtype = DType::kFloat32;
  std::string layout = "NT";  // or "TN": batches (length, batch)
};

class BucketSentenceIter : public DataIter {
 public:
  // Sentences longer than the largest bucket are left out (discarded() says how many). Each pass takes the
  // whole batches of each bucket, in an order shuffled from mx::random, the sentences shuffled within buckets.
  BucketSentenceIter(const std::vector<std::vector<std::int64_t>>& sentences, BucketSentenceIterOptions options);

  bool next() override;
  void reset() override;
  // The default bucket's (the largest) shapes.
  std::vector<DataDesc> provide_data() const override;
  std::vector<DataDesc> provide_label() const override;
  std::int64_t default_bucket_key() const { return options_.buckets.back(); }
  const std::vector<std::int64_t>& buckets() const { return options_.buckets; }
  std::int64_t discarded() const { return discarded_; }

 private:
  Shape batch_shape(std::int64_t length) const;

  BucketSentenceIterOptions options_;
  std::vector<std::vector<std::vector<double>>> sentences_;  // per bucket, padded
  std::vector<std::pair<std::size_t, std::int64_t>> batches_;  // (bucket, first row) in this pass's order
  std::vector<NDArray> data_, label_;                           // per bucket, this pass's rows
  std::size_t cursor_ = 0;
  std::int64_t discarded_ = 0;
};

struct EncodeOptions {
  double invalid_label = -1;
  std::string invalid_key = "\n";  // the vocabulary's entry for invalid_label
  std::int64_t start_label = 0;    // the first id given to a new word
};
// Words to ids (MXNet's encode_sentences): with an empty `vocab` every new word gets the next id from
// start_label; with a vocabulary given, a word outside it is an mx::Error naming it.
std::pair<std::vector<std::vector<std::int64_t>>, std::map<std::string, std::int64_t>> encode_sentences(
    const std::vector<std::vector<std::string>>& sentences, const EncodeOptions& options = {},
    std::map<std::string, std::int64_t> vocab = {});

}  // namespace mx::io
