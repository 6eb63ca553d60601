#include <mx/graph/executor.h>

#include <tbb/task_arena.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>
#include <mx/graph/fusion.h>
#include <mx/ndarray/error.h>
#include <mx/operators/parallel.h>
#include <mx/operators/recording.h>

namespace mx::graph {
namespace {

constexpr std::int64_t kAlignment = 64;

std::int64_t aligned_bytes(const NodeOutput& out) {
  const auto bytes = static_cast<std::int64_t>(out.shape.size() * static_cast<std::int64_t>(dtype_size(out.dtype)));
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

// The view a source takes of `base`: the same array, a reshape, or a range of its elements.
NDArray view_of(const NDArray& base, const Source& source) {
  if (!source.is_view) return base;
  if (source.offset == 0 && source.shape.size() == base.size()) return base.reshape(source.shape);
  return base.reshape({base.size()}).slice(source.offset, source.offset + source.shape.size()).reshape(source.shape);
}


}  // namespace

MemoryPlan plan_memory(const Graph& graph) {
  MemoryPlan plan;
  const std::size_t n = graph.nodes.size();
  plan.offsets.resize(n);
  plan.exposed.resize(n);
  std::vector<std::vector<int>> last_use(n);
  for (std::size_t i = 0; i < n; ++i) {
    plan.offsets[i].assign(graph.nodes[i].outputs.size(), -1);
    plan.exposed[i].assign(graph.nodes[i].outputs.size(), false);
    last_use[i].assign(graph.nodes[i].outputs.size(), -1);
    for (const Source& s : graph.nodes[i].inputs) {
      if (s.kind == Source::Kind::kNode) last_use[s.index][s.output] = static_cast<int>(i);
    }
  }
  for (const Source& s : graph.outputs) {
    // A node writing a parameter in place hands out that parameter: no array of its own.
    if (s.kind == Source::Kind::kNode && graph.nodes[static_cast<std::size_t>(s.index)]
                                                 .outputs[static_cast<std::size_t>(s.output)]
                                                 .writes_external < 0) {
      plan.exposed[s.index][s.output] = true;
    }
  }
  // Best fit among freed blocks, else the end of the workspace.
  std::vector<std::pair<std::int64_t, std::int64_t>> free_blocks;  // offset, bytes
  auto take = [&](std::int64_t bytes) {
    auto best = free_blocks.end();
    for (auto it = free_blocks.begin(); it != free_blocks.end(); ++it) {
      if (it->second >= bytes && (best == free_blocks.end() || it->second < best->second)) best = it;
    }
    if (best == free_blocks.end()) {
      const std::int64_t offset = plan.workspace_bytes;
      plan.workspace_bytes += bytes;
      return offset;
    }
    const std::int64_t offset = best->first;
    if (best->second > bytes) {
      best->first += bytes;
      best->second -= bytes;
    } else {
      free_blocks.erase(best);
    }
    return offset;
  };
  std::vector<std::vector<bool>> released(n);
  auto release = [&](std::size_t node, int output) {
    const auto o = static_cast<std::size_t>(output);
    if (plan.offsets[node][o] < 0 || released[node][o]) return;
    released[node][o] = true;
    free_blocks.emplace_back(plan.offsets[node][o], aligned_bytes(graph.nodes[node].outputs[o]));
  };
  for (std::size_t i = 0; i < n; ++i) {
    released[i].assign(graph.nodes[i].outputs.size(), false);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const Node& node = graph.nodes[i];
    // Outputs first: a node never writes over its own inputs.
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o].writes_external >= 0 || plan.exposed[i][o]) continue;
      const std::int64_t bytes = aligned_bytes(node.outputs[o]);
      plan.unplanned_bytes += bytes;
      plan.offsets[i][o] = take(bytes);
    }
    for (const Source& s : node.inputs) {
      if (s.kind == Source::Kind::kNode && last_use[s.index][s.output] == static_cast<int>(i)) {
        release(static_cast<std::size_t>(s.index), s.output);
      }
    }
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      if (last_use[i][o] < 0) release(i, static_cast<int>(o));  // never read
    }
  }
  return plan;
}

Executor::Executor(Graph graph, bool static_alloc)
    : graph_(std::make_shared<Graph>(std::move(graph))), static_alloc_(static_alloc), bulkable_(graph_->bulkable()) {
  if (bulkable_) plan_ = plan_memory(*graph_);
}

std::vector<NDArray> Executor::run(std::span<const NDArray> inputs, bool training, bool bulk, const Monitor* monitor) {
  if (inputs.size() != graph_->input_shapes.size()) {
    throw Error("hybridized graph: called with " + std::to_string(inputs.size()) + " input(s), traced with " +
                std::to_string(graph_->input_shapes.size()));
  }
  if (monitor != nullptr) return replay(inputs, monitor);
  return bulk && bulkable_ && !graph_->nodes.empty() ? run_bulked(inputs, training) : replay(inputs, nullptr);
}

std::vector<NDArray> Executor::replay(std::span<const NDArray> inputs, const Monitor* monitor) {
  std::vector<std::vector<NDArray>> values(graph_->nodes.size());
  auto resolve = [&](const Source& s) {
    const NDArray& base = s.kind == Source::Kind::kInput      ? inputs[static_cast<std::size_t>(s.index)]
                          : s.kind == Source::Kind::kExternal ? graph_->externals[static_cast<std::size_t>(s.index)]
                                                              : values[static_cast<std::size_t>(s.index)]
                                                                      [static_cast<std::size_t>(s.output)];
    return view_of(base, s);
  };
  for (std::size_t i = 0; i < graph_->nodes.size(); ++i) {
    const Node& node = graph_->nodes[i];
    std::vector<NDArray> ins;
    ins.reserve(node.inputs.size());
    for (const Source& s : node.inputs) ins.push_back(resolve(s));
    std::vector<NDArray> outs(node.outputs.size());
    bool updates_state = false;
    for (std::size_t o = 0; o < outs.size(); ++o) {
      const NodeOutput& slot = node.outputs[o];
      if (slot.writes_external >= 0) {
        outs[o] = graph_->externals[static_cast<std::size_t>(slot.writes_external)];
        updates_state = true;
      }
      if (slot.writes_node >= 0) {
        outs[o] = values[static_cast<std::size_t>(slot.writes_node)][static_cast<std::size_t>(slot.writes_node_output)];
      }
    }
    if (monitor != nullptr && monitor->all) {
      for (std::size_t k = 0; k < node.monitor_inputs.size(); ++k) {
        monitor->callback(node.monitor_node + "_input" + std::to_string(k), node.monitor_node_op,
                          resolve(node.monitor_inputs[k]));
      }
    }
    if (updates_state) {
      // A write into an array from outside the forward updates state (BatchNorm's moving statistics), which the
      // forward made unrecorded; so is its replay under autograd::record.
      op::PauseRecording unrecorded;
      node.call.run(ins, outs);
    } else {
      node.call.run(ins, outs);
    }
    if (monitor != nullptr) {
      for (std::size_t o = 0; o < outs.size(); ++o) {
        const NodeOutput& slot = node.outputs[o];
        if (!slot.monitor_name.empty()) monitor->callback(slot.monitor_name, slot.monitor_op, outs[o]);
      }
    }
    values[i] = std::move(outs);
  }
  std::vector<NDArray> outputs;
  for (const Source& s : graph_->outputs) outputs.push_back(resolve(s));
  return outputs;
}

void Executor::lay_out_bulk() {
  auto layout = std::make_shared<BulkLayout>();
  layout->graph = graph_;
  const Graph& g = *graph_;
  std::vector<std::vector<int>> exposed_index(g.nodes.size());
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    exposed_index[i].assign(g.nodes[i].outputs.size(), -1);
    for (std::size_t o = 0; o < g.nodes[i].outputs.size(); ++o) {
      if (plan_.exposed[i][o]) {
        exposed_index[i][o] = static_cast<int>(layout->exposed.size());
        layout->exposed.emplace_back(static_cast<int>(i), static_cast<int>(o));
      }
      if (g.nodes[i].outputs[o].writes_external >= 0) {
        layout->written_externals.push_back(g.nodes[i].outputs[o].writes_external);
      }
    }
  }
  auto node_slot = [&](std::size_t node, std::size_t output, std::int64_t view_bytes, const Shape& shape) {
    const NodeOutput& out = g.nodes[node].outputs[output];
    const int n = static_cast<int>(node), o = static_cast<int>(output);
    const bool view = view_bytes != 0 || shape.size() != out.shape.size();
    if (out.writes_external >= 0) {
      return Slot{Slot::Kind::kExternal, out.writes_external, view_bytes, shape, out.dtype, n, o, view};
    }
    if (plan_.exposed[node][output]) {
      return Slot{Slot::Kind::kExposed, exposed_index[node][output], view_bytes, shape, out.dtype, n, o, view};
    }
    return Slot{Slot::Kind::kWorkspace, 0, plan_.offsets[node][output] + view_bytes, shape, out.dtype, n, o, view};
  };
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& node = g.nodes[i];
    Step step{&node.call, static_cast<std::uint32_t>(layout->slots.size()),
              static_cast<std::uint32_t>(node.inputs.size()), 0, static_cast<std::uint32_t>(node.outputs.size())};
    for (const Source& s : node.inputs) {
      if (s.kind == Source::Kind::kNode) {
        const NodeOutput& out = g.nodes[static_cast<std::size_t>(s.index)].outputs[static_cast<std::size_t>(s.output)];
        layout->slots.push_back(node_slot(static_cast<std::size_t>(s.index), static_cast<std::size_t>(s.output),
                                          s.offset * static_cast<std::int64_t>(dtype_size(out.dtype)), s.shape));
        continue;
      }
      const bool input = s.kind == Source::Kind::kInput;
      const DType dtype = input ? g.input_dtypes[static_cast<std::size_t>(s.index)]
                                : g.externals[static_cast<std::size_t>(s.index)].dtype();
      layout->slots.push_back(Slot{input ? Slot::Kind::kInput : Slot::Kind::kExternal, s.index,
                                   s.offset * static_cast<std::int64_t>(dtype_size(dtype)), s.shape, dtype});
      (input ? layout->read_inputs : layout->read_externals).push_back(s.index);
    }
    step.first_output = static_cast<std::uint32_t>(layout->slots.size());
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      layout->slots.push_back(node_slot(i, o, 0, node.outputs[o].shape));
    }
    layout->steps.push_back(step);
  }
  group_steps(*layout);
  layout_ = std::move(layout);
}

namespace {

constexpr std::int64_t kTileElements = 8192;          // a tile of each array of a run: 32 KB of float32
constexpr std::int64_t kMinTiledElements = 1 << 16;   // smaller arrays stay in cache between whole steps anyway

// A run of elementwise steps, one tile of every array at a time: each worker takes a share of the tiles and runs
// every step of the run on a tile before the next, so that what one step writes is in the cache when the next
// reads it.
template <class Layout, class Group, class Compute>
void run_tiled(const Layout& layout, const Group& group, std::span<const Blob> all, const Compute& compute) {
  const std::int64_t tiles = (group.elements + kTileElements - 1) / kTileElements;
  const std::int64_t workers = op::kSplitKernels ? tbb::this_task_arena::max_concurrency() : 1;
  const auto pieces = static_cast<int>(std::clamp<std::int64_t>(workers, 1, tiles));
  op::for_each_piece(pieces, [&](std::int64_t piece) {
    std::vector<Blob> tile;
    // Bytes, so that the kernels' values of whatever dtype live there; 8 bytes a value bounds every dtype.
    constexpr std::int64_t kTileBytes = kTileElements * 8;
    std::vector<std::byte> scratch(static_cast<std::size_t>(group.scratch_count * kTileBytes));
    for (std::int64_t t = tiles * piece / pieces; t < tiles * (piece + 1) / pieces; ++t) {
      const std::int64_t begin = t * kTileElements, length = std::min(kTileElements, group.elements - begin);
      std::size_t flat = 0;  // the slot's place in group.scratch
      for (std::uint32_t s = group.first_step; s < group.first_step + group.num_steps; ++s) {
        const auto& step = layout.steps[s];
        tile.clear();
        for (std::uint32_t k = 0; k < step.num_slots(); ++k, ++flat) {
          const Blob& whole = all[step.slot(k)];
          const int own = group.scratch[flat];
          void* data = own >= 0 ? static_cast<void*>(scratch.data() + own * kTileBytes)
                                : static_cast<char*>(whole.data) + begin * static_cast<std::int64_t>(dtype_size(whole.dtype));
          tile.push_back(Blob{data, Shape{length}, whole.dtype});
        }
        const std::span<const Blob> blobs(tile);
        compute(step, blobs.first(step.num_inputs), blobs.subspan(step.num_inputs));
      }
    }
  });
}

}  // namespace

// Runs of at least two consecutive elementwise steps whose inputs and outputs are all of one size and dtype, and
// whose workspace arrays either coincide or do not overlap (a buffer reused at another offset could be written
// ahead of a tile not yet read).
void Executor::group_steps(BulkLayout& layout) const {
  const auto tileable = [&](const Step& step, std::int64_t elements, DType dtype) {
    if (!is_elementwise(step.call->name)) return false;
    for (std::uint32_t k = 0; k < step.num_slots(); ++k) {
      const Slot& slot = layout.slots[step.slot(k)];
      if (slot.shape.size() != elements || slot.dtype != dtype) return false;
      if (k >= step.num_inputs && slot.kind == Slot::Kind::kExternal) return false;  // a write into an external
    }
    return true;
  };
  const auto fits_among = [&](const Step& step, std::vector<std::int64_t>& offsets, std::int64_t bytes) {
    std::vector<std::int64_t> added = offsets;
    for (std::uint32_t k = 0; k < step.num_slots(); ++k) {
      const Slot& slot = layout.slots[step.slot(k)];
      if (slot.kind != Slot::Kind::kWorkspace) continue;
      for (std::int64_t other : added) {
        if (other != slot.byte_offset && other < slot.byte_offset + bytes && slot.byte_offset < other + bytes) return false;
      }
      added.push_back(slot.byte_offset);
    }
    offsets = std::move(added);
    return true;
  };
  const std::uint32_t count = static_cast<std::uint32_t>(layout.steps.size());
  for (std::uint32_t i = 0; i < count;) {
    const Step& first = layout.steps[i];
    std::uint32_t end = i;
    if (fusion_enabled() && first.num_outputs == 1 &&
        layout.slots[first.first_output].shape.size() >= kMinTiledElements) {
      const Slot& out = layout.slots[first.first_output];
      const std::int64_t elements = out.shape.size();
      const std::int64_t bytes = elements * static_cast<std::int64_t>(dtype_size(out.dtype));
      std::vector<std::int64_t> offsets;
      while (end < count && tileable(layout.steps[end], elements, out.dtype) && fits_among(layout.steps[end], offsets, bytes)) {
        ++end;
      }
    }
    if (end - i >= 2) {
      std::string name;
      for (std::uint32_t k = i; k < end; ++k) name += (k == i ? "" : "+") + std::string(layout.steps[k].call->name);
      layout.groups.push_back({i, end - i, layout.slots[first.first_output].shape.size(), std::move(name), {}, 0});
      give_scratch(layout, layout.groups.back());
      i = end;
    } else {
      layout.groups.push_back({i, 1, 0, {}, {}, 0});
      ++i;
    }
  }
}

// A tiled run's intermediates that no step outside it reads (and that are not graph outputs or writes into
// externals) live in one scratch tile per worker instead of their workspace buffers: they never reach memory.
// Steps are the graph's nodes in order, so the run's nodes are its steps' indices.
void Executor::give_scratch(BulkLayout& layout, Group& group) const {
  const Graph& g = *graph_;
  const auto inside = [&](int node) {
    return node >= static_cast<int>(group.first_step) && node < static_cast<int>(group.first_step + group.num_steps);
  };
  std::vector<std::pair<int, int>> internal;  // node outputs, by scratch index
  for (std::uint32_t s = group.first_step; s < group.first_step + group.num_steps; ++s) {
    const Step& step = layout.steps[s];
    for (std::uint32_t o = 0; o < step.num_outputs; ++o) {
      const Slot& slot = layout.slots[step.first_output + o];
      if (slot.kind != Slot::Kind::kWorkspace || slot.view) continue;
      bool only_inside = true;
      for (std::size_t j = 0; j < g.nodes.size() && only_inside; ++j) {
        for (const Source& src : g.nodes[j].inputs) {
          if (src.kind == Source::Kind::kNode && src.index == slot.node && src.output == slot.node_output &&
              (!inside(static_cast<int>(j)) || src.is_view)) {
            only_inside = false;
          }
        }
      }
      for (const Source& src : g.outputs) {
        if (src.kind == Source::Kind::kNode && src.index == slot.node && src.output == slot.node_output) only_inside = false;
      }
      if (only_inside) internal.emplace_back(slot.node, slot.node_output);
    }
  }
  for (std::uint32_t s = group.first_step; s < group.first_step + group.num_steps; ++s) {
    const Step& step = layout.steps[s];
    for (std::uint32_t k = 0; k < step.num_slots(); ++k) {
      const Slot& slot = layout.slots[step.slot(k)];
      const auto it = std::find(internal.begin(), internal.end(), std::pair{slot.node, slot.node_output});
      group.scratch.push_back(slot.kind == Slot::Kind::kWorkspace && !slot.view && it != internal.end()
                                  ? static_cast<int>(it - internal.begin())
                                  : -1);
    }
  }
  group.scratch_count = static_cast<int>(internal.size());
}

std::vector<NDArray> Executor::run_bulked(std::span<const NDArray> inputs, bool training) {
  if (!layout_) lay_out_bulk();
  const BulkLayout& layout = *layout_;
  const Context ctx = graph_->nodes.front().call.ctx;
  std::vector<engine::VarHandle> reads, writes;
  reads.reserve(layout.read_inputs.size() + layout.read_externals.size());
  writes.reserve(layout.exposed.size() + layout.written_externals.size() + 1);

  NDArray workspace = workspace_;
  if (workspace.is_none()) {
    workspace = NDArray(Shape{std::max<std::int64_t>(plan_.workspace_bytes, 1)}, ctx, DType::kUint8);
    if (static_alloc_) workspace_ = workspace;
  }
  char* const workspace_data = static_cast<char*>(workspace.blob().data);
  writes.push_back(workspace.var());
  std::vector<NDArray> exposed;
  exposed.reserve(layout.exposed.size());
  for (const auto& [node, output] : layout.exposed) {
    const NodeOutput& slot = graph_->nodes[static_cast<std::size_t>(node)].outputs[static_cast<std::size_t>(output)];
    exposed.emplace_back(slot.shape, ctx, slot.dtype);
    writes.push_back(exposed.back().var());
  }
  for (int e : layout.written_externals) {
    const NDArray& target = graph_->externals[static_cast<std::size_t>(e)];
    target.bump_version();
    writes.push_back(target.var());
  }
  for (int i : layout.read_inputs) reads.push_back(inputs[static_cast<std::size_t>(i)].var());
  for (int e : layout.read_externals) reads.push_back(graph_->externals[static_cast<std::size_t>(e)].var());

  std::vector<Blob> blobs;
  blobs.reserve(layout.slots.size());
  for (const Slot& slot : layout.slots) {
    char* base = nullptr;
    switch (slot.kind) {
      case Slot::Kind::kInput: base = static_cast<char*>(inputs[static_cast<std::size_t>(slot.index)].blob().data); break;
      case Slot::Kind::kExternal:
        base = static_cast<char*>(graph_->externals[static_cast<std::size_t>(slot.index)].blob().data);
        break;
      case Slot::Kind::kExposed: base = static_cast<char*>(exposed[static_cast<std::size_t>(slot.index)].blob().data); break;
      case Slot::Kind::kWorkspace: base = workspace_data; break;
    }
    blobs.push_back(Blob{base + slot.byte_offset, slot.shape, slot.dtype});
  }

  // The closure keeps the layout (and through it the graph's calls): the executor may go before it runs.
  engine::Engine::get().push_sync(
      [layout = layout_, blobs = std::move(blobs), training](engine::RunContext run) {
        const op::ComputeContext compute_ctx{run, training};
        const bool tracing = engine::trace::enabled(engine::trace::kOperators);
        const std::span<const Blob> all(blobs);
        const auto compute = [&](const Step& step, std::span<const Blob> inputs, std::span<const Blob> outputs) {
          try {
            step.call->compute(inputs, outputs, compute_ctx);
          } catch (const std::exception& e) {
            throw Error(std::string(step.call->name) + " (inside a hybridized graph): " + e.what());
          }
        };
        for (const Group& group : layout->groups) {
          const std::int64_t start = tracing ? engine::trace::now() : 0;
          if (group.num_steps == 1) {
            const Step& step = layout->steps[group.first_step];
            compute(step, all.subspan(step.first_input, step.num_inputs), all.subspan(step.first_output, step.num_outputs));
          } else {
            run_tiled(*layout, group, all, compute);
          }
          if (tracing) {
            engine::trace::Event event;
            event.name = group.num_steps == 1 ? std::string(layout->steps[group.first_step].call->name) : group.name;
            event.ctx = run.ctx;
            event.worker = engine::trace::current_worker();
            event.start_ns = start;
            event.end_ns = engine::trace::now();
            engine::trace::record(std::move(event));
          }
        }
      },
      ctx, reads, writes, {.name = "_CachedOp"});

  std::vector<NDArray> outputs;
  for (const Source& s : graph_->outputs) {
    if (s.kind != Source::Kind::kNode) {
      const NDArray& array = s.kind == Source::Kind::kInput ? inputs[static_cast<std::size_t>(s.index)]
                                                            : graph_->externals[static_cast<std::size_t>(s.index)];
      outputs.push_back(view_of(array, s));
      continue;
    }
    const NodeOutput& slot = graph_->nodes[static_cast<std::size_t>(s.index)].outputs[static_cast<std::size_t>(s.output)];
    if (slot.writes_external >= 0) {
      outputs.push_back(view_of(graph_->externals[static_cast<std::size_t>(slot.writes_external)], s));
      continue;
    }
    const auto it = std::find(layout.exposed.begin(), layout.exposed.end(), std::pair{s.index, s.output});
    outputs.push_back(view_of(exposed[static_cast<std::size_t>(it - layout.exposed.begin())], s));
  }
  return outputs;
}

}  // namespace mx::graph
