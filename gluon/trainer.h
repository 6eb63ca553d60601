#pragma once
// Gluon's Trainer: applies an optimizer to a set of parameters after backward. step(batch_size) sums each
// parameter's gradients over its contexts (and, with a dist_* store, over the processes of an mpirun job)
// through a kvstore, rescales them by 1 / batch_size and updates every copy, one fused engine operation per
// parameter and context. Every copy of a parameter is then the same, bit for bit.
//
//   gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
//   { autograd::record r; loss = loss_fn(net(X), y); }
//   loss.backward();
//   trainer.step(batch_size);
//
// batch_size counts the samples of the whole step: with 2 processes of 32 samples each, step(64).
//
// Row-sparse gradients (Embedding's sparse_grad) are summed by the store like the others (the union of the
// rows; across processes, every rank's rows gathered) and update only their rows on each context (the
// optimizer's lazy_update); with update_on_kvstore they are refused.
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <mx/gluon/optimizer.h>
#include <mx/kvstore/kvstore.h>
#include <mx/gluon/parameter.h>

namespace mx::amp {
class LossScaler;
}

namespace mx::gluon {

// What a Trainer sums gradients with: a kvstore type ("device", MXNet's default, "local", "dist_sync", ...; ""
// for none) or a store of the caller's. A type makes a store when the parameters live on several contexts, or
// always for dist_* types: at construction when every parameter is initialized (a distributed store then gives
// every rank rank 0's values at once), else at the first step.
struct TrainerStore {
  TrainerStore(const char* type) : type(type) {}
  TrainerStore(std::string type) : type(std::move(type)) {}
  TrainerStore(std::shared_ptr<kvstore::KVStore> store) : store(std::move(store)) {}
  std::string type;
  std::shared_ptr<kvstore::KVStore> store;
};

class Trainer {
 public:
  // update_on_kvstore: the updates run on the store (set_optimizer), as MXNet's option; left out, they run on
  // each context (then allreduce_grads() and update() can be called apart).
  // compression_params: the store compresses the gradients it sums (KVStore::set_gradient_compression), as
  // MXNet's; unused where no store is made (one context, not distributed).
  Trainer(const ParameterDict& params, const std::string& optimizer, const std::map<std::string, double>& options = {},
          TrainerStore kvstore = "device",
          std::optional<kvstore::GradientCompression> compression_params = std::nullopt,
          std::optional<bool> update_on_kvstore = std::nullopt);
  Trainer(const ParameterDict& params, std::shared_ptr<optimizer::Optimizer> optimizer, TrainerStore kvstore = "device",
          std::optional<kvstore::GradientCompression> compression_params = std::nullopt,
          std::optional<bool> update_on_kvstore = std::nullopt);
  ~Trainer();

  // allreduce_grads() then update(batch_size). A gradient that backward has not written since the last step is
  // an mx::Error naming the parameter, unless ignore_stale_grad (then that parameter is left alone).
  void step(double batch_size, bool ignore_stale_grad = false);
  // Sums each parameter's gradients over its contexts (and workers) and gives every context the sum: pushed
  // into the engine in the reverse order of the parameters (backward writes the last layers' first), each with
  // priority minus its index. An mx::Error when updates run on the store.
  void allreduce_grads();
  void update(double batch_size, bool ignore_stale_grad = false);

  // The store in use (null while none: one context, before the first step, or kvstore "").
  std::shared_ptr<kvstore::KVStore> kvstore() const { return kvstore_; }
  bool update_on_kvstore() const { return update_on_kvstore_.value_or(false); }

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
    std::optional<bool> fresh = {};            // decided by allreduce_grads, for the update that follows
    bool row_sparse = false;                   // grad_stype row_sparse: summed and updated here, not on the store
  };
  // The versions of the slot's gradients, one per context.
  static std::vector<std::uint64_t> grad_versions(const Slot& slot);
  // Sums slot `index`'s row-sparse gradients over its contexts and workers on the store, each context then
  // holding the sum.
  void allreduce_row_sparse(std::size_t index);
  void check_initialized(Slot& slot);
  // At the first step: makes or takes the store, gives it every parameter (rank 0's values on every rank).
  void init_kvstore();
  // The update on the store: pushes the gradients and pulls the weights.
  void step_on_kvstore(double batch_size, bool ignore_stale_grad);
  void prepare_update(double batch_size, double scale);  // the rescale and what the optimizer is told of each parameter
  // Every parameter for one store call, the last first (backward writes the last layers' gradients first),
  // parameter i with priority -i.
  struct StoreCall {
    std::vector<kvstore::Key> keys;
    std::vector<std::vector<NDArray>> grads, weights;
    std::vector<int> priorities;
  };
  StoreCall store_call(bool with_weights) const;
  // The gradients as they are now count as used by an update.
  void mark_gradients_used();
  // With a loss scaler: checks for overflow (a sync point), sets `scale`, and on an overflow skips the step.
  bool skip_for_overflow(double& scale);
  static Error stale_error(const Slot& slot);
  // Whether backward wrote every gradient of the slot since they were last used.
  bool is_fresh(const Slot& slot) const;

  std::vector<Slot> slots_;
  std::shared_ptr<optimizer::Optimizer> optimizer_;
  double base_rescale_;
  std::shared_ptr<amp::LossScaler> loss_scaler_;
  TrainerStore store_choice_;
  std::optional<kvstore::GradientCompression> compression_;
  std::optional<bool> update_on_kvstore_;
  std::shared_ptr<kvstore::KVStore> kvstore_;
  bool kvstore_initialized_ = false;
};

}  // namespace mx::gluon
