#include <mx/module/module.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>

#include <mx/autograd/autograd.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/serialize.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/shape_ops.h>
#include <mx/optimizer/state_file.h>

namespace mx::mod {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

std::shared_ptr<gluon::metric::EvalMetric> resolve(const MetricRef& metric) {
  if (const auto* name = std::get_if<std::string>(&metric)) return gluon::metric::create(*name);
  if (const auto* names = std::get_if<std::vector<std::string>>(&metric)) return gluon::metric::create(*names);
  const auto& given = std::get<std::shared_ptr<gluon::metric::EvalMetric>>(metric);
  if (given == nullptr) throw Error("Module: the metric is null");
  return given;
}

// The descriptions' names must be `expected`, in any order.
void check_names(const std::vector<io::DataDesc>& descs, const std::vector<std::string>& expected, const char* kind) {
  std::vector<std::string> given;
  for (const io::DataDesc& d : descs) given.push_back(d.name);
  std::vector<std::string> a = given, b = expected;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b) {
    throw Error(std::string("Module.bind: ") + kind + " shapes are given for [" + joined(given) + "], the module's " +
                kind + " names are [" + joined(expected) + "]");
  }
}

std::string epoch_line(int epoch, const std::string& what) { return "Epoch[" + std::to_string(epoch) + "] " + what; }

}  // namespace

Module::Module(sym::Symbol symbol, ModuleOptions options) : symbol_(std::move(symbol)), options_(std::move(options)) {
  if (options_.context.empty()) throw Error("Module: needs at least one context");
  const std::vector<std::string> args = symbol_.list_arguments();
  for (const std::string& name : options_.data_names) {
    if (!contains(args, name)) throw Error("Module: data name '" + name + "' is not an argument of the symbol (" + joined(args) + ")");
  }
  // A network without the default label (no loss head) simply has none, as MXNet warns and goes on.
  std::erase_if(options_.label_names, [&](const std::string& name) { return !contains(args, name); });
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (contains(options_.data_names, args[i]) || contains(options_.label_names, args[i])) continue;
    param_names_.push_back(args[i]);
    param_args_.push_back(i);
  }
  for (const std::string& name : options_.fixed_param_names) {
    if (!contains(param_names_, name)) throw Error("Module: fixed parameter '" + name + "' is not a parameter of the symbol");
  }
  aux_names_ = symbol_.list_auxiliary_states();
}

Module Module::load(const std::string& prefix, int epoch, bool load_optimizer_states, ModuleOptions options) {
  Checkpoint checkpoint = load_checkpoint(prefix, epoch);
  Module module(checkpoint.symbol, std::move(options));
  module.arg_params_ = std::move(checkpoint.arg_params);
  module.aux_params_ = std::move(checkpoint.aux_params);
  module.params_initialized_ = true;
  if (load_optimizer_states) {
    char number[16];
    std::snprintf(number, sizeof number, "%04d", epoch);
    module.preload_optimizer_states_ = prefix + "-" + number + ".states";
  }
  return module;
}

void Module::require(bool condition, const char* call, const char* what) const {
  if (!condition) throw Error(std::string("Module.") + call + ": " + what);
}

std::vector<std::pair<std::int64_t, std::int64_t>> Module::slices(std::int64_t batch) const {
  const auto n = static_cast<std::int64_t>(options_.context.size());
  if (batch < n) {
    throw Error("Module: a batch of " + std::to_string(batch) + " cannot be split between " + std::to_string(n) + " contexts");
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  std::int64_t begin = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t size = batch / n + (k < batch % n ? 1 : 0);
    out.emplace_back(begin, begin + size);
    begin += size;
  }
  return out;
}

void Module::bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
                  const BindOptions& options) {
  if (binded() && !options.force_rebind) return;  // as MXNet: already bound, the call is ignored
  if (options.force_rebind && binded()) sync_params_from_executors();
  check_names(data_shapes, options_.data_names, "data");
  if (!label_shapes.empty()) check_names(label_shapes, options_.label_names, "label");
  for_training_ = options.for_training;
  inputs_need_grad_ = options.inputs_need_grad;
  grad_req_ = options.grad_req;
  executors_.clear();
  bind_executors(data_shapes, label_shapes);
  if (params_initialized_) copy_params_to_executors();
}

void Module::bind_executors(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes) {
  if (data_shapes.empty() || data_shapes.front().shape.ndim() == 0) throw Error("Module.bind: needs the data's shapes");
  const std::int64_t batch = data_shapes.front().shape[0];
  const std::vector<std::pair<std::int64_t, std::int64_t>> rows = slices(batch);
  // Labels not given (prediction) take the shapes their heads infer from the data.
  std::vector<io::DataDesc> labels = label_shapes;
  if (labels.empty() && !options_.label_names.empty()) {
    std::map<std::string, Shape> given;
    for (const io::DataDesc& d : data_shapes) given[d.name] = d.shape;
    const sym::InferredShapes inferred = symbol_.infer_shape(given);
    const std::vector<std::string> args = symbol_.list_arguments();
    for (const std::string& name : options_.label_names) {
      const auto at = static_cast<std::size_t>(std::find(args.begin(), args.end(), name) - args.begin());
      labels.push_back({name, inferred.arg_shapes[at]});
    }
  }
  // MXNet's type inference for networks of one dtype: the parameters take the data's floating dtype.
  const DType data_dtype = data_shapes.front().dtype;
  const DType param_dtype = is_floating(data_dtype) ? data_dtype : DType::kFloat32;
  std::vector<Executor> executors;
  for (std::size_t k = 0; k < options_.context.size(); ++k) {
    std::map<std::string, Shape> shapes;
    SimpleBindOptions bind_options;
    for (const std::vector<io::DataDesc>* descs : {&data_shapes, static_cast<const std::vector<io::DataDesc>*>(&labels)}) {
      for (const io::DataDesc& d : *descs) {
        if (d.shape.ndim() == 0 || d.shape[0] != batch) {
          throw Error("Module.bind: '" + d.name + "' has shape " + d.shape.str() + "; every input needs the batch of " +
                      std::to_string(batch) + " rows");
        }
        Shape part = d.shape;
        part[0] = rows[k].second - rows[k].first;
        shapes[d.name] = part;
        bind_options.type_dict[d.name] = d.dtype;
      }
    }
    for (const std::string& name : options_.data_names) {
      bind_options.grad_reqs[name] = for_training_ && inputs_need_grad_ ? GradReq::kWrite : GradReq::kNull;
    }
    for (const std::string& name : options_.label_names) bind_options.grad_reqs[name] = GradReq::kNull;
    for (const std::string& name : param_names_) {
      const bool fixed = contains(options_.fixed_param_names, name);
      bind_options.grad_reqs[name] = for_training_ && !fixed ? grad_req_ : GradReq::kNull;
      bind_options.type_dict[name] = param_dtype;
    }
    for (const std::string& name : aux_names_) bind_options.type_dict[name] = param_dtype;
    // Shared parameters: the executors made before keep theirs.
    if (!executors_.empty()) {
      const Executor& previous = executors_[k];
      executors.push_back(previous.reshape(shapes));
    } else {
      executors.push_back(simple_bind(symbol_, options_.context[k], shapes, bind_options));
    }
  }
  executors_ = std::move(executors);
  slices_ = rows;
  data_shapes_ = data_shapes;
  label_shapes_ = label_shapes;
}

void Module::reshape(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes) {
  require(binded(), "reshape", "call bind first");
  check_names(data_shapes, options_.data_names, "data");
  if (!label_shapes.empty()) check_names(label_shapes, options_.label_names, "label");
  bind_executors(data_shapes, label_shapes);
}

void Module::copy_params_to_executors() {
  for (Executor& exe : executors_) exe.copy_params_from(arg_params_, aux_params_, /*allow_extra_params=*/false);
  params_dirty_ = false;
}

void Module::sync_params_from_executors() const {
  if (!params_dirty_ || executors_.empty()) return;
  const std::map<std::string, NDArray> args = executors_.front().arg_dict();
  for (const std::string& name : param_names_) args.at(name).copyto(arg_params_.at(name));
  // BatchNorm's statistics differ per context (each saw its part of the batch): their mean, as MXNet's.
  const double contexts = static_cast<double>(executors_.size());
  for (std::size_t i = 0; i < aux_names_.size(); ++i) {
    NDArray sum = executors_.front().aux_arrays()[i].copyto(cpu());
    for (std::size_t k = 1; k < executors_.size(); ++k) sum = sum + executors_[k].aux_arrays()[i].copyto(cpu());
    (executors_.size() == 1 ? sum : sum / contexts).copyto(aux_params_.at(aux_names_[i]));
  }
  params_dirty_ = false;
}

void Module::init_params(const init::Initializer& initializer, const InitParamsOptions& options) {
  if (params_initialized_ && !options.force_init) return;
  require(binded(), "init_params", "call bind first");
  const Executor& exe = executors_.front();
  const std::map<std::string, NDArray> args = exe.arg_dict(), aux = exe.aux_dict();
  const auto fill = [&](const std::string& name, const NDArray& like, const ParamDict* given, const char* kind,
                        ParamDict& into) {
    NDArray host = nd::zeros(like.shape(), cpu(), like.dtype());
    const auto it = given != nullptr ? given->find(name) : ParamDict::const_iterator();
    if (given != nullptr && it != given->end()) {
      if (it->second.shape() != like.shape()) {
        throw ShapeError("Module.init_params: " + std::string(kind) + " '" + name + "' has shape " +
                         it->second.shape().str() + ", the symbol needs " + like.shape().str());
      }
      it->second.copyto(host);
    } else if (given != nullptr && !options.allow_missing) {
      throw Error("Module.init_params: " + std::string(kind) + " '" + name + "' is missing (allow_missing initializes it)");
    } else {
      initializer(name, host);
    }
    into[name] = host;
  };
  for (const auto* given : {options.arg_params, options.aux_params}) {
    if (given == nullptr || options.allow_extra) continue;
    for (const auto& [name, array] : *given) {
      if (!contains(param_names_, name) && !contains(aux_names_, name)) {
        throw Error("Module.init_params: '" + name + "' is not a parameter of the symbol (allow_extra ignores it)");
      }
    }
  }
  ParamDict arg_params, aux_params;
  for (const std::string& name : param_names_) fill(name, args.at(name), options.arg_params, "parameter", arg_params);
  for (const std::string& name : aux_names_) fill(name, aux.at(name), options.aux_params, "auxiliary state", aux_params);
  arg_params_ = std::move(arg_params);
  aux_params_ = std::move(aux_params);
  params_initialized_ = true;
  copy_params_to_executors();
}

std::pair<ParamDict, ParamDict> Module::get_params() const {
  require(params_initialized_, "get_params", "the parameters are not initialized (init_params)");
  sync_params_from_executors();
  return {arg_params_, aux_params_};
}

void Module::set_params(const ParamDict& arg_params, const ParamDict& aux_params, bool allow_missing, bool force_init,
                        bool allow_extra) {
  init_params(init::Zero(), {.arg_params = &arg_params, .aux_params = &aux_params, .allow_missing = allow_missing,
                             .force_init = force_init, .allow_extra = allow_extra});
}

void Module::init_optimizer(const InitOptimizerOptions& options) {
  require(binded() && params_initialized_, "init_optimizer", "call bind and init_params first");
  if (optimizer_initialized() && !options.force_init) return;
  sync_params_from_executors();
  if (const auto* type = std::get_if<std::string>(&options.kvstore)) {
    // One context needs no store unless the job spans processes (MXNet's _create_kvstore).
    kvstore_ = executors_.size() == 1 && type->find("dist") == std::string::npos ? nullptr : kvstore::create(*type);
  } else {
    kvstore_ = std::get<std::shared_ptr<kvstore::KVStore>>(options.kvstore);
  }
  update_on_kvstore_ = kvstore_ != nullptr;
  std::int64_t batch = data_shapes_.front().shape[0];
  if (kvstore_ && kvstore_->type().find("dist") != std::string::npos && kvstore_->type().find("_sync") != std::string::npos) {
    batch *= kvstore_->num_workers();
  }
  if (const auto* name = std::get_if<std::string>(&options.optimizer)) {
    std::map<std::string, double> params = options.optimizer_params;
    params.emplace("rescale_grad", 1.0 / static_cast<double>(batch));
    optimizer_ = optimizer::create(*name, params);
  } else {
    optimizer_ = std::get<std::shared_ptr<optimizer::Optimizer>>(options.optimizer);
    if (optimizer_ == nullptr) throw Error("Module.init_optimizer: the optimizer is null");
  }
  for (std::size_t i = 0; i < param_names_.size(); ++i) optimizer_->set_param_info(static_cast<int>(i), {param_names_[i]});
  updater_states_.assign(param_names_.size(), {});
  if (kvstore_) {
    for (const std::string& name : param_names_) kvstore_->init(name, arg_params_.at(name));
    if (update_on_kvstore_) kvstore_->set_optimizer(optimizer_);
  }
  if (!update_on_kvstore_) {
    for (std::size_t i = 0; i < param_names_.size(); ++i) {
      for (const Executor& exe : executors_) updater_states_[i].push_back(optimizer_->create_state(exe.arg_dict().at(param_names_[i])));
    }
  }
  if (!preload_optimizer_states_.empty()) {
    load_optimizer_states(preload_optimizer_states_);
    preload_optimizer_states_.clear();
  }
}

void Module::forward(const io::DataBatch& batch, std::optional<bool> is_train) {
  require(binded() && params_initialized_, "forward", "call bind and init_params first");
  const bool train = is_train.value_or(for_training_);
  if (batch.data.size() != options_.data_names.size()) {
    throw Error("Module.forward: the batch has " + std::to_string(batch.data.size()) + " data arrays for the data names [" +
                joined(options_.data_names) + "]");
  }
  const bool with_labels = !batch.label.empty() && !options_.label_names.empty();
  if (with_labels && batch.label.size() != options_.label_names.size()) {
    throw Error("Module.forward: the batch has " + std::to_string(batch.label.size()) + " labels for the label names [" +
                joined(options_.label_names) + "]");
  }
  // A batch of other shapes (the last, smaller one) rebinds to them, parameters kept.
  bool same = true;
  for (std::size_t i = 0; i < batch.data.size(); ++i) {
    const auto it = std::find_if(data_shapes_.begin(), data_shapes_.end(),
                                 [&](const io::DataDesc& d) { return d.name == options_.data_names[i]; });
    same = same && it->shape == batch.data[i].shape();
  }
  if (!same) {
    std::vector<io::DataDesc> data, label;
    for (std::size_t i = 0; i < batch.data.size(); ++i) data.push_back({options_.data_names[i], batch.data[i].shape(), batch.data[i].dtype()});
    if (with_labels) {
      for (std::size_t i = 0; i < batch.label.size(); ++i) label.push_back({options_.label_names[i], batch.label[i].shape(), batch.label[i].dtype()});
    }
    bind_executors(data, label);
  }
  const bool split = executors_.size() > 1;
  for (std::size_t k = 0; k < executors_.size(); ++k) {
    const auto [begin, end] = slices_[k];
    std::map<std::string, NDArray> inputs;
    for (std::size_t i = 0; i < batch.data.size(); ++i) {
      inputs[options_.data_names[i]] = split ? batch.data[i].slice(begin, end) : batch.data[i];
    }
    if (with_labels) {
      for (std::size_t i = 0; i < batch.label.size(); ++i) {
        inputs[options_.label_names[i]] = split ? batch.label[i].slice(begin, end) : batch.label[i];
      }
    }
    executors_[k].forward(train, inputs);
  }
  if (train) params_dirty_ = true;  // BatchNorm's statistics moved
}

void Module::backward(const std::vector<NDArray>& out_grads) {
  require(binded() && for_training_, "backward", "the module is not bound for training");
  const bool split = executors_.size() > 1;
  for (std::size_t k = 0; k < executors_.size(); ++k) {
    std::vector<NDArray> heads;
    for (const NDArray& g : out_grads) heads.push_back(split ? g.slice(slices_[k].first, slices_[k].second) : g);
    executors_[k].backward(heads);
  }
}

void Module::forward_backward(const io::DataBatch& batch) {
  forward(batch, true);
  backward();
}

void Module::update() {
  require(optimizer_initialized(), "update", "call init_optimizer first");
  for (std::size_t i = 0; i < param_names_.size(); ++i) {
    if (contains(options_.fixed_param_names, param_names_[i])) continue;
    const std::size_t arg = param_args_[i];
    std::vector<NDArray> weights, grads;
    for (const Executor& exe : executors_) {
      weights.push_back(exe.arg_arrays()[arg]);
      grads.push_back(exe.grad_arrays()[arg]);
    }
    const int priority = -static_cast<int>(i);  // the first layers' first: the next forward needs them first
    if (update_on_kvstore_) {
      kvstore_->push(param_names_[i], grads, priority);
      kvstore_->pull(param_names_[i], weights, priority);
      continue;
    }
    if (kvstore_) kvstore_->pushpull(param_names_[i], grads, grads, priority);
    optimizer_->update(static_cast<int>(i), weights, grads, updater_states_[i]);
  }
  params_dirty_ = true;
}

std::vector<NDArray> Module::join(std::vector<NDArray> (*pick)(const Executor&, const std::vector<std::string>&)) const {
  std::vector<std::vector<NDArray>> parts;
  for (const Executor& exe : executors_) parts.push_back(pick(exe, options_.data_names));
  if (parts.size() == 1) return parts.front();
  const Context home = options_.context.front();
  std::vector<NDArray> joined_parts;
  for (std::size_t j = 0; j < parts.front().size(); ++j) {
    std::vector<NDArray> pieces;
    for (const auto& part : parts) pieces.push_back(part[j].as_in_context(home));
    joined_parts.push_back(nd::concat(pieces, 0));
  }
  return joined_parts;
}

std::vector<NDArray> Module::get_outputs() const {
  require(binded() && !executors_.front().outputs().empty(), "get_outputs", "call forward first");
  return join([](const Executor& exe, const std::vector<std::string>&) { return exe.outputs(); });
}

std::vector<NDArray> Module::get_input_grads() const {
  require(binded() && for_training_ && inputs_need_grad_, "get_input_grads", "bind with inputs_need_grad first");
  return join([](const Executor& exe, const std::vector<std::string>& data_names) {
    const std::map<std::string, NDArray> grads = exe.grad_dict();
    std::vector<NDArray> out;
    for (const std::string& name : data_names) out.push_back(grads.at(name));
    return out;
  });
}

void Module::update_metric(gluon::metric::EvalMetric& metric, const std::vector<NDArray>& labels) const {
  require(binded(), "update_metric", "call bind and forward first");
  const bool split = executors_.size() > 1;
  for (std::size_t k = 0; k < executors_.size(); ++k) {
    std::vector<NDArray> label_part;
    for (const NDArray& label : labels) label_part.push_back(split ? label.slice(slices_[k].first, slices_[k].second) : label);
    metric.update(label_part, executors_[k].outputs());
  }
}

std::vector<std::pair<std::string, Shape>> Module::output_shapes() const {
  require(binded(), "output_shapes", "call bind first");
  std::map<std::string, Shape> shapes;
  for (const auto* descs : {&data_shapes_, &label_shapes_}) {
    for (const io::DataDesc& d : *descs) shapes[d.name] = d.shape;
  }
  const std::vector<Shape> out = symbol_.infer_shape(shapes).out_shapes;
  const std::vector<std::string> names = symbol_.list_outputs();
  std::vector<std::pair<std::string, Shape>> result;
  for (std::size_t i = 0; i < names.size(); ++i) result.emplace_back(names[i], out[i]);
  return result;
}

void Module::fit(io::DataIter& train_data, const FitOptions& options) {
  std::ostream& log = options.log != nullptr ? *options.log : std::cout;
  bind(train_data.provide_data(), train_data.provide_label(), {.for_training = true, .force_rebind = options.force_rebind});
  if (options.initializer) {
    init_params(*options.initializer, {.arg_params = options.arg_params, .aux_params = options.aux_params,
                                       .allow_missing = options.allow_missing, .force_init = options.force_init});
  } else {
    init_params(init::Uniform(0.01), {.arg_params = options.arg_params, .aux_params = options.aux_params,
                                      .allow_missing = options.allow_missing, .force_init = options.force_init});
  }
  init_optimizer({.kvstore = options.kvstore, .optimizer = options.optimizer, .optimizer_params = options.optimizer_params});
  const std::shared_ptr<gluon::metric::EvalMetric> metric = resolve(options.eval_metric);
  // The epoch's own copy: callbacks may reset theirs (Speedometer's auto_reset), and the epoch line reports every
  // batch, as MXNet's global statistics do.
  std::shared_ptr<gluon::metric::EvalMetric> epoch_metric = metric->clone();
  const MetricRef validation = options.validation_metric.value_or(options.eval_metric);
  for (int epoch = options.begin_epoch; epoch < options.num_epoch; ++epoch) {
    const auto tic = std::chrono::steady_clock::now();
    metric->reset();
    if (epoch_metric) epoch_metric->reset();
    int nbatch = 0;
    while (train_data.next()) {
      const io::DataBatch batch = train_data.batch();
      forward_backward(batch);
      update();
      update_metric(*metric, batch.label);
      if (epoch_metric) update_metric(*epoch_metric, batch.label);
      for (const BatchEndCallback& callback : options.batch_end_callback) callback({epoch, nbatch, metric.get()});
      ++nbatch;
    }
    for (const auto& [name, value] : (epoch_metric ? *epoch_metric : *metric).get_name_value()) {
      char number[64];
      std::snprintf(number, sizeof number, "%f", value);
      log << epoch_line(epoch, "Train-" + name + "=" + number) << "\n";
    }
    char seconds[64];
    std::snprintf(seconds, sizeof seconds, "%.3f",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - tic).count());
    log << epoch_line(epoch, std::string("Time cost=") + seconds) << "\n";
    const auto [arg_params, aux_params] = get_params();
    for (const EpochEndCallback& callback : options.epoch_end_callback) callback(epoch, symbol_, arg_params, aux_params);
    if (options.eval_data != nullptr) {
      for (const auto& [name, value] : score(*options.eval_data, validation, -1, options.eval_batch_end_callback,
                                             true, epoch, options.eval_end_callback)) {
        char number[64];
        std::snprintf(number, sizeof number, "%f", value);
        log << epoch_line(epoch, "Validation-" + name + "=" + number) << "\n";
      }
    }
    train_data.reset();
  }
}

std::vector<std::pair<std::string, double>> Module::score(io::DataIter& eval_data, const MetricRef& metric_ref,
                                                          int num_batch,
                                                          const std::vector<BatchEndCallback>& batch_end_callback,
                                                          bool reset, int epoch,
                                                          const std::vector<BatchEndCallback>& score_end_callback) {
  require(binded() && params_initialized_, "score", "call bind and init_params first");
  if (reset) eval_data.reset();
  const std::shared_ptr<gluon::metric::EvalMetric> metric = resolve(metric_ref);
  metric->reset();
  int nbatch = 0;
  while ((num_batch < 0 || nbatch < num_batch) && eval_data.next()) {
    const io::DataBatch& batch = eval_data.batch();
    forward(batch, false);
    update_metric(*metric, batch.label);
    for (const BatchEndCallback& callback : batch_end_callback) callback({epoch, nbatch, metric.get()});
    ++nbatch;
  }
  for (const BatchEndCallback& callback : score_end_callback) callback({epoch, nbatch, metric.get()});
  return metric->get_name_value();
}

std::vector<NDArray> Module::predict(io::DataIter& eval_data, int num_batch, bool reset) {
  require(binded() && params_initialized_, "predict", "call bind and init_params first");
  if (reset) eval_data.reset();
  std::vector<std::vector<NDArray>> pieces;
  int nbatch = 0;
  while ((num_batch < 0 || nbatch < num_batch) && eval_data.next()) {
    const io::DataBatch& batch = eval_data.batch();
    forward(batch, false);
    const std::vector<NDArray> outputs = get_outputs();
    pieces.resize(outputs.size());
    for (std::size_t j = 0; j < outputs.size(); ++j) {
      const std::int64_t rows = outputs[j].shape()[0] - batch.pad;
      pieces[j].push_back(batch.pad > 0 ? outputs[j].slice(0, rows).copy() : outputs[j]);
    }
    ++nbatch;
  }
  std::vector<NDArray> result;
  for (const std::vector<NDArray>& parts : pieces) result.push_back(parts.size() == 1 ? parts.front() : nd::concat(parts, 0));
  return result;
}

void Module::save_checkpoint(const std::string& prefix, int epoch, bool save_optimizer_states_too) const {
  const auto [arg_params, aux_params] = get_params();
  mod::save_checkpoint(prefix, epoch, symbol_, arg_params, aux_params);
  if (save_optimizer_states_too) {
    char number[16];
    std::snprintf(number, sizeof number, "%04d", epoch);
    save_optimizer_states(prefix + "-" + number + ".states");
  }
}

void Module::save_optimizer_states(const std::string& path) const {
  require(optimizer_initialized(), "save_optimizer_states", "call init_optimizer first");
  if (update_on_kvstore_) {
    kvstore_->save_optimizer_states(path);
    return;
  }
  optimizer::save_states(path, *optimizer_, param_names_, updater_states_);
}

void Module::load_optimizer_states(const std::string& path) {
  require(optimizer_initialized(), "load_optimizer_states", "call init_optimizer first");
  if (update_on_kvstore_) {
    kvstore_->load_optimizer_states(path);
    return;
  }
  optimizer::load_states(path, *optimizer_, param_names_, updater_states_, "Module.load_optimizer_states");
}

}  // namespace mx::mod
