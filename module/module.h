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
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <mx/gluon/init.h>
#include <mx/gluon/metric.h>
#include <mx/io/data_iter.h>
#include <mx/kvstore/kvstore.h>
#include <mx/module/callbacks.h>
#include <mx/module/executor.h>
#include <mx/optimizer/optimizer.h>

namespace mx::mod {

struct ModuleOptions {
  std::vector<std::string> data_names = {"data"};
  std::vector<std::string> label_names = {"softmax_label"};
  // One executor per context; the batch is split between them as evenly as it goes.
  std::vector<Context> context = {current_context()};
  // Arguments that are parameters but never updated (grad_req null).
  std::vector<std::string> fixed_param_names = {};
};

struct BindOptions {
  bool for_training = true;
  bool inputs_need_grad = false;  // the data's gradients too (get_input_grads)
  bool force_rebind = false;
  GradReq grad_req = GradReq::kWrite;  // the parameters'
};

using ParamDict = std::map<std::string, NDArray>;
using MetricRef = std::variant<std::string, std::vector<std::string>, std::shared_ptr<gluon::metric::EvalMetric>>;
using OptimizerRef = std::variant<std::string, std::shared_ptr<optimizer::Optimizer>>;
using KVStoreRef = std::variant<std::string, std::shared_ptr<kvstore::KVStore>>;

struct InitParamsOptions {
  const ParamDict* arg_params = nullptr;  // values to start from, by name; the initializer fills the rest
  const ParamDict* aux_params = nullptr;
  bool allow_missing = false;  // with arg_params/aux_params: parameters they lack are initialized, not an error
  bool force_init = false;     // initialize again when already initialized
  bool allow_extra = false;    // names in them that the symbol lacks are ignored, not an error
};

struct InitOptimizerOptions {
  KVStoreRef kvstore = std::string("local");
  OptimizerRef optimizer = std::string("sgd");
  // For an optimizer by name, MXNet's keyword names (optimizer::create); rescale_grad defaults to 1 / batch size.
  std::map<std::string, double> optimizer_params = {{"learning_rate", 0.01}};
  bool force_init = false;
};

struct FitOptions {
  io::DataIter* eval_data = nullptr;
  MetricRef eval_metric = std::string("acc");
  std::vector<EpochEndCallback> epoch_end_callback = {};
  std::vector<BatchEndCallback> batch_end_callback = {};
  KVStoreRef kvstore = std::string("local");
  OptimizerRef optimizer = std::string("sgd");
  std::map<std::string, double> optimizer_params = {{"learning_rate", 0.01}};
  std::vector<BatchEndCallback> eval_end_callback = {};
  std::vector<BatchEndCallback> eval_batch_end_callback = {};
  init::InitializerRef initializer = {};  // Uniform(0.01), as MXNet's, when empty
  const ParamDict* arg_params = nullptr;
  const ParamDict* aux_params = nullptr;
  bool allow_missing = false;
  bool force_rebind = false;
  bool force_init = false;
  int begin_epoch = 0;
  int num_epoch = 1;
  std::optional<MetricRef> validation_metric = std::nullopt;  // eval_metric when unset
  std::ostream* log = nullptr;  // "Epoch[0] Train-accuracy=0.91" lines; std::cout when null
};

class Module {
 public:
  explicit Module(sym::Symbol symbol, ModuleOptions options = {});
  // The module of a checkpoint (save_checkpoint): its symbol, and its parameters set once bound; with
  // load_optimizer_states, prefix-%04d.states read by init_optimizer.
  static Module load(const std::string& prefix, int epoch, bool load_optimizer_states = false, ModuleOptions options = {});

  // Makes the executors for inputs and labels of these shapes (labels may be empty for prediction).
  // Parameters already initialized are kept. The parameters take the data's floating dtype (float32 for
  // other data). Names that are not the module's data or label names are errors.
  void bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes = {},
            const BindOptions& options = {});
  // New input shapes for the bound executors, parameters kept (a last batch of another size).
  void reshape(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes = {});
  void init_params(const init::Initializer& initializer, const InitParamsOptions& options = {});
  void init_params() { init_params(init::Uniform(0.01)); }
  // The parameters as host arrays (copies), and setting them (by name; see InitParamsOptions).
  std::pair<ParamDict, ParamDict> get_params() const;
  void set_params(const ParamDict& arg_params, const ParamDict& aux_params, bool allow_missing = false,
                  bool force_init = true, bool allow_extra = false);
  void init_optimizer(const InitOptimizerOptions& options = {});

  // One batch through every executor: its data (and, when training, labels) split between the contexts.
  // is_train defaults to whether the module was bound for training.
  void forward(const io::DataBatch& batch, std::optional<bool> is_train = std::nullopt);
  void backward(const std::vector<NDArray>& out_grads = {});
  void forward_backward(const io::DataBatch& batch);
  // One optimizer step on every parameter from the gradients of the last backward (summed over contexts).
  void update();
  // The outputs of the last forward, joined over the contexts along the batch axis (on the first context).
  std::vector<NDArray> get_outputs() const;
  // The gradients of the data (bound with inputs_need_grad), joined likewise.
  std::vector<NDArray> get_input_grads() const;
  void update_metric(gluon::metric::EvalMetric& metric, const std::vector<NDArray>& labels) const;

  // MXNet's training loop: bind, init_params, init_optimizer, then num_epoch - begin_epoch passes over
  // train_data, each followed by the epoch callbacks and, with eval_data, a score.
  void fit(io::DataIter& train_data, const FitOptions& options = {});
  // The metric over (up to num_batch batches of) eval_data, padding included, as MXNet's score.
  std::vector<std::pair<std::string, double>> score(io::DataIter& eval_data, const MetricRef& metric,
                                                    int num_batch = -1,
                                                    const std::vector<BatchEndCallback>& batch_end_callback = {},
                                                    bool reset = true, int epoch = 0,
                                                    const std::vector<BatchEndCallback>& score_end_callback = {});
  // Every output over eval_data, joined along the batch axis, each batch's padding removed.
  std::vector<NDArray> predict(io::DataIter& eval_data, int num_batch = -1, bool reset = true);

  // prefix-symbol.json and prefix-%04d.params ("arg:"/"aux:" names, MXNet's format), and with
  // save_optimizer_states prefix-%04d.states.
  void save_checkpoint(const std::string& prefix, int epoch, bool save_optimizer_states = false) const;
  void save_optimizer_states(const std::string& path) const;
  void load_optimizer_states(const std::string& path);

  const sym::Symbol& symbol() const { return symbol_; }
  const std::vector<std::string>& data_names() const { return options_.data_names; }
  const std::vector<std::string>& label_names() const { return options_.label_names; }
  std::vector<std::string> output_names() const { return symbol_.list_outputs(); }
  const std::vector<io::DataDesc>& data_shapes() const { return data_shapes_; }
  const std::vector<io::DataDesc>& label_shapes() const { return label_shapes_; }
  std::vector<std::pair<std::string, Shape>> output_shapes() const;
  bool binded() const { return !executors_.empty(); }
  bool for_training() const { return for_training_; }
  bool params_initialized() const { return params_initialized_; }
  bool optimizer_initialized() const { return optimizer_ != nullptr; }
  const std::vector<Executor>& executors() const { return executors_; }

 private:
  void require(bool condition, const char* call, const char* what) const;
  // The batch rows each context takes.
  std::vector<std::pair<std::int64_t, std::int64_t>> slices(std::int64_t batch) const;
  void bind_executors(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes);
  void copy_params_to_executors();
  void sync_params_from_executors() const;
  std::vector<NDArray> join(std::vector<NDArray> (*pick)(const Executor&, const std::vector<std::string>&)) const;

  sym::Symbol symbol_;
  ModuleOptions options_;
  std::vector<std::string> param_names_, aux_names_;
  std::vector<std::size_t> param_args_;  // each parameter's place in list_arguments()
  std::vector<io::DataDesc> data_shapes_, label_shapes_;
  std::vector<Executor> executors_;
  std::vector<std::pair<std::int64_t, std::int64_t>> slices_;
  bool for_training_ = false, inputs_need_grad_ = false;
  GradReq grad_req_ = GradReq::kWrite;
  // The host copies of the parameters: what init_params fills and get_params returns; the executors hold theirs.
  mutable ParamDict arg_params_, aux_params_;
  mutable bool params_dirty_ = false;  // the executors' parameters moved on since the host copies were taken
  bool params_initialized_ = false;

  std::shared_ptr<optimizer::Optimizer> optimizer_;
  std::shared_ptr<kvstore::KVStore> kvstore_;
  bool update_on_kvstore_ = false;
  std::vector<std::vector<std::vector<NDArray>>> updater_states_;  // per parameter, per context (no store updates)
  std::string preload_optimizer_states_;
};

}  // namespace mx::mod
