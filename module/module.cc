#include <mx/module/module.h>

#include <algorithm>

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

// An executor of `symbol` whose parameters, gradients and auxiliary states are `shared`'s arrays of the same
// names (which must have the same shapes), its inputs new arrays of `shapes`.
Executor bind_sharing(const sym::Symbol& symbol, Context ctx, const std::map<std::string, Shape>& shapes,
                      const SimpleBindOptions& options, const Executor& shared) {
  const sym::InferredShapes inferred = symbol.infer_shape(shapes);
  const std::vector<std::string> arg_names = symbol.list_arguments(), aux_names = symbol.list_auxiliary_states();
  const std::map<std::string, NDArray> shared_args = shared.arg_dict(), shared_grads = shared.grad_dict(),
                                       shared_aux = shared.aux_dict();
  std::map<std::string, NDArray> args, grads, aux;
  const auto take = [&](const std::string& name, const Shape& shape, const std::map<std::string, NDArray>& from,
                        std::map<std::string, NDArray>& into) {
    const auto it = from.find(name);
    if (it == from.end()) return false;
    if (it->second.shape() != shape) {
      throw ShapeError("Module.bind: '" + name + "' is " + shape.str() + " here and " + it->second.shape().str() +
                       " in the shared module");
    }
    into.emplace(name, it->second);
    return true;
  };
  for (std::size_t i = 0; i < arg_names.size(); ++i) {
    const std::string& name = arg_names[i];
    if (!shapes.contains(name) && take(name, inferred.arg_shapes[i], shared_args, args)) {
      take(name, inferred.arg_shapes[i], shared_grads, grads);
      continue;
    }
    const auto dtype = options.type_dict.find(name);
    args.emplace(name, nd::zeros(inferred.arg_shapes[i], ctx, dtype == options.type_dict.end() ? DType::kFloat32 : dtype->second));
  }
  for (std::size_t i = 0; i < aux_names.size(); ++i) {
    if (!take(aux_names[i], inferred.aux_shapes[i], shared_aux, aux)) {
      aux.emplace(aux_names[i], nd::zeros(inferred.aux_shapes[i], ctx));
    }
  }
  return mod::bind(symbol, ctx, args, grads, options.grad_reqs, aux);
}

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
  for (const std::string& name : param_names_) fixed_.push_back(contains(options_.fixed_param_names, name));
  aux_names_ = symbol_.list_auxiliary_states();
}

Module Module::load(const std::string& prefix, int epoch, bool load_optimizer_states, ModuleOptions options) {
  Checkpoint checkpoint = load_checkpoint(prefix, epoch);
  Module module(checkpoint.symbol, std::move(options));
  module.arg_params_ = std::move(checkpoint.arg_params);
  module.aux_params_ = std::move(checkpoint.aux_params);
  module.params_initialized_ = true;
  if (load_optimizer_states) module.preload_optimizer_states_ = states_file(prefix, epoch);
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
  bind_with(data_shapes, label_shapes, options, nullptr);
  if (params_initialized_) copy_params_to_executors();
}

void Module::bind_with(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
                       const BindOptions& options, const Module* shared) {
  check_names(data_shapes, options_.data_names, "data");
  if (!label_shapes.empty()) check_names(label_shapes, options_.label_names, "label");
  for_training_ = options.for_training;
  inputs_need_grad_ = options.inputs_need_grad;
  grad_req_ = options.grad_req;
  executors_.clear();
  bind_executors(data_shapes, label_shapes, shared);
}

void Module::bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
                  const BindOptions& options, const Module& shared) {
  require(shared.binded() && shared.params_initialized_, "bind", "the shared module must be bound and initialized");
  if (shared.options_.context != options_.context) throw Error("Module.bind: the shared module runs on other contexts");
  bind_with(data_shapes, label_shapes, options, &shared);
  // The same host copies as well: what either module reads or sets is the other's.
  shared.sync_params_from_executors();
  arg_params_ = shared.arg_params_;
  aux_params_ = shared.aux_params_;
  params_initialized_ = true;
}

void Module::bind_executors(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
                            const Module* shared) {
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
    if (shared != nullptr) {
      executors.push_back(bind_sharing(symbol_, options_.context[k], shapes, bind_options, shared->executors_[k]));
    } else if (!executors_.empty()) {
      executors.push_back(executors_[k].reshape(shapes));  // the executors made before keep their parameters
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
}

void Module::sync_params_from_executors() const {
  if (executors_.empty()) return;
  const std::map<std::string, NDArray> args = executors_.front().arg_dict();
  for (const std::string& name : param_names_) args.at(name).copyto(arg_params_.at(name));
  // BatchNorm's statistics differ per context (each saw its part of the batch): their mean, as MXNet's.
  const double contexts = static_cast<double>(executors_.size());
  for (std::size_t i = 0; i < aux_names_.size(); ++i) {
    NDArray sum = executors_.front().aux_arrays()[i].copyto(cpu());
    for (std::size_t k = 1; k < executors_.size(); ++k) sum = sum + executors_[k].aux_arrays()[i].copyto(cpu());
    (executors_.size() == 1 ? sum : sum / contexts).copyto(aux_params_.at(aux_names_[i]));
  }
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

void Module::borrow_optimizer(const Module& shared) {
  require(shared.optimizer_initialized(), "borrow_optimizer", "the shared module has no optimizer (init_optimizer)");
  require(shared.param_names_ == param_names_, "borrow_optimizer", "the shared module has other parameters");
  optimizer_ = shared.optimizer_;
  kvstore_ = shared.kvstore_;
  update_on_kvstore_ = shared.update_on_kvstore_;
  updater_states_ = shared.updater_states_;  // handles: both update the same state arrays
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

void Module::update() {
  require(optimizer_initialized(), "update", "call init_optimizer first");
  for (std::size_t i = 0; i < param_names_.size(); ++i) {
    if (fixed_[i]) continue;
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

void Module::save_checkpoint(const std::string& prefix, int epoch, bool save_optimizer_states_too) const {
  const auto [arg_params, aux_params] = get_params();
  mod::save_checkpoint(prefix, epoch, symbol_, arg_params, aux_params);
  if (save_optimizer_states_too) save_optimizer_states(states_file(prefix, epoch));
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
