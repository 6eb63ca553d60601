#include <mx/io/ndarray_iter.h>

#include <algorithm>

#include <mx/engine/error.h>
#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/indexing.h>
#include <mx/operators/random.h>
#include <mx/operators/shape_ops.h>

namespace mx::io {
namespace {

// Samples [begin, end) of every source (clamped to what it holds: a short pass can ask past its end).
std::vector<NDArray> rows(const NamedArrays& sources, std::int64_t begin, std::int64_t end) {
  std::vector<NDArray> out;
  for (const auto& [name, array] : sources) out.push_back(array.slice(begin, std::min(end, array.shape()[0])));
  return out;
}

std::vector<NDArray> join(const std::vector<NDArray>& first, const std::vector<NDArray>& second) {
  std::vector<NDArray> out;
  for (std::size_t i = 0; i < first.size(); ++i) out.push_back(nd::concat({first[i], second[i]}, 0));
  return out;
}

// Each source's name, and its shape and dtype as one batch holds them.
std::vector<DataDesc> describe(const NamedArrays& sources, std::int64_t batch_size) {
  std::vector<DataDesc> out;
  for (const auto& [name, array] : sources) {
    Shape shape = array.shape();
    shape[0] = batch_size;
    out.push_back({name, shape, array.dtype()});
  }
  return out;
}

void check_sources(const NamedArrays& sources, const char* kind, std::int64_t& samples, std::string& first_name) {
  for (const auto& [name, array] : sources) {
    if (array.is_none() || array.shape().ndim() == 0) {
      throw Error(std::string("NDArrayIter: ") + kind + " '" + name + "' needs at least one axis (the samples)");
    }
    if (samples < 0) {
      samples = array.shape()[0];
      first_name = name;
    } else if (array.shape()[0] != samples) {
      throw ShapeError(std::string("NDArrayIter: ") + kind + " '" + name + "' has " +
                       std::to_string(array.shape()[0]) + " samples, '" + first_name + "' has " +
                       std::to_string(samples));
    }
  }
}

}  // namespace

NDArrayIter::NDArrayIter(NDArray data, NDArray label, NDArrayIterOptions options)
    : NDArrayIter(NamedArrays{{options.data_name, std::move(data)}},
                  label.is_none() ? NamedArrays{} : NamedArrays{{options.label_name, std::move(label)}}, options) {}

NDArrayIter::NDArrayIter(NamedArrays data, NamedArrays label, NDArrayIterOptions options)
    : DataIter(options.batch_size), options_(std::move(options)), source_data_(std::move(data)),
      source_label_(std::move(label)) {
  if (batch_size_ <= 0) throw Error("NDArrayIter: batch_size must be positive, got " + std::to_string(batch_size_));
  if (source_data_.empty()) throw Error("NDArrayIter: no data arrays given");
  std::int64_t samples = -1;
  std::string first_name;
  check_sources(source_data_, "data", samples, first_name);
  check_sources(source_label_, "label", samples, first_name);
  num_data_ = options_.last_batch_handle == LastBatchHandle::kDiscard ? samples - samples % batch_size_ : samples;
  data_ = source_data_;
  label_ = source_label_;
  hard_reset();
}

void NDArrayIter::shuffle() {
  const std::int64_t samples = source_data_.front().second.shape()[0];
  const NDArray order = nd::random::shuffle(nd::arange(0, static_cast<double>(samples), 1, 1, cpu(), DType::kFloat64));
  auto permute = [&](const NamedArrays& sources, NamedArrays& out) {
    out.clear();
    for (const auto& [name, array] : sources) {
      out.emplace_back(name, nd::take(array, order.as_in_context(array.context()), 0));
    }
  };
  permute(source_data_, data_);
  permute(source_label_, label_);
}

void NDArrayIter::reset() {
  if (options_.shuffle) shuffle();
  // A pass that ended on a short batch under kRollOver (now cached) starts the next one that many samples early.
  if (options_.last_batch_handle == LastBatchHandle::kRollOver && cursor_ > num_data_ - batch_size_ &&
      cursor_ < num_data_) {
    cursor_ = cursor_ - num_data_ - batch_size_;
  } else {
    cursor_ = -batch_size_;
  }
  pass_over_ = false;
  batch_ = {};
}

void NDArrayIter::hard_reset() {
  cache_data_.clear();
  cache_label_.clear();
  cursor_ = num_data_;  // no rolled-over batch
  reset();
}

std::vector<NDArray> NDArrayIter::batchify(const NamedArrays& sources, std::vector<NDArray>& cache) const {
  if (sources.empty()) return {};
  if (cursor_ < 0) {  // the samples rolled over from the last pass, then this pass's first ones
    std::vector<NDArray> out = join(cache, rows(sources, 0, cursor_ + batch_size_));
    cache.clear();
    return out;
  }
  const std::int64_t end = cursor_ + batch_size_;
  if (options_.last_batch_handle == LastBatchHandle::kPad && end > num_data_) {
    // Wraps to the start, as often as a pass shorter than the batch needs.
    std::vector<NDArray> out = rows(sources, cursor_, num_data_);
    for (std::int64_t missing = end - num_data_; missing > 0; missing -= num_data_) {
      out = join(out, rows(sources, 0, std::min(missing, num_data_)));
    }
    return out;
  }
  return rows(sources, cursor_, std::min(end, num_data_));
}

bool NDArrayIter::next() {
  if (pass_over_) return false;
  cursor_ += batch_size_;
  if (cursor_ >= num_data_) {
    pass_over_ = true;
    return false;
  }
  std::vector<NDArray> data = batchify(data_, cache_data_);
  std::vector<NDArray> label = batchify(label_, cache_label_);
  if (data.front().shape()[0] != batch_size_) {  // kRollOver's short last batch waits for the next pass
    cache_data_ = std::move(data);
    cache_label_ = std::move(label);
    pass_over_ = true;
    batch_ = {};
    return false;
  }
  // MXNet's reports a rolled-over first batch's carried samples as pad; none of them repeats, so it is 0 here.
  const std::int64_t pad = options_.last_batch_handle == LastBatchHandle::kPad && cursor_ + batch_size_ > num_data_
                               ? cursor_ + batch_size_ - num_data_
                               : 0;
  batch_ = {std::move(data), std::move(label), pad};
  return true;
}

std::vector<DataDesc> NDArrayIter::provide_data() const { return describe(source_data_, batch_size_); }

std::vector<DataDesc> NDArrayIter::provide_label() const { return describe(source_label_, batch_size_); }

}  // namespace mx::io
