#include <mx/module/executor.h>

#include <algorithm>
#include <set>

#include <mx/autograd/autograd.h>
#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>

namespace mx::mod {
namespace {

std::map<std::string, NDArray> by_name(const std::vector<std::string>& names, const std::vector<NDArray>& arrays) {
  std::map<std::string, NDArray> dict;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!arrays[i].is_none()) dict.emplace(names[i], arrays[i]);
  }
  return dict;
}

// `array` on ctx: itself, or a copy.
NDArray on_context(const NDArray& array, Context ctx) { return array.context() == ctx ? array : array.copyto(ctx); }

void require_shape(const std::string& what, const std::string& name, const NDArray& given, const NDArray& bound) {
  if (given.shape() != bound.shape()) {
    throw ShapeError(what + ": '" + name + "' is bound with shape " + bound.shape().str() + ", got " +
                     given.shape().str());
  }
}

// Marks the arguments that have gradients as autograd variables, one call per grad_req.
void mark_arguments(std::vector<NDArray>& args, const std::vector<NDArray>& grads, const std::vector<GradReq>& reqs) {
  for (const GradReq req : {GradReq::kWrite, GradReq::kAdd}) {
    std::vector<NDArray> variables, buffers;
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (reqs[i] != req) continue;
      variables.push_back(args[i]);
      buffers.push_back(grads[i]);
      indices.push_back(i);
    }
    if (variables.empty()) continue;
    autograd::mark_variables(variables, buffers, req);
    for (std::size_t k = 0; k < indices.size(); ++k) args[indices[k]] = variables[k];
  }
}

}  // namespace

std::map<std::string, NDArray> Executor::arg_dict() const { return by_name(state_->arg_names, state_->args); }
std::map<std::string, NDArray> Executor::grad_dict() const { return by_name(state_->arg_names, state_->grads); }
std::map<std::string, NDArray> Executor::aux_dict() const { return by_name(state_->aux_names, state_->aux); }
std::map<std::string, NDArray> Executor::output_dict() const { return by_name(state_->output_names, state_->outputs); }

const std::vector<NDArray>& Executor::forward(bool is_train, const std::map<std::string, NDArray>& inputs) {
  State& s = *state_;
  for (const auto& [name, value] : inputs) {
    const auto it = s.slots.find(name);
    if (it == s.slots.end() || it->second.aux) throw Error("Executor::forward: the symbol has no argument '" + name + "'");
    NDArray& bound = s.args[it->second.index];
    require_shape("Executor::forward", name, value, bound);
    value.copyto(bound);
  }
  const auto variable = [&s](const sym::Node& node) -> NDArray {
    const State::Slot& slot = s.slots.at(node.name);
    return slot.aux ? s.aux[slot.index] : s.args[slot.index];
  };
  // Nodes that make arrays (MXNet's _zeros) make them beside the arguments.
  context_scope on_device(s.ctx);
  if (is_train) {
    autograd::record recording(/*train_mode=*/true);
    s.outputs = s.symbol.eval(variable);
  } else {
    autograd::pause not_recording(/*train_mode=*/false);
    s.outputs = s.symbol.eval(variable);
  }
  s.recorded = is_train;
  return s.outputs;
}

void Executor::backward(const std::vector<NDArray>& out_grads) {
  State& s = *state_;
  if (!s.recorded) {
    throw Error("Executor::backward: needs a forward with is_train=true first (the last forward was " +
                std::string(s.outputs.empty() ? "none" : "a prediction") + ")");
  }
  if (!out_grads.empty() && out_grads.size() != s.outputs.size()) {
    throw Error("Executor::backward: " + std::to_string(out_grads.size()) + " head gradients for " +
                std::to_string(s.outputs.size()) + " outputs");
  }
  std::vector<NDArray> heads;
  for (std::size_t i = 0; i < out_grads.size(); ++i) {
    require_shape("Executor::backward", s.output_names[i], out_grads[i], s.outputs[i]);
    heads.push_back(on_context(out_grads[i], s.outputs[i].context()));
  }
  s.recorded = false;  // the graph is freed by backward
  autograd::backward(s.outputs, heads);
}

void Executor::copy_params_from(const std::map<std::string, NDArray>& arg_params,
                                const std::map<std::string, NDArray>& aux_params, bool allow_extra_params) {
  State& s = *state_;
  const auto copy_into = [&](const std::map<std::string, NDArray>& given, const std::vector<std::string>& names,
                             std::vector<NDArray>& bound, const char* kind) {
    for (const auto& [name, value] : given) {
      const auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) {
        if (allow_extra_params) continue;
        throw Error(std::string("Executor::copy_params_from: the symbol has no ") + kind + " '" + name + "'");
      }
      NDArray& target = bound[static_cast<std::size_t>(it - names.begin())];
      require_shape("Executor::copy_params_from", name, value, target);
      value.copyto(target);
    }
  };
  copy_into(arg_params, s.arg_names, s.args, "argument");
  copy_into(aux_params, s.aux_names, s.aux, "auxiliary state");
}

Executor Executor::reshape(const std::map<std::string, Shape>& shapes, bool partial_shaping) const {
  const State& s = *state_;
  // As MXNet's: everything inferred from the new shapes alone (labels follow the data), then checked.
  const sym::InferredShapes inferred = s.symbol.infer_shape(shapes);
  auto next = std::make_shared<State>(s);
  next->outputs.clear();
  next->recorded = false;
  for (std::size_t i = 0; i < s.args.size(); ++i) {
    if (inferred.arg_shapes[i] == s.args[i].shape()) continue;
    if (!shapes.contains(s.arg_names[i]) && !partial_shaping) {
      throw ShapeError("Executor::reshape: '" + s.arg_names[i] + "' would change from " + s.args[i].shape().str() +
                       " to " + inferred.arg_shapes[i].str() + "; only the inputs given may change shape (or "
                       "partial_shaping)");
    }
    next->args[i] = nd::zeros(inferred.arg_shapes[i], s.ctx, s.args[i].dtype());
    if (!s.grads[i].is_none()) next->grads[i] = nd::zeros(inferred.arg_shapes[i], s.ctx, s.grads[i].dtype());
  }
  for (std::size_t i = 0; i < s.aux.size(); ++i) {
    if (inferred.aux_shapes[i] != s.aux[i].shape()) {
      throw ShapeError("Executor::reshape: auxiliary state '" + s.aux_names[i] + "' would change shape");
    }
  }
  mark_arguments(next->args, next->grads, next->reqs);
  return Executor(std::move(next));
}

Executor bind(const sym::Symbol& symbol, Context ctx, const std::map<std::string, NDArray>& args,
              const std::map<std::string, NDArray>& args_grad, const std::map<std::string, GradReq>& grad_req,
              const std::map<std::string, NDArray>& aux_states) {
  auto s = std::make_shared<Executor::State>();
  s->symbol = symbol;
  s->ctx = ctx;
  s->arg_names = symbol.list_arguments();
  s->aux_names = symbol.list_auxiliary_states();
  s->output_names = symbol.list_outputs();
  const std::set<std::string> arg_set(s->arg_names.begin(), s->arg_names.end());
  for (const auto& [name, req] : grad_req) {
    if (!arg_set.contains(name)) throw Error("bind: grad_req names '" + name + "', which is not an argument");
  }
  std::string missing;
  for (const std::string& name : s->arg_names) {
    const auto it = args.find(name);
    if (it == args.end()) {
      missing += (missing.empty() ? "" : ", ") + name;
      continue;
    }
    s->args.push_back(on_context(it->second, ctx));
    const auto req = grad_req.find(name);
    s->reqs.push_back(req == grad_req.end() ? GradReq::kWrite : req->second);
    NDArray grad;
    if (s->reqs.back() != GradReq::kNull) {
      const auto given = args_grad.find(name);
      grad = given != args_grad.end() ? given->second : nd::zeros(it->second.shape(), ctx, it->second.dtype());
      require_shape("bind", name + "'s gradient", grad, s->args.back());
      if (grad.context() != ctx) throw Error("bind: the gradient of '" + name + "' is on " + grad.context().str() + ", not " + ctx.str());
    }
    s->grads.push_back(grad);
  }
  for (const std::string& name : s->aux_names) {
    const auto it = aux_states.find(name);
    if (it == aux_states.end()) {
      missing += (missing.empty() ? "" : ", ") + name;
      continue;
    }
    s->aux.push_back(on_context(it->second, ctx));
  }
  if (!missing.empty()) throw Error("bind: no array for " + missing);
  for (std::size_t i = 0; i < s->arg_names.size(); ++i) s->slots[s->arg_names[i]] = {false, i};
  for (std::size_t i = 0; i < s->aux_names.size(); ++i) s->slots[s->aux_names[i]] = {true, i};
  mark_arguments(s->args, s->grads, s->reqs);
  return Executor(std::move(s));
}

Executor simple_bind(const sym::Symbol& symbol, Context ctx, const std::map<std::string, Shape>& shapes,
                     const SimpleBindOptions& options) {
  const sym::InferredShapes inferred = symbol.infer_shape(shapes);
  const std::vector<std::string> arg_names = symbol.list_arguments(), aux_names = symbol.list_auxiliary_states();
  const auto dtype_of = [&](const std::string& name) {
    const auto it = options.type_dict.find(name);
    return it == options.type_dict.end() ? DType::kFloat32 : it->second;
  };
  std::map<std::string, NDArray> args, aux;
  std::map<std::string, GradReq> reqs;
  for (std::size_t i = 0; i < arg_names.size(); ++i) {
    args.emplace(arg_names[i], nd::zeros(inferred.arg_shapes[i], ctx, dtype_of(arg_names[i])));
    const auto req = options.grad_reqs.find(arg_names[i]);
    reqs.emplace(arg_names[i], req == options.grad_reqs.end() ? options.grad_req : req->second);
  }
  for (std::size_t i = 0; i < aux_names.size(); ++i) {
    aux.emplace(aux_names[i], nd::zeros(inferred.aux_shapes[i], ctx, dtype_of(aux_names[i])));
  }
  for (const auto& [name, req] : options.grad_reqs) {
    if (!args.contains(name)) throw Error("simple_bind: grad_reqs names '" + name + "', which is not an argument");
  }
  return bind(symbol, ctx, args, {}, reqs, aux);
}

}  // namespace mx::mod
