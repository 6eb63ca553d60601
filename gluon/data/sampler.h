#pragma once
// Samplers: the order in which a DataLoader reads samples. indices() is called once per epoch.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mx::gluon::data {

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::vector<std::size_t> indices() = 0;
  virtual std::size_t size() const = 0;
};

// 0, 1, ..., length - 1.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(std::size_t length) : length_(length) {}
  std::vector<std::size_t> indices() override;
  std::size_t size() const override { return length_; }

 private:
  std::size_t length_;
};

// A new random permutation each epoch, drawn from mx::random's stream (reproducible under random::seed).
class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(std::size_t length) : length_(length) {}
  std::vector<std::size_t> indices() override;
  std::size_t size() const override { return length_; }

 private:
  std::size_t length_;
};

// One worker's shard of a dataset for data-parallel training, as the seed tutorial's SplitSampler: part
// `part_index` of `num_parts` equal parts (length / num_parts samples; the remainder is left out), shuffled
// each epoch from mx::random's stream unless `shuffle` is off. Throws mx::Error for a part that does not exist.
class SplitSampler : public Sampler {
 public:
  SplitSampler(std::size_t length, std::size_t num_parts = 1, std::size_t part_index = 0, bool shuffle = true);
  std::vector<std::size_t> indices() override;
  std::size_t size() const override { return part_length_; }

 private:
  std::size_t part_length_, start_;
  bool shuffle_;
};

// gluon.contrib.data's IntervalSampler: every interval-th index from 0, then (with rollover) from 1, 2, ...
// up to interval - 1, so each index comes once: length 10, interval 3 gives 0 3 6 9 1 4 7 2 5 8. Throws
// mx::Error unless 0 < interval < length.
class IntervalSampler : public Sampler {
 public:
  IntervalSampler(std::size_t length, std::size_t interval, bool rollover = true);
  std::vector<std::size_t> indices() override;
  std::size_t size() const override;

 private:
  std::size_t length_, interval_;
  bool rollover_;
};

// What to do with a last batch smaller than batch_size: keep it, discard it, or roll its samples over to the
// start of the next epoch.
enum class LastBatch { kKeep, kDiscard, kRollover };
LastBatch last_batch_from_name(const std::string& name);  // "keep", "discard", "rollover"

// Groups a sampler's indices into batches.
class BatchSampler {
 public:
  BatchSampler(std::shared_ptr<Sampler> sampler, std::size_t batch_size, LastBatch last_batch = LastBatch::kKeep);
  // The next epoch's batches.
  std::vector<std::vector<std::size_t>> batches();
  // The number of batches the next epoch gives.
  std::size_t size() const;

 private:
  std::shared_ptr<Sampler> sampler_;
  std::size_t batch_size_;
  LastBatch last_batch_;
  std::vector<std::size_t> carried_;  // rollover: the previous epoch's leftover
};

}  // namespace mx::gluon::data
