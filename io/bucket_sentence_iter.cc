#include <mx/io/bucket_sentence_iter.h>

#include <algorithm>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/random.h>
#include <mx/operators/shape_ops.h>

namespace mx::io {
namespace {

// 0 .. n-1 in an order drawn from mx::random (seeded by random::seed).
std::vector<std::size_t> permutation(std::size_t n) {
  if (n < 2) return n == 0 ? std::vector<std::size_t>{} : std::vector<std::size_t>{0};
  const std::vector<double> order =
      nd::random::shuffle(nd::arange(0, static_cast<double>(n), 1, 1, cpu(), DType::kFloat64)).asnumpy<double>();
  return std::vector<std::size_t>(order.begin(), order.end());
}

}  // namespace

BucketSentenceIter::BucketSentenceIter(const std::vector<std::vector<std::int64_t>>& sentences,
                                       BucketSentenceIterOptions options)
    : DataIter(options.batch_size), options_(std::move(options)) {
  if (options_.batch_size <= 0) throw Error("BucketSentenceIter: batch_size must be positive, got " + std::to_string(options_.batch_size));
  if (options_.layout != "NT" && options_.layout != "TN") {
    throw Error("BucketSentenceIter: layout must be NT or TN, got '" + options_.layout + "'");
  }
  std::vector<std::int64_t>& buckets = options_.buckets;
  if (buckets.empty()) {  // MXNet's: every length at least batch_size sentences have
    std::map<std::int64_t, std::int64_t> counts;
    for (const auto& sentence : sentences) ++counts[static_cast<std::int64_t>(sentence.size())];
    for (const auto& [length, count] : counts) {
      if (count >= options_.batch_size && length > 0) buckets.push_back(length);
    }
  }
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || buckets.front() <= 0) {
    throw Error("BucketSentenceIter: no bucket (no sentence length that " + std::to_string(options_.batch_size) +
                " sentences share; give buckets)");
  }
  sentences_.resize(buckets.size());
  for (const auto& sentence : sentences) {
    const auto length = static_cast<std::int64_t>(sentence.size());
    const auto bucket = static_cast<std::size_t>(std::lower_bound(buckets.begin(), buckets.end(), length) - buckets.begin());
    if (bucket == buckets.size()) {
      ++discarded_;
      continue;
    }
    std::vector<double> padded(static_cast<std::size_t>(buckets[bucket]), options_.invalid_label);
    std::copy(sentence.begin(), sentence.end(), padded.begin());
    sentences_[bucket].push_back(std::move(padded));
  }
  reset();
}

Shape BucketSentenceIter::batch_shape(std::int64_t length) const {
  return options_.layout == "NT" ? Shape{options_.batch_size, length} : Shape{length, options_.batch_size};
}

void BucketSentenceIter::reset() {
  batches_.clear();
  data_.assign(sentences_.size(), NDArray());
  label_.assign(sentences_.size(), NDArray());
  for (std::size_t b = 0; b < sentences_.size(); ++b) {
    const auto rows = static_cast<std::int64_t>(sentences_[b].size());
    for (std::int64_t first = 0; first + options_.batch_size <= rows; first += options_.batch_size) batches_.emplace_back(b, first);
    if (rows == 0) continue;
    const std::int64_t length = options_.buckets[b];
    std::vector<double> data, label;
    for (const std::size_t row : permutation(sentences_[b].size())) {
      const std::vector<double>& s = sentences_[b][row];
      data.insert(data.end(), s.begin(), s.end());
      label.insert(label.end(), s.begin() + 1, s.end());
      label.push_back(options_.invalid_label);
    }
    data_[b] = nd::array(data, Shape{rows, length}, cpu(), options_.dtype);
    label_[b] = nd::array(label, Shape{rows, length}, cpu(), options_.dtype);
  }
  std::vector<std::pair<std::size_t, std::int64_t>> shuffled;
  for (const std::size_t i : permutation(batches_.size())) shuffled.push_back(batches_[i]);
  batches_ = std::move(shuffled);
  cursor_ = 0;
}

bool BucketSentenceIter::next() {
  if (cursor_ == batches_.size()) return false;
  const auto [bucket, first] = batches_[cursor_++];
  NDArray data = data_[bucket].slice(first, first + options_.batch_size);
  NDArray label = label_[bucket].slice(first, first + options_.batch_size);
  if (options_.layout == "TN") {
    data = nd::transpose(data);
    label = nd::transpose(label);
  }
  const std::int64_t length = options_.buckets[bucket];
  batch_ = DataBatch{{data}, {label}, 0, length,
                     {{options_.data_name, batch_shape(length), options_.dtype, options_.layout}},
                     {{options_.label_name, batch_shape(length), options_.dtype, options_.layout}}};
  return true;
}

std::vector<DataDesc> BucketSentenceIter::provide_data() const {
  return {{options_.data_name, batch_shape(default_bucket_key()), options_.dtype, options_.layout}};
}
std::vector<DataDesc> BucketSentenceIter::provide_label() const {
  return {{options_.label_name, batch_shape(default_bucket_key()), options_.dtype, options_.layout}};
}

std::pair<std::vector<std::vector<std::int64_t>>, std::map<std::string, std::int64_t>> encode_sentences(
    const std::vector<std::vector<std::string>>& sentences, const EncodeOptions& options,
    std::map<std::string, std::int64_t> vocab) {
  const bool new_vocab = vocab.empty();
  const auto invalid = static_cast<std::int64_t>(options.invalid_label);
  if (new_vocab) vocab[options.invalid_key] = invalid;
  std::int64_t next_id = options.start_label;
  std::vector<std::vector<std::int64_t>> encoded;
  for (const auto& sentence : sentences) {
    std::vector<std::int64_t>& ids = encoded.emplace_back();
    for (const std::string& word : sentence) {
      auto it = vocab.find(word);
      if (it == vocab.end()) {
        if (!new_vocab) throw Error("encode_sentences: '" + word + "' is not in the vocabulary");
        if (next_id == invalid) ++next_id;
        it = vocab.emplace(word, next_id++).first;
      }
      ids.push_back(it->second);
    }
  }
  return {std::move(encoded), std::move(vocab)};
}

}  // namespace mx::io
