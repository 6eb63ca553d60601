#pragma once
// MXNet's Module (mx.mod.Module): trains and runs a symbol the way MXNet 1.x's Module-era scripts did, with
// data iterators, one executor per context (the batch split between them, gradients summed through a
// kvstore), and checkpoints in MXNet's formats.
//
//   auto net = sym::invoke("SoftmaxOutput", {fc3}, {}, "softmax");
//   mod::Module module(net, {.context = {cpu()}});
//   module.fit(train_iter, {.eval_data = &val_iter, .optimizer = "sgd", .optimizer_params = {{"learning_rate", 0.1}},
//                           .num_epoch = 10, .batch_end_callback = {mod::Speedometer(100)}});
//   module.score(val_iter, "acc");                              // [("accuracy", 0.97)]
//   module.save_checkpoint("mlp", 10);                          // mlp-symbol.json, mlp-0010.params
//   auto loaded = mod::Module::load("mlp", 10, false, {.context = {cpu()}});
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mx/module/base_module.h>

namespace mx::mod {

struct ModuleOptions {
  std::vector<std::string> data_names = {"data"};
  std::vector<std::string> label_names = {"softmax_label"};
  // One executor per context; the batch is split between them as evenly as it goes.
  std::vector<Context> context = {current_context()};
  // Arguments that are parameters but never updated (grad_req null).
  std::vector<std::string> fixed_param_names = {};
};

class Module : public BaseModule {
 public:
  explicit Module(sym::Symbol symbol, ModuleOptions options = {});
  // The module of a checkpoint (save_checkpoint): its symbol, and its parameters set once bound; with
  // load_optimizer_states, prefix-%04d.states read by init_optimizer.
  static Module load(const std::string& prefix, int epoch, bool load_optimizer_states = false, ModuleOptions options = {});

  using BaseModule::init_params;
  void bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes = {},
            const BindOptions& options = {}) override;
  // The same over `shared`'s parameters, gradients and auxiliary states (the same arrays, on the same contexts),
  // which must be bound and initialized: BucketingModule's modules share their default one's this way.
  void bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
            const BindOptions& options, const Module& shared);
  // New input shapes for the bound executors, parameters kept (a last batch of another size).
  void reshape(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes = {});
  void init_params(const init::Initializer& initializer, const InitParamsOptions& options = {}) override;
  std::pair<ParamDict, ParamDict> get_params() const override;
  void init_optimizer(const InitOptimizerOptions& options = {}) override;
  // Updates with `shared`'s optimizer, store and states (MXNet's borrow_optimizer).
  void borrow_optimizer(const Module& shared);

  void forward(const io::DataBatch& batch, std::optional<bool> is_train = std::nullopt) override;
  void backward(const std::vector<NDArray>& out_grads = {}) override;
  void update() override;
  std::vector<NDArray> get_outputs() const override;
  // The gradients of the data (bound with inputs_need_grad), joined likewise.
  std::vector<NDArray> get_input_grads() const;
  void update_metric(gluon::metric::EvalMetric& metric, const std::vector<NDArray>& labels) const override;

  // prefix-symbol.json and prefix-%04d.params ("arg:"/"aux:" names, MXNet's format), and with
  // save_optimizer_states prefix-%04d.states.
  void save_checkpoint(const std::string& prefix, int epoch, bool save_optimizer_states = false) const override;
  void save_optimizer_states(const std::string& path) const;
  void load_optimizer_states(const std::string& path);

  const sym::Symbol& symbol() const override { return symbol_; }
  const std::vector<std::string>& data_names() const { return options_.data_names; }
  const std::vector<std::string>& label_names() const { return options_.label_names; }
  std::vector<std::string> output_names() const { return symbol_.list_outputs(); }
  const std::vector<io::DataDesc>& data_shapes() const { return data_shapes_; }
  const std::vector<io::DataDesc>& label_shapes() const { return label_shapes_; }
  std::vector<std::pair<std::string, Shape>> output_shapes() const;
  bool binded() const override { return !executors_.empty(); }
  bool for_training() const { return for_training_; }
  bool params_initialized() const override { return params_initialized_; }
  bool optimizer_initialized() const override { return optimizer_ != nullptr; }
  const std::vector<Executor>& executors() const { return executors_; }

 private:
  void require(bool condition, const char* call, const char* what) const;
  // The batch rows each context takes.
  std::vector<std::pair<std::int64_t, std::int64_t>> slices(std::int64_t batch) const;
  void bind_with(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
                 const BindOptions& options, const Module* shared);
  void bind_executors(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
                      const Module* shared = nullptr);
  void copy_params_to_executors();
  // The host copies from the executors (BatchNorm's statistics averaged over contexts, as MXNet's).
  void sync_params_from_executors() const;
  std::vector<NDArray> join(std::vector<NDArray> (*pick)(const Executor&, const std::vector<std::string>&)) const;

  sym::Symbol symbol_;
  ModuleOptions options_;
  std::vector<std::string> param_names_, aux_names_;
  std::vector<std::size_t> param_args_;  // each parameter's place in list_arguments()
  std::vector<bool> fixed_;              // each parameter's: in fixed_param_names
  std::vector<io::DataDesc> data_shapes_, label_shapes_;
  std::vector<Executor> executors_;
  std::vector<std::pair<std::int64_t, std::int64_t>> slices_;
  bool for_training_ = false, inputs_need_grad_ = false;
  GradReq grad_req_ = GradReq::kWrite;
  // The host copies of the parameters: what init_params fills and get_params returns; the executors hold theirs.
  mutable ParamDict arg_params_, aux_params_;
  bool params_initialized_ = false;

  std::shared_ptr<optimizer::Optimizer> optimizer_;
  std::shared_ptr<kvstore::KVStore> kvstore_;
  bool update_on_kvstore_ = false;
  std::vector<std::vector<std::vector<NDArray>>> updater_states_;  // per parameter, per context (no store updates)
  std::string preload_optimizer_states_;
};

}  // namespace mx::mod
