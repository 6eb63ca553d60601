#pragma once
// Gluon's Trainer: applies an optimizer to a set of parameters after backward. step(batch_size) sums each
// parameter's gradients over its contexts, rescales them by 1 / batch_size and updates every copy, one fused
// engine operation per parameter and context.
//
//   gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
//   { autograd::record r; loss = loss_fn(net(X), y); }
//   loss.backward();
//   trainer.step(batch_size);
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <mx/gluon/optimizer.h>
#include <mx/gluon/parameter.h>

namespace mx::amp {
class LossScaler;
}

namespace mx::gluon {

class Trainer {
 public:
  Trainer(const ParameterDict& params, const std::string& optimizer, const std::map<std::string, double>& options = {});
  Trainer(const ParameterDict& params, std::shared_ptr<optimizer::Optimizer> optimizer);

  // allreduce_grads() then update(batch_size). A gradient that backward has not written since the last step is
  // an mx::Error naming the parameter, unless ignore_stale_grad (then that parameter is left alone).
  void step(double batch_size, bool ignore_stale_grad = false);
  // Sums each multi-context parameter's gradients and gives every context the sum.
  void allreduce_grads();
  void update(double batch_size, bool ignore_stale_grad = false);

  double learning_rate() const { return optimizer_->learning_rate(); }
  void set_learning_rate(double lr) { optimizer_->set_learning_rate(lr); }
  optimizer::Optimizer& optimizer() { return *optimizer_; }

  // Dynamic loss scaling (amp::init_trainer): update() then checks the gradients for inf and NaN (a sync point,
  // as in MXNet), skips the update and lowers the scale on an overflow, and divides the gradients by the scale
  // otherwise.
  void set_loss_scaler(std::shared_ptr<amp::LossScaler> scaler) { loss_scaler_ = std::move(scaler); }
  amp::LossScaler* loss_scaler() const { return loss_scaler_.get(); }

  // The optimizer's states and update counts, in the NDArray file format.
  void save_states(const std::string& path) const;
  // Throws mx::Error naming the file when it does not fit these parameters; nothing changes then.
  void load_states(const std::string& path);

 private:
  struct Slot {
    std::string name;
    Parameter parameter;
    std::vector<std::vector<NDArray>> states;  // per context, created at the first update
    std::vector<std::uint64_t> seen_versions;  // each gradient's version when last used
    std::optional<bool> fresh;                 // decided by allreduce_grads, for the update that follows
  };
  void check_initialized(Slot& slot);
  // Whether backward wrote every gradient of the slot since they were last used.
  bool is_fresh(const Slot& slot) const;

  std::vector<Slot> slots_;
  std::shared_ptr<optimizer::Optimizer> optimizer_;
  double base_rescale_;
  std::shared_ptr<amp::LossScaler> loss_scaler_;
};

}  // namespace mx::gluon
