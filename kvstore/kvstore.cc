#include <mx/kvstore/kvstore.h>

#include <utility>

#include <mx/ndarray/error.h>
#include <mx/ndarray/serialize.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/gradient_compression.h>
#include <mx/optimizer/optimizer.h>
#include <mx/sparse/sparse_ops.h>

#include "comm.h"
#include "entry.h"

namespace mx::kvstore {

std::string Key::str() const {
  if (const int* number = std::get_if<int>(&value_)) return std::to_string(*number);
  return "'" + std::get<std::string>(value_) + "'";
}

KVStore::KVStore(std::string type) : type_(std::move(type)) {}
KVStore::~KVStore() = default;

KVStore::Entry& KVStore::find(const Key& key, const char* call) {
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    throw Error(std::string("KVStore.") + call + ": key " + key.str() + " was never initialized; call init(" +
                key.str() + ", value) first");
  }
  return *it->second;
}

void KVStore::check_values(const Entry& entry, const std::vector<NDArray>& values, const char* call,
                           const char* what) const {
  if (values.empty()) throw Error(std::string("KVStore.") + call + ": key " + entry.key.str() + " got no " + what);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const NDArray& v = values[i];
    const std::string which = std::string(what) + " " + std::to_string(i) + " of key " + entry.key.str();
    if (v.is_none()) throw Error(std::string("KVStore.") + call + ": " + which + " is an empty handle");
    if (v.shape() != entry.shape) {
      throw ShapeError(std::string("KVStore.") + call + ": " + which + " has shape " + v.shape().str() +
                       ", the key was initialized with shape " + entry.shape.str());
    }
    if (v.dtype() != entry.dtype) {
      throw Error(std::string("KVStore.") + call + ": " + which + " has dtype " + dtype_name(v.dtype()) +
                  ", the key was initialized with dtype " + dtype_name(entry.dtype));
    }
  }
}

void KVStore::init(const Key& key, const NDArray& value) { init(std::vector<Key>{key}, std::vector<NDArray>{value}); }

void KVStore::init(const std::vector<Key>& keys, const std::vector<NDArray>& values) {
  if (keys.size() != values.size()) {
    throw Error("KVStore.init: " + std::to_string(keys.size()) + " keys but " + std::to_string(values.size()) + " values");
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {  // every check first: a failed init adds no key
    if (values[i].is_none()) throw Error("KVStore.init: the value of key " + keys[i].str() + " is an empty handle");
    const auto it = by_key_.find(keys[i]);
    if (it != by_key_.end()) {
      throw Error("KVStore.init: key " + keys[i].str() + " is already initialized (shape " + it->second->shape.str() +
                  "; given again with shape " + values[i].shape().str() + ")");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (keys[j] == keys[i]) throw Error("KVStore.init: key " + keys[i].str() + " is given twice");
    }
  }
  std::vector<Entry*> added;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto entry = std::make_unique<Entry>();
    entry->key = keys[i];
    entry->index = static_cast<int>(entries_.size());
    entry->shape = values[i].shape();
    entry->dtype = values[i].dtype();
    entry->stored = NDArray(entry->shape, init_context(values[i]), entry->dtype);
    detail::broadcast(values[i], {entry->stored}, 0);
    added.push_back(entry.get());
    by_key_[keys[i]] = entry.get();
    entries_.push_back(std::move(entry));
  }
  try {
    init_across_workers(added);
  } catch (...) {
    for (Entry* entry : added) by_key_.erase(entry->key);
    entries_.resize(entries_.size() - added.size());
    throw;
  }
}

void KVStore::reduce_on_devices(Entry& entry, const std::vector<NDArray>& values, int priority, bool in_place) {
  if (!entry.home) {
    entry.home = home_context(entry, values);
    if (entry.stored.context() != *entry.home) entry.stored = nd::as_in_context(entry.stored, *entry.home);
  }
  entry.summed_in_place = in_place;
  entry.device_sums.clear();
  if (in_place) {  // the all-reduce works on the caller's arrays themselves: no copies before it
    entry.pushed = values[0];
    entry.device_sums = values;
    return;
  }
  const bool updates = optimizer_ != nullptr;
  const bool compressed_here = compression_ && !distributed();
  if (updates && !distributed() && !compressed_here && values.size() == 1 && values[0].context() == *entry.home) {
    entry.pushed = values[0];  // the update reads the one gradient where it is
    return;
  }
  if (updates) {
    if (entry.merged.is_none()) entry.merged = NDArray(entry.shape, *entry.home, entry.dtype);
    entry.pushed = entry.merged;
  } else {
    entry.pushed = entry.stored;  // without an optimizer the sum is the new value
  }
  sum_values(entry, values, priority);
}

bool KVStore::sums_in_place(const std::vector<NDArray>& values, const std::vector<NDArray>& outs) const {
  return distributed() && values.size() == 1 && outs.size() == 1 && !values[0].context().is_gpu() &&
         detail::same_array(values[0], outs[0]);
}

void KVStore::sum_values(Entry& entry, const std::vector<NDArray>& values, int priority) {
  if (compression_ && !distributed()) return sum_compressed(entry, values);
  detail::reduce(values, entry.pushed, priority, entry.staging);
}

void KVStore::sum_compressed(Entry& entry, const std::vector<NDArray>& values) {
  const nd::CompressionType type = nd::compression_type(compression_->type);
  const auto threshold = static_cast<float>(compression_->threshold);
  const Context home = entry.pushed.context();
  const Shape words{nd::compressed_size(type, entry.shape.size())};
  entry.compressed.resize(values.size());
  std::vector<NDArray> codes;
  for (std::size_t i = 0; i < values.size(); ++i) {
    Entry::Compressed& part = entry.compressed[i];
    const Context where = values[i].context();
    if (part.residual.is_none() || part.residual.context() != where) {  // a residual per value's device
      part.residual = nd::zeros(entry.shape, where);
      part.codes = NDArray(words, where, DType::kInt32);
      part.codes_home = where == home ? part.codes : NDArray(words, home, DType::kInt32);
    }
    nd::quantize_gradient(type, threshold, values[i], part.residual, part.codes);
    if (where != home) nd::copyto(part.codes, part.codes_home);  // what crosses between devices: the codes
    codes.push_back(part.codes_home);
  }
  nd::dequantize_sum(type, threshold, codes, entry.pushed);
}

void KVStore::set_gradient_compression(const GradientCompression& params) {
  if (!can_compress()) {
    throw Error("KVStore.set_gradient_compression: store '" + type_ + "' does not compress gradients (as MXNet's); "
                "use 'device', 'dist_sync' or 'dist_device_sync'");
  }
  const nd::CompressionType type = nd::compression_type(params.type);  // an error naming an unknown type
  if (type == nd::CompressionType::kTwoBit && !(params.threshold > 0)) {
    throw Error("KVStore.set_gradient_compression: 2bit compression needs a threshold above 0, got " +
                std::to_string(params.threshold));
  }
  compression_ = params;
  for (const auto& entry : entries_) {  // every residual from zero
    entry->compressed.clear();
    entry->gathered = NDArray();
  }
}

void KVStore::copy_out(const NDArray& source, const std::vector<NDArray>& outs, int priority) {
  detail::broadcast(source, outs, priority);
}

void KVStore::push_all(const std::vector<Key>& keys, const std::vector<std::vector<NDArray>>& values,
                       const std::vector<int>& priorities, const char* call,
                       const std::vector<std::vector<NDArray>>* outs) {
  if (values.size() != keys.size() || (!priorities.empty() && priorities.size() != keys.size())) {
    throw Error(std::string("KVStore.") + call + ": " + std::to_string(keys.size()) + " keys but " +
                std::to_string(values.size()) + " lists of values and " + std::to_string(priorities.size()) + " priorities");
  }
  std::vector<Entry*> entries;
  for (std::size_t i = 0; i < keys.size(); ++i) {  // every check before any work is pushed
    entries.push_back(&find(keys[i], call));
    check_values(*entries.back(), values[i], call, "value");
    check_value_devices(*entries.back(), values[i], call);
    if (compression_ && entries.back()->dtype != DType::kFloat32) {
      throw DTypeError(std::string("KVStore.") + call + ": key " + keys[i].str() + " holds " +
                       dtype_name(entries.back()->dtype) + "; " + compression_->type +
                       " gradient compression sends float32 gradients only");
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const bool in_place = !optimizer_ && outs != nullptr && sums_in_place(values[i], (*outs)[i]);
    reduce_on_devices(*entries[i], values[i], priorities.empty() ? 0 : priorities[i], in_place);
  }
  if (bucketed()) {
    std::vector<Entry*> bucket;
    std::size_t bytes = 0;
    for (Entry* entry : entries) {
      const bool starts_bucket =
          !bucket.empty() && (bytes + entry->bytes() > bucket_bytes() || entry->dtype != bucket.front()->dtype ||
                              entry->pushed.context().is_gpu() != bucket.front()->pushed.context().is_gpu());
      if (starts_bucket) {
        reduce_bucket(bucket);
        bucket.clear();
        bytes = 0;
      }
      bucket.push_back(entry);
      bytes += entry->bytes();
    }
    if (!bucket.empty()) reduce_bucket(bucket);
  }
  for (Entry* entry : entries) {
    // No copy of a sum made in place: a pull finds it in the caller's array, unless that has been written since.
    entry->in_place = entry->summed_in_place ? entry->pushed : NDArray();
    entry->in_place_version = entry->summed_in_place ? entry->pushed.version() : 0;
  }
  if (optimizer_) {
    for (Entry* entry : entries) {
      if (entry->states.empty()) entry->states = optimizer_->create_state(entry->stored);
      optimizer_->update(entry->index, entry->stored, entry->pushed, entry->states);
    }
  }
  for (Entry* entry : entries) entry->pushed = NDArray();  // holds no array between pushes
}

void KVStore::take_in_place_sum(Entry& entry, const char* call) {
  if (entry.in_place.is_none()) return;
  const NDArray sum = std::exchange(entry.in_place, NDArray());
  if (sum.version() != entry.in_place_version) {
    throw Error(std::string("KVStore.") + call + ": key " + entry.key.str() + " was last summed in place, in the array "
                "given to pushpull as both value and output, and that array has been written since: its sum is gone "
                "(pull before writing it again, or give pushpull other outputs)");
  }
  detail::broadcast(sum, {entry.stored}, 0);
}

void KVStore::pull_into(Entry& entry, const std::vector<NDArray>& outs, int priority, const char* call) {
  check_values(entry, outs, call, "output");
  take_in_place_sum(entry, call);
  copy_out(entry.stored, outs, priority);
}

void KVStore::push(const Key& key, const std::vector<NDArray>& values, int priority) {
  push_all({key}, {values}, {priority}, "push");
}

void KVStore::pull(const Key& key, const std::vector<NDArray>& outs, int priority) {
  pull_into(find(key, "pull"), outs, priority, "pull");
}

void KVStore::pushpull(const Key& key, const std::vector<NDArray>& values, const std::vector<NDArray>& outs,
                       int priority) {
  pushpull(std::vector<Key>{key}, {values}, {outs}, {priority});
}

void KVStore::pushpull(const std::vector<Key>& keys, const std::vector<std::vector<NDArray>>& values,
                       const std::vector<std::vector<NDArray>>& outs, const std::vector<int>& priorities) {
  if (outs.size() != keys.size()) {
    throw Error("KVStore.pushpull: " + std::to_string(keys.size()) + " keys but " + std::to_string(outs.size()) +
                " lists of outputs");
  }
  for (std::size_t i = 0; i < keys.size(); ++i) check_values(find(keys[i], "pushpull"), outs[i], "pushpull", "output");
  push_all(keys, values, priorities, "pushpull", &outs);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Entry& entry = *by_key_.at(keys[i]);
    if (!entry.summed_in_place) pull_into(entry, outs[i], priorities.empty() ? 0 : priorities[i], "pushpull");
  }
}

void KVStore::broadcast(const Key& key, const NDArray& value, const std::vector<NDArray>& outs, int priority) {
  if (!outs.empty() && !value.is_none()) {  // checked before init so that a bad call leaves no key behind
    for (std::size_t i = 0; i < outs.size(); ++i) {
      if (outs[i].is_none() || outs[i].shape() != value.shape()) {
        throw ShapeError("KVStore.broadcast: output " + std::to_string(i) + " of key " + key.str() + " has shape " +
                         (outs[i].is_none() ? std::string("(none)") : outs[i].shape().str()) + ", the value " +
                         value.shape().str());
      }
    }
  }
  init(key, value);
  pull(key, outs, priority);
}

void KVStore::pushpull(const Key& key, const std::vector<RowSparseNDArray>& values,
                       const std::vector<RowSparseNDArray>& outs) {
  Entry& entry = find(key, "pushpull");
  const auto check = [&](const std::vector<RowSparseNDArray>& arrays, const char* what) {
    if (arrays.empty()) throw Error("KVStore.pushpull: key " + entry.key.str() + " got no " + what);
    for (std::size_t i = 0; i < arrays.size(); ++i) {
      const std::string which = std::string(what) + " " + std::to_string(i) + " of key " + entry.key.str();
      if (arrays[i].is_none()) throw Error("KVStore.pushpull: " + which + " is an empty handle");
      if (arrays[i].shape() != entry.shape || arrays[i].dtype() != entry.dtype) {
        throw ShapeError("KVStore.pushpull: " + which + " is " + arrays[i].shape().str() + " " +
                         dtype_name(arrays[i].dtype()) + ", the key was initialized with " + entry.shape.str() + " " +
                         dtype_name(entry.dtype));
      }
    }
  };
  check(values, "row-sparse values");
  check(outs, "row-sparse outputs");
  if (optimizer_) {
    throw Error("KVStore.pushpull: key " + entry.key.str() + ": row-sparse values are summed, not updated on the "
                "store; update them on the contexts (a Trainer without update_on_kvstore)");
  }
  if (compression_) {
    throw Error("KVStore.pushpull: key " + entry.key.str() + ": gradient compression is for dense values");
  }
  RowSparseNDArray sum = reduce_row_sparse(entry, values.size() == 1 ? values[0] : nd::sparse::add_n(values));
  for (std::size_t i = 0; i + 1 < outs.size(); ++i) {
    RowSparseNDArray out = outs[i];
    nd::sparse::copyto(sum, out);
  }
  RowSparseNDArray last = outs.back();
  nd::sparse::moveto(std::move(sum), last);  // the sum's buffers, when nothing else holds them
}

void KVStore::row_sparse_pull(const Key& key, const std::vector<RowSparseNDArray>& outs, const NDArray& row_ids) {
  Entry& entry = find(key, "row_sparse_pull");
  if (outs.empty()) throw Error("KVStore.row_sparse_pull: key " + entry.key.str() + " got no outputs");
  take_in_place_sum(entry, "row_sparse_pull");
  const RowSparseNDArray rows = nd::sparse::retain_rows(entry.stored, row_ids);
  for (RowSparseNDArray out : outs) {
    if (out.is_none() || out.shape() != entry.shape || out.dtype() != entry.dtype) {
      throw ShapeError("KVStore.row_sparse_pull: an output of key " + entry.key.str() + " does not match the key's " +
                       entry.shape.str() + " " + dtype_name(entry.dtype));
    }
    nd::sparse::copyto(rows, out);
  }
}

void KVStore::set_optimizer(std::shared_ptr<optimizer::Optimizer> optimizer) {
  if (!optimizer) throw Error("KVStore.set_optimizer: the optimizer is null");
  for (const auto& entry : entries_) take_in_place_sum(*entry, "set_optimizer");  // updates start from the sums
  optimizer_ = std::move(optimizer);
}

namespace {
std::string state_name(const Key& key, std::size_t s) { return key.str() + ":state" + std::to_string(s); }
std::string updates_name(const Key& key) { return key.str() + ":updates"; }
}  // namespace

void KVStore::save_optimizer_states(const std::string& path) const {
  if (!optimizer_) throw Error("KVStore.save_optimizer_states: no optimizer is set (set_optimizer)");
  std::map<std::string, NDArray> arrays;
  for (const auto& entry : entries_) {
    if (entry->states.empty()) continue;  // never updated
    for (std::size_t s = 0; s < entry->states.size(); ++s) arrays[state_name(entry->key, s)] = entry->states[s];
    const auto count = optimizer_->update_counts().find(entry->index);
    const double updates = count == optimizer_->update_counts().end() ? 0 : count->second;
    arrays[updates_name(entry->key)] = nd::full({1}, updates, cpu(), DType::kFloat64);
  }
  nd::save(path, arrays);
}

void KVStore::load_optimizer_states(const std::string& path) {
  if (!optimizer_) throw Error("KVStore.load_optimizer_states: no optimizer is set (set_optimizer)");
  const std::map<std::string, NDArray> loaded = nd::load(path).dict();
  std::map<int, int> counts = optimizer_->update_counts();
  std::vector<std::vector<NDArray>> states(entries_.size());
  for (std::size_t index = 0; index < entries_.size(); ++index) {  // every check before anything changes
    const Entry& entry = *entries_[index];
    const auto updates = loaded.find(updates_name(entry.key));
    if (updates == loaded.end()) continue;
    counts[entry.index] = static_cast<int>(updates->second.asscalar<double>());
    const std::vector<NDArray> fresh = optimizer_->create_state(entry.stored);
    for (std::size_t s = 0; s < fresh.size(); ++s) {
      const auto it = loaded.find(state_name(entry.key, s));
      if (it == loaded.end() || it->second.shape() != entry.shape) {
        throw Error("KVStore.load_optimizer_states: " + path + " has no state " + std::to_string(s) + " of shape " +
                    entry.shape.str() + " for key " + entry.key.str() + " (saved by another optimizer or store?)");
      }
      states[index].push_back(nd::as_in_context(it->second.astype(fresh[s].dtype()), entry.stored.context()));
    }
  }
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    if (!states[index].empty()) entries_[index]->states = std::move(states[index]);
  }
  optimizer_->set_update_counts(std::move(counts));
}

}  // namespace mx::kvstore
