// hybridize: HybridBlock's cache of traced graphs, one per call signature.
#include <mx/gluon/block.h>

#include <mx/gluon/block_state.h>

#include <map>

#include <mx/graph/executor.h>
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

std::unique_ptr<detail::CachedGraph> trace_graph(Block& block, const NDArray& x, const detail::Signature& signature,
                                                 const HybridizeOptions& options) {
  graph::Graph traced = graph::trace(
      [&block](std::span<const NDArray> in) { return std::vector<NDArray>{block.forward(in[0])}; },
      std::span(&x, 1), block.repr() + "'s forward");
  // Parameters are found by their arrays (after the trace: deferred ones are initialized by it).
  std::map<engine::VarHandle, std::pair<Parameter, Context>> by_var;
  for (const auto& [name, parameter] : block.collect_params()) {
    if (!parameter.is_initialized()) continue;
    for (const Context& ctx : parameter.list_ctx()) by_var.emplace(parameter.data(ctx).var(), std::pair{parameter, ctx});
  }
  auto cached = std::make_unique<detail::CachedGraph>(
      detail::CachedGraph{signature, graph::Executor(std::move(traced), options.static_alloc), {}});
  const std::vector<NDArray>& externals = cached->executor.graph().externals;
  for (std::size_t i = 0; i < externals.size(); ++i) {
    if (const auto it = by_var.find(externals[i].var()); it != by_var.end()) {
      cached->parameters.emplace_back(i, it->second);
    }
  }
  return cached;
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
  for (const auto& [index, binding] : entry->parameters) externals[index] = binding.first.data(binding.second);
  const bool bulk = state.hybrid->bulk && !op::is_recording();
  std::vector<NDArray> outputs = entry->executor.run(std::span(&x, 1), signature.training, bulk);
  cache.last = entry;
  cache.last_bulked = bulk && entry->executor.bulkable();
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

Shape HybridBlock::infer_shape(const NDArray& x) {
  const graph::Graph traced = graph::trace(
      [this](std::span<const NDArray> in) { return std::vector<NDArray>{forward(in[0])}; }, std::span(&x, 1),
      repr() + "'s forward");
  const graph::Source& out = traced.outputs.front();
  return out.shape;
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

}  // namespace mx::gluon
