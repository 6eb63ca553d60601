// hybridize: HybridBlock's cache of traced graphs, one per call signature.
#include <mx/gluon/block.h>

#include <mx/gluon/block_state.h>

#include <cstdio>
#include <map>

#include <mx/autograd/autograd.h>
#include <mx/graph/executor.h>
#include <mx/ndarray/serialize.h>
#include <mx/ndarray/error.h>
#include <mx/operators/recording.h>
#include <mx/operators/tracing.h>

namespace mx::gluon {
namespace detail {

// What a cached graph was traced for: MXNet's CachedOp keys on the same.
struct Signature {
  Shape shape;
  DType dtype;
  Context ctx;
  bool training;
  bool operator==(const Signature&) const = default;
};

struct CachedGraph {
  Signature signature;
  graph::Executor executor;
  // The graph's externals that are parameter arrays, rebound at each call (initialize(force_reinit) replaces
  // the arrays).
  std::vector<std::pair<std::size_t, std::pair<Parameter, Context>>> parameters;
};

struct HybridCache {
  std::vector<std::unique_ptr<CachedGraph>> graphs;
  std::size_t traces = 0;
  const CachedGraph* last = nullptr;
  bool last_bulked = false;
};

}  // namespace detail

namespace {

// A parameter's array on one context, under its collect_params() name.
struct BoundParameter {
  std::string name;
  Parameter parameter;
  Context ctx;
};

// The block's initialized parameters by their arrays' engine variables: how a trace's externals are recognized
// (after the trace, which initializes deferred ones).
std::map<engine::VarHandle, BoundParameter> parameters_by_var(const Block& block) {
  std::map<engine::VarHandle, BoundParameter> by_var;
  for (const auto& [name, parameter] : block.collect_params()) {
    if (!parameter.is_initialized()) continue;
    for (const Context& ctx : parameter.list_ctx()) by_var.emplace(parameter.data(ctx).var(), BoundParameter{name, parameter, ctx});
  }
  return by_var;
}

// The block's forward traced on an input of x's shape, dtype and context, its symbol nodes named under the
// block's prefix.
graph::Graph trace_forward(Block& block, const NDArray& x) {
  return graph::trace(
      [&block](std::span<const NDArray> in) {
        op::SymbolNameScope names(block.prefix(), block.children().empty());
        return std::vector<NDArray>{block.forward(in[0])};
      },
      std::span(&x, 1), block.repr() + "'s forward");
}

std::unique_ptr<detail::CachedGraph> trace_graph(Block& block, const NDArray& x, const detail::Signature& signature,
                                                 const HybridizeOptions& options) {
  graph::Graph traced = trace_forward(block, x);
  const auto by_var = parameters_by_var(block);
  auto cached = std::make_unique<detail::CachedGraph>(
      detail::CachedGraph{signature, graph::Executor(std::move(traced), options.static_alloc), {}});
  const std::vector<NDArray>& externals = cached->executor.graph().externals;
  for (std::size_t i = 0; i < externals.size(); ++i) {
    if (const auto it = by_var.find(externals[i].var()); it != by_var.end()) {
      cached->parameters.emplace_back(i, std::pair{it->second.parameter, it->second.ctx});
    }
  }
  return cached;
}

// A forward traced into a symbol, with the parameter behind each of its variables.
struct TracedSymbol {
  sym::Symbol symbol;
  std::map<std::string, std::pair<Parameter, Context>> parameters;
};

// `x` gives the shape, dtype and context traced; its values are never read.
TracedSymbol trace_symbol(Block& block, const NDArray& x, const std::string& input_name) {
  graph::Graph traced = trace_forward(block, x);
  if (!traced.symbol_error.empty()) {
    throw Error(block.repr() + ": the forward has no symbol form: " + traced.symbol_error);
  }
  traced.symbol_inputs.front()->name = input_name;
  const auto by_var = parameters_by_var(block);
  TracedSymbol result{traced.symbol, {}};
  for (const auto& [array, node] : traced.symbol_externals) {
    const auto it = by_var.find(array.var());
    if (it == by_var.end()) {
      throw Error(block.repr() + ": the forward reads an array " + array.shape().str() +
                  " that is not one of the block's parameters; a symbol can only refer to parameters");
    }
    node->name = it->second.name;
    result.parameters.emplace(it->second.name, std::pair{it->second.parameter, it->second.ctx});
  }
  return result;
}

}  // namespace

NDArray Block::call_hybridized(const NDArray& x) {
  detail::BlockState& state = *state_;
  if (x.is_none()) throw Error("hybridized block: the input is an empty handle");
  if (!state.cache) state.cache = std::make_shared<detail::HybridCache>();
  detail::HybridCache& cache = *state.cache;
  const detail::Signature signature{x.shape(), x.dtype(), x.context(), op::thread_mode().training};
  detail::CachedGraph* entry = nullptr;
  for (const auto& cached : cache.graphs) {
    if (cached->signature == signature) entry = cached.get();
  }
  if (entry == nullptr) {
    cache.graphs.push_back(trace_graph(*this, x, signature, *state.hybrid));
    ++cache.traces;
    entry = cache.graphs.back().get();
  }
  std::vector<NDArray>& externals = entry->executor.graph().externals;
  for (const auto& [index, binding] : entry->parameters) {
    // The trace may have met the parameter first through a view (a convolution reads its weight reshaped):
    // the external is then that view, taken again of the current array.
    NDArray data = binding.first.data(binding.second);
    const NDArray& traced = externals[index];
    if (traced.shape() != data.shape() || traced.offset() != data.offset()) {
      data = data.reshape({data.size()}).slice(traced.offset(), traced.offset() + traced.size()).reshape(traced.shape());
    }
    externals[index] = data;
  }
  const bool bulk = state.hybrid->bulk && !op::is_recording();
  const graph::Monitor* monitor = state.op_hook ? &*state.op_hook : nullptr;
  std::vector<NDArray> outputs = entry->executor.run(std::span(&x, 1), signature.training, bulk, monitor);
  cache.last = entry;
  cache.last_bulked = bulk && monitor == nullptr && entry->executor.bulkable();
  return outputs.front();
}

void HybridBlock::hybridize(HybridizeOptions options) {
  Block::hybridize(options);
  if (options.active) {
    state_->hybrid = options;
  } else {
    state_->hybrid.reset();
  }
  state_->cache.reset();
}

bool HybridBlock::is_hybridized() const { return state_->hybrid.has_value(); }

void HybridBlock::set_amp_target(std::optional<DType> target) {
  state_->amp = target;
  state_->cache.reset();
}

Shape HybridBlock::infer_shape(const NDArray& x) {
  return trace_forward(*this, x).outputs.front().shape;
}

HybridBlock::CacheInfo HybridBlock::cache_info() const {
  CacheInfo info;
  if (!state_->cache) return info;
  const detail::HybridCache& cache = *state_->cache;
  info.graphs = cache.graphs.size();
  info.traces = cache.traces;
  info.bulked = cache.last_bulked;
  if (cache.last != nullptr) {
    info.operations = cache.last->executor.graph().num_operations();
    info.workspace_bytes = cache.last->executor.plan().workspace_bytes;
    info.unplanned_bytes = cache.last->executor.plan().unplanned_bytes;
  }
  return info;
}

void HybridBlock::clear_cache() { state_->cache.reset(); }


sym::Symbol HybridBlock::operator()(const sym::Symbol& x) {
  if (x.num_outputs() != 1 || !x.outputs().front().node->is_variable()) {
    throw Error(repr() + ": a block is called on a variable (sym::var), not on an operator's output");
  }
  const sym::Node& variable = *x.outputs().front().node;
  Shape shape;
  DType dtype = DType::kFloat32;
  Context ctx = current_context();
  if (const auto it = variable.attrs.find("__shape__"); it != variable.attrs.end()) {
    std::vector<std::int64_t> dims;
    op::AttrReader reader("sym::var '" + variable.name + "'", variable.attrs);
    reader.read("__shape__", dims);
    shape = Shape(dims);
    if (variable.attrs.contains("__dtype__")) {
      int code = 0;
      reader.read("__dtype__", code);
      dtype = dtype_from_code(code);
    }
  } else if (state_->cache && state_->cache->last != nullptr) {
    const detail::Signature& last = state_->cache->last->signature;
    shape = last.shape, dtype = last.dtype, ctx = last.ctx;
  } else {
    throw Error(repr() + ": calling a block on variable '" + variable.name +
                "' needs its shape: give sym::var a shape, or call the block on an array first");
  }
  autograd::predict_mode inference;
  return trace_symbol(*this, NDArray(shape, ctx, dtype), variable.name).symbol;
}

void HybridBlock::export_(const std::string& path, int epoch) {
  if (!is_hybridized() || !state_->cache || state_->cache->last == nullptr) {
    throw Error(repr() + ": export needs the block hybridized and called once (MXNet's rule): hybridize(), "
                         "then call it on an input of the shape to export");
  }
  if (epoch < 0 || epoch > 9999) throw Error("export: epoch must be in [0, 9999], got " + std::to_string(epoch));
  const detail::Signature last = state_->cache->last->signature;
  TracedSymbol traced;
  {
    autograd::predict_mode inference;
    traced = trace_symbol(*this, NDArray(last.shape, last.ctx, last.dtype), "data");
  }
  const std::vector<std::string> aux = traced.symbol.list_auxiliary_states();
  std::map<std::string, NDArray> arrays;
  for (const auto& [name, binding] : traced.parameters) {
    const bool is_aux = std::find(aux.begin(), aux.end(), name) != aux.end();
    arrays[(is_aux ? "aux:" : "arg:") + name] = binding.first.data(binding.second);
  }
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%04d.params", epoch);
  traced.symbol.save(path + "-symbol.json");
  nd::save(path + suffix, arrays);
}

}  // namespace mx::gluon
