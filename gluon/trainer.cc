#include <mx/gluon/trainer.h>

#include <mx/gluon/amp.h>

#include <mx/autograd/autograd.h>
#include <mx/ndarray/serialize.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>

namespace mx::gluon {

Trainer::Trainer(const ParameterDict& params, const std::string& optimizer, const std::map<std::string, double>& options)
    : Trainer(params, optimizer::create(optimizer, options)) {}

Trainer::Trainer(const ParameterDict& params, std::shared_ptr<optimizer::Optimizer> optimizer)
    : optimizer_(std::move(optimizer)), base_rescale_(optimizer_->rescale_grad()) {
  for (const auto& [name, parameter] : params) {
    if (parameter.grad_req() == GradReq::kNull) continue;  // not trained (BatchNorm's running statistics)
    slots_.push_back({name, parameter, {}, {}});
  }
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

bool Trainer::is_fresh(const Slot& slot) const {
  const std::vector<NDArray> grads = slot.parameter.list_grad();
  for (std::size_t c = 0; c < grads.size(); ++c) {
    if (grads[c].version() == slot.seen_versions[c]) return false;
  }
  return true;
}

void Trainer::step(double batch_size, bool ignore_stale_grad) {
  allreduce_grads();
  update(batch_size, ignore_stale_grad);
}

void Trainer::allreduce_grads() {
  autograd::pause no_recording;
  for (Slot& slot : slots_) {
    check_initialized(slot);
    std::vector<NDArray> grads = slot.parameter.list_grad();
    if (grads.size() < 2) continue;
    slot.fresh = is_fresh(slot);  // before the sums below write the gradients
    NDArray total = grads[0].copy();
    for (std::size_t i = 1; i < grads.size(); ++i) total += grads[i].copyto(grads[0].context());
    for (NDArray& g : grads) total.copyto(g);
    for (std::size_t c = 0; c < grads.size(); ++c) slot.seen_versions[c] = grads[c].version();
  }
}

void Trainer::update(double batch_size, bool ignore_stale_grad) {
  if (!(batch_size > 0)) throw Error("Trainer: batch_size must be positive, got " + std::to_string(batch_size));
  autograd::pause no_recording;
  double scale = 1;
  if (loss_scaler_) {
    scale = loss_scaler_->scale();
    std::vector<NDArray> all;
    for (Slot& slot : slots_) {
      check_initialized(slot);
      for (const NDArray& g : slot.parameter.list_grad()) all.push_back(g);
    }
    const bool overflow = loss_scaler_->has_overflow(all);
    loss_scaler_->update_scale(overflow);
    if (overflow) {  // the step is skipped: these gradients count as used
      for (Slot& slot : slots_) {
        const std::vector<NDArray> grads = slot.parameter.list_grad();
        for (std::size_t c = 0; c < grads.size(); ++c) slot.seen_versions[c] = grads[c].version();
        slot.fresh.reset();
      }
      return;
    }
  }
  optimizer_->set_rescale_grad(base_rescale_ / (batch_size * scale));
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    Slot& slot = slots_[index];
    check_initialized(slot);
    std::vector<NDArray> weights = slot.parameter.list_data(), grads = slot.parameter.list_grad();
    const bool fresh = slot.fresh.value_or(is_fresh(slot));
    slot.fresh.reset();
    if (!fresh) {
      if (ignore_stale_grad) continue;
      throw Error("Trainer: the gradient of '" + slot.name + "' was not written by backward since the last update "
                  "(is the parameter used in the forward pass?); pass ignore_stale_grad to skip such parameters");
    }
    for (std::size_t c = 0; c < weights.size(); ++c) {
      optimizer_->update(static_cast<int>(index), weights[c], grads[c], slot.states[c]);
      slot.seen_versions[c] = grads[c].version();
    }
  }
}

void Trainer::save_states(const std::string& path) const {
  std::map<std::string, NDArray> arrays;
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    const Slot& slot = slots_[index];
    if (slot.states.empty()) continue;
    for (std::size_t s = 0; s < slot.states[0].size(); ++s) arrays[slot.name + ":state" + std::to_string(s)] = slot.states[0][s];
    const auto count = optimizer_->update_counts().find(static_cast<int>(index));
    const double updates = count == optimizer_->update_counts().end() ? 0 : count->second;
    arrays[slot.name + ":updates"] = nd::full({1}, updates, cpu(), DType::kFloat64);
  }
  nd::save(path, arrays);
}

void Trainer::load_states(const std::string& path) {
  const std::map<std::string, NDArray> loaded = nd::load(path).dict();
  std::map<int, int> counts;
  std::vector<std::vector<NDArray>> states(slots_.size());
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    Slot& slot = slots_[index];
    check_initialized(slot);
    const auto updates = loaded.find(slot.name + ":updates");
    if (updates == loaded.end()) continue;  // never updated when saved
    counts[static_cast<int>(index)] = static_cast<int>(updates->second.asscalar<double>());
    for (std::size_t s = 0; s < slot.states[0].size(); ++s) {
      const auto it = loaded.find(slot.name + ":state" + std::to_string(s));
      if (it == loaded.end() || it->second.shape() != slot.parameter.shape()) {
        throw Error("Trainer.load_states: " + path + " has no state " + std::to_string(s) + " of shape " +
                    slot.parameter.shape().str() + " for '" + slot.name + "' (saved by another optimizer or network?)");
      }
      states[index].push_back(it->second);
    }
  }
  autograd::pause no_recording;
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    for (std::vector<NDArray>& per_context : slots_[index].states) {
      for (std::size_t s = 0; s < states[index].size(); ++s) states[index][s].astype(per_context[s].dtype()).copyto(per_context[s]);
    }
  }
  optimizer_->set_update_counts(std::move(counts));
}

}  // namespace mx::gluon
