// Custom operators: a run-time registry, and their calls as operators (host buffers) or as compositions of
// operators recorded as one (NDArrays).
#include <mx/operators/custom.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include <mx/engine/engine.h>
#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/recording.h>
#include <mx/operators/tracing.h>

namespace mx::custom {
namespace {

struct Entry;

// The parameters of a registry call: which custom operator, and its keyword arguments.
struct CustomCall {
  const Entry* entry;
  Params params;
};

struct Entry {
  std::string name;
  Definition def;
  op::Operator<CustomCall> forward_op;   // host-buffer forward
  op::Operator<CustomCall> backward_op;  // host-buffer backward: (out_grads, inputs, outputs) -> in_grads
  std::size_t num_inputs() const { return def.inputs.size(); }
  std::size_t num_outputs() const { return def.outputs.size(); }
};

std::mutex g_mutex;  // guards registry(); entries never move or go away once registered
std::map<std::string, std::unique_ptr<Entry>>& registry() {
  static std::map<std::string, std::unique_ptr<Entry>> entries;
  return entries;
}

std::string describe(const Shape& shape, DType dtype) { return std::string(dtype_name(dtype)) + " " + shape.str(); }

// The outputs' shapes and dtypes, from the definition's inference (or the first input's).
std::vector<op::ArrayInfo> infer_outputs(const Entry& e, std::span<const op::ArrayInfo> in, const Params& params) {
  if (in.size() != e.num_inputs()) {
    std::string names;
    for (const std::string& n : e.def.inputs) names += (names.empty() ? "" : ", ") + n;
    throw Error("custom operator '" + e.name + "': takes " + std::to_string(e.num_inputs()) + " input(s) (" + names +
                "), got " + std::to_string(in.size()));
  }
  std::vector<Shape> in_shapes;
  std::vector<DType> in_types;
  for (const op::ArrayInfo& info : in) {
    in_shapes.push_back(info.shape);
    in_types.push_back(info.dtype);
  }
  std::vector<Shape> shapes = e.def.infer_shape ? e.def.infer_shape(in_shapes, params)
                                                : std::vector<Shape>(e.num_outputs(), in.empty() ? Shape{} : in[0].shape);
  std::vector<DType> types = e.def.infer_type ? e.def.infer_type(in_types, params)
                                              : std::vector<DType>(e.num_outputs(), in.empty() ? DType::kFloat32 : in[0].dtype);
  if (shapes.size() != e.num_outputs() || types.size() != e.num_outputs()) {
    throw Error("custom operator '" + e.name + "': inference gave " + std::to_string(shapes.size()) + " shape(s) and " +
                std::to_string(types.size()) + " dtype(s) for " + std::to_string(e.num_outputs()) + " output(s)");
  }
  std::vector<op::ArrayInfo> out(e.num_outputs());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = {shapes[i], types[i]};
  return out;
}

void forward_host(const CustomCall& p, std::span<const Blob> in, std::span<const Blob> out,
                  const op::ComputeContext& ctx) {
  p.entry->def.forward_host(Call{p.entry->name, p.params, ctx.training, ctx.run.ctx}, in, out);
}

void backward_host(const CustomCall& p, std::span<const Blob> in, std::span<const Blob> out,
                   const op::ComputeContext& ctx) {
  const std::size_t n_out = p.entry->num_outputs(), n_in = p.entry->num_inputs();
  p.entry->def.backward_host(Call{p.entry->name, p.params, ctx.training, ctx.run.ctx}, in.subspan(0, n_out),
                             in.subspan(n_out, n_in), in.subspan(n_out + n_in, n_out), out);
}

std::vector<NDArray> gradient(const CustomCall& p, const op::GradientArgs& args) {
  const Entry& e = *p.entry;
  if (e.def.backward) {
    const Context ctx = args.inputs.empty() ? current_context() : args.inputs[0].context();
    std::vector<NDArray> grads =
        e.def.backward(Call{e.name, p.params, op::thread_mode().training, ctx}, args.output_grads, args.inputs, args.outputs);
    if (grads.size() != e.num_inputs()) {
      throw Error("custom operator '" + e.name + "': backward returned " + std::to_string(grads.size()) +
                  " gradient(s) for " + std::to_string(e.num_inputs()) + " input(s)");
    }
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].is_none() && grads[i].shape() != args.inputs[i].shape()) {
        throw ShapeError("custom operator '" + e.name + "': backward returned a gradient of shape " +
                         grads[i].shape().str() + " for input " + std::to_string(i) + " of shape " +
                         args.inputs[i].shape().str());
      }
    }
    return grads;
  }
  std::vector<NDArray> ins;
  for (auto group : {args.output_grads, args.inputs, args.outputs}) ins.insert(ins.end(), group.begin(), group.end());
  std::vector<NDArray> grads(e.num_inputs());
  op::invoke(e.backward_op, ins, p, std::span<NDArray>(grads));
  return grads;
}

void infer_forward(const CustomCall& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const std::vector<op::ArrayInfo> inferred = infer_outputs(*p.entry, in, p.params);
  std::copy(inferred.begin(), inferred.end(), out.begin());
}

void infer_backward(const CustomCall& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const std::size_t n_out = p.entry->num_outputs();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[n_out + i];
}

const Entry& find(const std::string& op_type) {
  std::lock_guard lock(g_mutex);
  const auto it = registry().find(op_type);
  if (it == registry().end()) {
    std::string known;
    for (const auto& [name, entry] : registry()) known += (known.empty() ? "" : ", ") + name;
    throw Error("custom operator '" + op_type + "' is not registered (registered: " +
                (known.empty() ? std::string("none") : known) + ")");
  }
  return *it->second;
}

// The outputs of an NDArray forward that threw: arrays of the inferred shapes whose writer rethrows the error, so
// that it surfaces at the next sync point on them, as an operator's would.
std::vector<NDArray> failed_outputs(const Entry& e, std::span<const op::ArrayInfo> infos, Context ctx,
                                    std::span<const NDArray> inputs, std::exception_ptr error) {
  std::vector<NDArray> outs;
  std::vector<engine::VarHandle> reads, writes;
  for (const NDArray& in : inputs) reads.push_back(in.var());
  for (const op::ArrayInfo& info : infos) {
    outs.emplace_back(info.shape, ctx, info.dtype);
    writes.push_back(outs.back().var());
  }
  engine::PushOptions options;
  options.name = e.name.c_str();
  engine::Engine::get().push_sync([error](engine::RunContext) { std::rethrow_exception(error); }, ctx, reads, writes,
                                  std::move(options));
  return outs;
}

// Checks what an NDArray forward returned against the inference; copies outputs that alias an input, so that
// autograd sees new arrays.
void check_outputs(const Entry& e, std::span<const op::ArrayInfo> infos, Context ctx, std::span<const NDArray> inputs,
                   std::vector<NDArray>& outs) {
  if (outs.size() != infos.size()) {
    throw Error("custom operator '" + e.name + "': forward returned " + std::to_string(outs.size()) +
                " output(s), the definition lists " + std::to_string(infos.size()));
  }
  for (std::size_t i = 0; i < outs.size(); ++i) {
    NDArray& out = outs[i];
    if (out.is_none() || out.shape() != infos[i].shape || out.dtype() != infos[i].dtype || out.context() != ctx) {
      throw ShapeError("custom operator '" + e.name + "': forward returned output " + std::to_string(i) + " as " +
                       (out.is_none() ? std::string("an empty handle") : describe(out.shape(), out.dtype()) + " on " +
                                                                             out.context().str()) +
                       ", inference says " + describe(infos[i].shape, infos[i].dtype) + " on " + ctx.str());
    }
    for (const NDArray& in : inputs) {
      if (out.shares_storage_with(in)) out = out.copy();
    }
  }
}

}  // namespace

void register_operator(const std::string& op_type, Definition definition) {
  const std::string where = "custom::register_operator('" + op_type + "'): ";
  if (op_type.empty()) throw Error("custom::register_operator: the name is empty");
  if (static_cast<bool>(definition.forward) == static_cast<bool>(definition.forward_host)) {
    throw Error(where + "give exactly one of forward (over NDArrays) and forward_host (over host buffers)");
  }
  if (definition.backward && definition.backward_host) throw Error(where + "give at most one backward");
  if (definition.outputs.empty()) throw Error(where + "an operator needs at least one output");
  auto entry = std::make_unique<Entry>();
  entry->name = op_type;
  entry->def = std::move(definition);
  const bool differentiable = entry->def.backward || entry->def.backward_host;
  entry->forward_op = {.name = entry->name.c_str(),
                       .num_inputs = op::kVariadic,
                       .infer = &infer_forward,
                       .cpu = &forward_host,
                       .count_outputs = [](const CustomCall& p, int) { return static_cast<int>(p.entry->num_outputs()); },
                       .gradient = differentiable ? &gradient : nullptr};
  entry->backward_op = {.name = entry->name.c_str(),
                        .num_inputs = op::kVariadic,
                        .infer = &infer_backward,
                        .cpu = &backward_host,
                        .count_outputs = [](const CustomCall& p, int) { return static_cast<int>(p.entry->num_inputs()); }};
  std::lock_guard lock(g_mutex);
  if (registry().contains(op_type)) throw Error(where + "the name is registered already");
  registry().emplace(op_type, std::move(entry));
}

bool is_registered(const std::string& op_type) {
  std::lock_guard lock(g_mutex);
  return registry().contains(op_type);
}

std::vector<std::string> list_operators() {
  std::lock_guard lock(g_mutex);
  std::vector<std::string> names;
  for (const auto& item : registry()) names.push_back(item.first);
  return names;
}

}  // namespace mx::custom

namespace mx::nd {

namespace {
std::vector<NDArray> custom_parts(const std::vector<NDArray>& inputs, const std::string& op_type,
                                  const custom::Params& params);
}  // namespace

// One "Custom" node of MXNet's symbol JSON when traced, its op_type and parameters its attributes.
std::vector<NDArray> custom(const std::vector<NDArray>& inputs, const std::string& op_type,
                            const custom::Params& params) {
  op::Composite node("Custom", inputs);
  std::vector<NDArray> outs = custom_parts(inputs, op_type, params);
  if (node.active()) {
    op::Attrs attrs(params.begin(), params.end());
    attrs["op_type"] = op_type;
    node.finish(std::move(attrs), outs);
  }
  return outs;
}

namespace {
std::vector<NDArray> custom_parts(const std::vector<NDArray>& inputs, const std::string& op_type,
                                  const custom::Params& params) {
  using namespace mx::custom;
  const Entry& e = find(op_type);
  const CustomCall call{&e, params};
  if (e.def.forward_host) {
    std::vector<NDArray> outs(e.num_outputs());
    op::invoke(e.forward_op, std::span<const NDArray>(inputs), call, std::span<NDArray>(outs));
    return outs;
  }
  // Over NDArrays: checked at the call as an operator is, then composed from operators, recorded as one.
  const Context ctx = op::detail::common_context(e.name.c_str(), inputs, current_context());
  std::vector<op::ArrayInfo> in_infos;
  for (const NDArray& in : inputs) {
    if (in.is_none()) throw Error("custom operator '" + e.name + "': an input is an empty handle");
    in_infos.push_back({in.shape(), in.dtype()});
  }
  const std::vector<op::ArrayInfo> infos = infer_outputs(e, in_infos, params);
  std::vector<NDArray> outs;
  if (op::Tracer* tracer = op::thread_tracer()) {  // hybridize: one node, run again by name
    for (const op::ArrayInfo& info : infos) outs.emplace_back(info.shape, ctx, info.dtype);
    op::TracedCall traced;
    traced.name = e.name.c_str();
    traced.ctx = ctx;
    traced.run = [op_type, params](std::span<const NDArray> in, std::span<NDArray> out) {
      const std::vector<NDArray> result = custom(std::vector<NDArray>(in.begin(), in.end()), op_type, params);
      std::copy(result.begin(), result.end(), out.begin());
    };
    tracer->trace(std::move(traced), inputs, outs);
    return outs;
  }
  {
    op::PauseRecording inner;  // the inner operators are not the graph's: this call is, with its own backward
    try {
      outs = e.def.forward(Call{e.name, params, op::thread_mode().training, ctx}, inputs);
      check_outputs(e, infos, ctx, inputs, outs);
    } catch (...) {
      outs = failed_outputs(e, infos, ctx, inputs, std::current_exception());
    }
  }
  if (e.def.backward || e.def.backward_host) {
    op::record(e.name.c_str(), inputs, outs, [call](const op::GradientArgs& args) { return gradient(call, args); });
  }
  return outs;
}

// Symbol files call it by name: "Custom" with op_type and the parameters as attributes.
custom::Params custom_params(const op::Attrs& attrs, std::string& op_type) {
  const auto it = attrs.find("op_type");
  if (it == attrs.end()) throw Error("Custom: the node has no op_type attribute");
  op_type = it->second;
  custom::Params params;
  for (const auto& [key, value] : attrs) {
    if (key != "op_type" && !(key.starts_with("__") && key.ends_with("__"))) params[key] = value;
  }
  return params;
}

const bool kCustomSymbolRegistered = [] {
  op::SymbolOp form;
  form.call = [](const op::Attrs& attrs, std::span<const NDArray> inputs) {
    std::string op_type;
    const custom::Params params = custom_params(attrs, op_type);
    return custom(std::vector<NDArray>(inputs.begin(), inputs.end()), op_type, params);
  };
  form.count_outputs = [](const op::Attrs& attrs, int) {
    std::string op_type;
    custom_params(attrs, op_type);
    return static_cast<int>(custom::find(op_type).num_outputs());
  };
  op::register_symbol_op("Custom", std::move(form));
  return true;
}();

}  // namespace

NDArray custom(const NDArray& x, const std::string& op_type, const custom::Params& params) {
  return custom(std::vector<NDArray>{x}, op_type, params).front();
}

}  // namespace mx::nd
