#pragma once
// What MXNet's modules share (mx.mod.BaseModule): the calls every module answers (bind, init_params,
// init_optimizer, forward, backward, update, ...) and, written once over them, the training loop fit, score
// and predict.
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

class BaseModule {
 public:
  virtual ~BaseModule() = default;

  // Makes the executors for inputs and labels of these shapes (labels may be empty for prediction).
  // Parameters already initialized are kept. The parameters take the data's floating dtype (float32 for
  // other data). Names that are not the module's data or label names are errors.
  virtual void bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes = {},
                    const BindOptions& options = {}) = 0;
  virtual void init_params(const init::Initializer& initializer, const InitParamsOptions& options = {}) = 0;
  void init_params() { init_params(init::Uniform(0.01)); }
  // The parameters as host arrays, and setting them (by name; see InitParamsOptions).
  virtual std::pair<ParamDict, ParamDict> get_params() const = 0;
  void set_params(const ParamDict& arg_params, const ParamDict& aux_params, bool allow_missing = false,
                  bool force_init = true, bool allow_extra = false);
  virtual void init_optimizer(const InitOptimizerOptions& options = {}) = 0;

  // One batch through every executor: its data (and labels, when given) split between the contexts. is_train
  // defaults to whether the module was bound for training.
  virtual void forward(const io::DataBatch& batch, std::optional<bool> is_train = std::nullopt) = 0;
  virtual void backward(const std::vector<NDArray>& out_grads = {}) = 0;
  void forward_backward(const io::DataBatch& batch);
  // One optimizer step on every parameter from the gradients of the last backward (summed over contexts).
  virtual void update() = 0;
  // The outputs of the last forward, joined over the contexts along the batch axis (on the first context).
  virtual std::vector<NDArray> get_outputs() const = 0;
  virtual void update_metric(gluon::metric::EvalMetric& metric, const std::vector<NDArray>& labels) const = 0;

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

  // prefix-symbol.json (the symbol of the module's current bucket) and prefix-%04d.params, as MXNet's.
  virtual void save_checkpoint(const std::string& prefix, int epoch, bool save_optimizer_states = false) const = 0;

  virtual const sym::Symbol& symbol() const = 0;
  virtual bool binded() const = 0;
  virtual bool params_initialized() const = 0;
  virtual bool optimizer_initialized() const = 0;
};

// The metric a MetricRef names (mx.metric.create).
std::shared_ptr<gluon::metric::EvalMetric> resolve_metric(const MetricRef& metric);

}  // namespace mx::mod
