#include <mx/gluon/trainer.h>

#include <algorithm>
#include <string_view>

#include <mx/gluon/amp.h>

#include <mx/autograd/autograd.h>
#include <mx/kvstore/kvstore.h>
#include <mx/ndarray/serialize.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/optimizer/state_file.h>
#include <mx/sparse/sparse_ops.h>

namespace mx::gluon {

Trainer::Trainer(const ParameterDict& params, const std::string& optimizer, const std::map<std::string, double>& options,
                 TrainerStore kvstore, std::optional<kvstore::GradientCompression> compression_params,
                 std::optional<bool> update_on_kvstore)
    : Trainer(params, optimizer::create(optimizer, options), std::move(kvstore), std::move(compression_params),
              update_on_kvstore) {}

Trainer::Trainer(const ParameterDict& params, std::shared_ptr<optimizer::Optimizer> optimizer, TrainerStore kvstore,
                 std::optional<kvstore::GradientCompression> compression_params, std::optional<bool> update_on_kvstore)
    : optimizer_(std::move(optimizer)),
      base_rescale_(optimizer_->rescale_grad()),
      store_choice_(std::move(kvstore)),
      compression_(std::move(compression_params)),
      update_on_kvstore_(update_on_kvstore) {
  for (const auto& [name, parameter] : params) {
    if (parameter.grad_req() == GradReq::kNull) continue;  // not trained (BatchNorm's running statistics)
    slots_.push_back({name, parameter, {}, {}});
    slots_.back().row_sparse = parameter.grad_stype() == StorageType::kRowSparse;
  }
  // With every parameter's values known, a distributed store hands rank 0's to every rank now, before the
  // first forward pass; deferred parameters wait for the first step, as in MXNet.
  const bool all_initialized =
      std::all_of(slots_.begin(), slots_.end(), [](const Slot& slot) { return slot.parameter.is_initialized(); });
  if (all_initialized && !slots_.empty()) init_kvstore();
}

Trainer::~Trainer() = default;

void Trainer::init_kvstore() {
  if (kvstore_initialized_) return;
  for (Slot& slot : slots_) check_initialized(slot);
  std::size_t contexts = slots_.empty() ? 1 : slots_.front().parameter.list_ctx().size();
  for (const Slot& slot : slots_) {
    if (slot.parameter.list_ctx().size() != contexts) {
      throw Error("Trainer: parameter '" + slot.name + "' lives on " + std::to_string(slot.parameter.list_ctx().size()) +
                  " contexts and '" + slots_.front().name + "' on " + std::to_string(contexts) +
                  "; every parameter must be initialized on the same contexts");
    }
  }
  if (store_choice_.store) {
    kvstore_ = store_choice_.store;
  } else if (!store_choice_.type.empty() && (contexts > 1 || store_choice_.type.starts_with("dist"))) {
    kvstore_ = kvstore::create(store_choice_.type);
  }
  if (update_on_kvstore_.value_or(false) && !kvstore_) update_on_kvstore_ = false;  // nothing to update on
  for (const Slot& slot : slots_) {
    if (slot.row_sparse && update_on_kvstore()) {
      throw Error("Trainer: parameter '" + slot.name + "' has a row-sparse gradient, which updates the weight on "
                  "its contexts (only its rows), not on the store: make the Trainer without update_on_kvstore, or "
                  "the gradient dense (sparse_grad off)");
    }
  }
  if (kvstore_ && compression_) kvstore_->set_gradient_compression(*compression_);
  if (kvstore_) {
    autograd::pause no_recording;
    for (std::size_t index = 0; index < slots_.size(); ++index) {
      const int key = static_cast<int>(index);
      const std::vector<NDArray> weights = slots_[index].parameter.list_data();
      kvstore_->init(key, weights[0]);
      kvstore_->pull(key, weights, -key);  // a distributed store's rank 0 values, everywhere
    }
    if (update_on_kvstore()) kvstore_->set_optimizer(optimizer_);
  }
  kvstore_initialized_ = true;
}

void Trainer::check_initialized(Slot& slot) {
  if (!slot.parameter.is_initialized()) {
    throw Error("Trainer: parameter '" + slot.name + "' is not initialized; call initialize() and run a forward "
                "pass before step()");
  }
  if (slot.states.empty()) {
    for (const NDArray& w : slot.parameter.list_data()) slot.states.push_back(optimizer_->create_state(w));
    slot.seen_versions.assign(slot.states.size(), 0);
  }
}

std::vector<std::uint64_t> Trainer::grad_versions(const Slot& slot) {
  std::vector<std::uint64_t> versions;
  if (slot.row_sparse) {
    for (const RowSparseNDArray& g : slot.parameter.list_row_sparse_grad()) versions.push_back(g.version());
  } else {
    for (const NDArray& g : slot.parameter.list_grad()) versions.push_back(g.version());
  }
  return versions;
}

bool Trainer::is_fresh(const Slot& slot) const {
  const std::vector<std::uint64_t> versions = grad_versions(slot);
  for (std::size_t c = 0; c < versions.size(); ++c) {
    if (versions[c] == slot.seen_versions[c]) return false;
  }
  return true;
}

void Trainer::allreduce_row_sparse(std::size_t index) {
  const std::vector<RowSparseNDArray> grads = slots_[index].parameter.list_row_sparse_grad();
  kvstore_->pushpull(static_cast<int>(index), grads, grads);
}

void Trainer::step(double batch_size, bool ignore_stale_grad) {
  init_kvstore();
  if (update_on_kvstore()) {
    step_on_kvstore(batch_size, ignore_stale_grad);
    return;
  }
  allreduce_grads();
  update(batch_size, ignore_stale_grad);
}

void Trainer::allreduce_grads() {
  init_kvstore();
  if (update_on_kvstore()) {
    throw Error("Trainer.allreduce_grads: the updates run on the kvstore (update_on_kvstore), which sums and "
                "updates in one push; call step(), or make the Trainer with update_on_kvstore false");
  }
  if (!kvstore_) return;
  autograd::pause no_recording;
  for (Slot& slot : slots_) slot.fresh = is_fresh(slot);  // before the sums write the gradients
  // Every parameter, fresh or not, so that every worker of a distributed store pushes the same keys.
  const StoreCall call = store_call(/*with_weights=*/false);
  if (!call.keys.empty()) kvstore_->pushpull(call.keys, call.grads, call.grads, call.priorities);
  for (std::size_t index = slots_.size(); index-- > 0;) {  // the last layers first, as the dense keys
    if (slots_[index].row_sparse) allreduce_row_sparse(index);
  }
  mark_gradients_used();
}

namespace {

// The block that owns a parameter, from its name: "1.weight" and "dense0_bias" give "1" and "dense0".
std::string_view owner_of(std::string_view name) {
  const std::size_t at = name.find_last_of("._");
  return at == std::string_view::npos ? name : name.substr(0, at);
}

}  // namespace

Trainer::StoreCall Trainer::store_call(bool with_weights) const {
  // The last layers first, as backward writes them; each block's own parameters together and in their order:
  // one operation may write them at once (FullyConnected's weight and bias gradients), and a bucket of a
  // distributed store that held a layer's bias beside the next layer's arrays would wait for the layer's weight.
  std::vector<std::size_t> order;
  for (std::size_t end = slots_.size(); end > 0;) {
    const std::string_view owner = owner_of(slots_[end - 1].name);
    std::size_t begin = end - 1;
    while (begin > 0 && owner_of(slots_[begin - 1].name) == owner) --begin;
    for (std::size_t index = begin; index < end; ++index) order.push_back(index);
    end = begin;
  }
  StoreCall call;
  for (const std::size_t index : order) {
    if (slots_[index].row_sparse) continue;  // summed by allreduce_row_sparse
    call.keys.emplace_back(static_cast<int>(index));
    call.grads.push_back(slots_[index].parameter.list_grad());
    if (with_weights) call.weights.push_back(slots_[index].parameter.list_data());
    call.priorities.push_back(-static_cast<int>(index));
  }
  return call;
}

void Trainer::mark_gradients_used() {
  for (Slot& slot : slots_) slot.seen_versions = grad_versions(slot);
}

bool Trainer::skip_for_overflow(double& scale) {
  if (!loss_scaler_) return false;
  scale = loss_scaler_->scale();
  std::vector<NDArray> all;
  for (Slot& slot : slots_) {
    check_initialized(slot);
    if (slot.row_sparse) {  // an inf or NaN among the rows makes their square sum one
      for (const RowSparseNDArray& g : slot.parameter.list_row_sparse_grad()) all.push_back(nd::sparse::square_sum(g));
      continue;
    }
    for (const NDArray& g : slot.parameter.list_grad()) all.push_back(g);
  }
  const bool overflow = loss_scaler_->has_overflow(all);
  loss_scaler_->update_scale(overflow);
  if (!overflow) return false;
  mark_gradients_used();  // the step is skipped: these gradients count as used
  for (Slot& slot : slots_) slot.fresh.reset();
  return true;
}

Error Trainer::stale_error(const Slot& slot) {
  return Error("Trainer: the gradient of '" + slot.name + "' was not written by backward since the last update (is "
               "the parameter used in the forward pass?); pass ignore_stale_grad to skip such parameters");
}

void Trainer::prepare_update(double batch_size, double scale) {
  if (!(batch_size > 0)) throw Error("Trainer: batch_size must be positive, got " + std::to_string(batch_size));
  optimizer_->set_rescale_grad(base_rescale_ / (batch_size * scale));
  // The parameters' multipliers as they are now (set any time, as Gluon's param_dict is read at each update).
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    const Parameter& p = slots_[index].parameter;
    optimizer_->set_param_info(static_cast<int>(index), {slots_[index].name, p.lr_mult(), p.wd_mult()});
  }
}

void Trainer::step_on_kvstore(double batch_size, bool ignore_stale_grad) {
  autograd::pause no_recording;
  double scale = 1;
  if (skip_for_overflow(scale)) return;
  prepare_update(batch_size, scale);
  for (const Slot& slot : slots_) {
    if (!is_fresh(slot) && !ignore_stale_grad) throw stale_error(slot);
  }
  // Stale gradients are pushed too, as in MXNet: every worker of a distributed store pushes the same keys.
  const StoreCall call = store_call(/*with_weights=*/true);
  kvstore_->pushpull(call.keys, call.grads, call.weights, call.priorities);
  mark_gradients_used();
}

void Trainer::update(double batch_size, bool ignore_stale_grad) {
  if (!(batch_size > 0)) throw Error("Trainer: batch_size must be positive, got " + std::to_string(batch_size));
  init_kvstore();
  if (update_on_kvstore()) {
    throw Error("Trainer.update: the updates run on the kvstore (update_on_kvstore); call step(), or make the "
                "Trainer with update_on_kvstore false");
  }
  autograd::pause no_recording;
  double scale = 1;
  if (skip_for_overflow(scale)) return;
  prepare_update(batch_size, scale);
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    Slot& slot = slots_[index];
    check_initialized(slot);
    const std::vector<NDArray> weights = slot.parameter.list_data();
    const bool fresh = slot.fresh.value_or(is_fresh(slot));
    slot.fresh.reset();
    if (!fresh) {
      if (ignore_stale_grad) continue;
      throw stale_error(slot);
    }
    if (slot.row_sparse) {
      optimizer_->update(static_cast<int>(index), weights, slot.parameter.list_row_sparse_grad(), slot.states);
    } else {
      optimizer_->update(static_cast<int>(index), weights, slot.parameter.list_grad(), slot.states);
    }
    slot.seen_versions = grad_versions(slot);
  }
}

void Trainer::save_states(const std::string& path) const {
  if (update_on_kvstore() && kvstore_) {
    kvstore_->save_optimizer_states(path);
    return;
  }
  std::vector<std::string> names;
  std::vector<std::vector<std::vector<NDArray>>> states;
  for (const Slot& slot : slots_) {
    names.push_back(slot.name);
    states.push_back(slot.states);
  }
  optimizer::save_states(path, *optimizer_, names, states);
}

void Trainer::load_states(const std::string& path) {
  init_kvstore();
  if (update_on_kvstore()) {
    kvstore_->load_optimizer_states(path);
    return;
  }
  std::vector<std::string> names;
  std::vector<std::vector<std::vector<NDArray>>> states;
  for (Slot& slot : slots_) {
    check_initialized(slot);
    names.push_back(slot.name);
    states.push_back(slot.states);  // handles: loading writes the slots' arrays
  }
  optimizer::load_states(path, *optimizer_, names, states, "Trainer.load_states");
}

}  // namespace mx::gluon
