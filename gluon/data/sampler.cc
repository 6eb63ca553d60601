#include <mx/gluon/data/sampler.h>

#include <numeric>

#include <mx/engine/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/random.h>

namespace mx::gluon::data {

std::vector<std::size_t> SequentialSampler::indices() {
  std::vector<std::size_t> order(length_);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

std::vector<std::size_t> RandomSampler::indices() {
  if (length_ == 0) return {};
  const std::vector<double> permuted =
      nd::random::shuffle(nd::arange(0, static_cast<double>(length_), 1, 1, cpu(), DType::kFloat64)).asnumpy<double>();
  return std::vector<std::size_t>(permuted.begin(), permuted.end());
}

SplitSampler::SplitSampler(std::size_t length, std::size_t num_parts, std::size_t part_index, bool shuffle)
    : part_length_(num_parts == 0 ? 0 : length / num_parts), start_(part_length_ * part_index), shuffle_(shuffle) {
  if (num_parts == 0 || part_index >= num_parts) {
    throw Error("SplitSampler: part_index must be in [0, num_parts), got part " + std::to_string(part_index) + " of " +
                std::to_string(num_parts));
  }
}

std::vector<std::size_t> SplitSampler::indices() {
  std::vector<std::size_t> order(part_length_);
  if (shuffle_) {
    order = RandomSampler(part_length_).indices();
  } else {
    std::iota(order.begin(), order.end(), 0);
  }
  for (std::size_t& i : order) i += start_;
  return order;
}

LastBatch last_batch_from_name(const std::string& name) {
  if (name == "keep") return LastBatch::kKeep;
  if (name == "discard") return LastBatch::kDiscard;
  if (name == "rollover") return LastBatch::kRollover;
  throw Error("last_batch must be \"keep\", \"discard\" or \"rollover\", got \"" + name + "\"");
}

BatchSampler::BatchSampler(std::shared_ptr<Sampler> sampler, std::size_t batch_size, LastBatch last_batch)
    : sampler_(std::move(sampler)), batch_size_(batch_size), last_batch_(last_batch) {
  if (batch_size == 0) throw Error("BatchSampler: batch_size must be positive");
}

std::vector<std::vector<std::size_t>> BatchSampler::batches() {
  std::vector<std::size_t> order = std::move(carried_);
  carried_.clear();
  for (std::size_t i : sampler_->indices()) order.push_back(i);
  std::vector<std::vector<std::size_t>> result;
  for (std::size_t begin = 0; begin < order.size(); begin += batch_size_) {
    const std::size_t end = std::min(order.size(), begin + batch_size_);
    std::vector<std::size_t> batch(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                   order.begin() + static_cast<std::ptrdiff_t>(end));
    if (batch.size() < batch_size_) {
      if (last_batch_ == LastBatch::kDiscard) break;
      if (last_batch_ == LastBatch::kRollover) {
        carried_ = std::move(batch);
        break;
      }
    }
    result.push_back(std::move(batch));
  }
  return result;
}

std::size_t BatchSampler::size() const {
  const std::size_t n = carried_.size() + sampler_->size();
  return last_batch_ == LastBatch::kKeep ? (n + batch_size_ - 1) / batch_size_ : n / batch_size_;
}

IntervalSampler::IntervalSampler(std::size_t length, std::size_t interval, bool rollover)
    : length_(length), interval_(interval), rollover_(rollover) {
  if (interval == 0 || interval >= length) {
    throw Error("IntervalSampler: interval must be above 0 and below the length " + std::to_string(length) + ", got " +
                std::to_string(interval));
  }
}

std::vector<std::size_t> IntervalSampler::indices() {
  std::vector<std::size_t> order;
  for (std::size_t start = 0; start < (rollover_ ? interval_ : 1); ++start) {
    for (std::size_t i = start; i < length_; i += interval_) order.push_back(i);
  }
  return order;
}

std::size_t IntervalSampler::size() const { return rollover_ ? length_ : (length_ + interval_ - 1) / interval_; }

}  // namespace mx::gluon::data
