#pragma once
// Runs a traced graph on new inputs of its signature, two ways:
// - replay: each node's call again, pushed and (while recording) recorded one by one, exactly as the imperative
//   forward would; used under autograd::record, and for graphs that cannot be bulked;
// - bulked: the whole graph as one engine operation (MXNet's bulk execution) reading the inputs and externals
//   and writing the outputs, its intermediate arrays placed in one workspace by a memory plan that reuses a
//   buffer once its last reader has run. With static_alloc the workspace is allocated once and kept.
// The profiler still shows each node inside a bulk, and an error names the node that threw.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <mx/graph/graph.h>

namespace mx::graph {

// Where each intermediate of a bulked run lives: a byte offset into the workspace, or -1 for arrays that are
// not intermediates (graph outputs, writes into externals).
struct MemoryPlan {
  std::vector<std::vector<std::int64_t>> offsets;  // per node, per output
  std::vector<std::vector<bool>> exposed;          // per node, per output: a graph output (a new array per call)
  std::int64_t workspace_bytes = 0;
  std::int64_t unplanned_bytes = 0;  // what the intermediates would take without reuse
};
MemoryPlan plan_memory(const Graph& graph);

// MXNet's op hook (register_op_hook): called after each operator of the symbol with each output (and, with
// `all`, before it with each input) as (name, operator, array): "dense0_fwd_output", "FullyConnected".
struct Monitor {
  std::function<void(const std::string& name, const std::string& op, const NDArray& array)> callback;
  bool all = false;
};

class Executor {
 public:
  Executor(Graph graph, bool static_alloc);

  // With a monitor the graph replays node by node (never bulked), calling it on the calling thread.
  std::vector<NDArray> run(std::span<const NDArray> inputs, bool training, bool bulk, const Monitor* monitor = nullptr);
  Graph& graph() { return *graph_; }
  const Graph& graph() const { return *graph_; }
  const MemoryPlan& plan() const { return plan_; }
  bool bulkable() const { return bulkable_; }

 private:
  std::vector<NDArray> replay(std::span<const NDArray> inputs, const Monitor* monitor);
  std::vector<NDArray> run_bulked(std::span<const NDArray> inputs, bool training);

  // Where each array of a bulked run comes from, resolved to a pointer at each call.
  struct Slot {
    enum class Kind : std::uint8_t { kInput, kExternal, kExposed, kWorkspace };
    Kind kind;
    int index;                // input, external or exposed array
    std::int64_t byte_offset;  // into the workspace, or the view's into the array
    Shape shape;
    DType dtype;
    int node = -1, node_output = 0;  // the node output it is, or views
    bool view = false;               // a view into it rather than all of it
  };
  struct Step {
    const op::TracedCall* call;
    std::uint32_t first_input, num_inputs, first_output, num_outputs;  // into the slots
    // Its inputs' slots and then its outputs', one run: k-th of them.
    std::uint32_t slot(std::uint32_t k) const { return first_input + k; }
    std::uint32_t num_slots() const { return num_inputs + num_outputs; }
  };
  // Consecutive steps run together: one step whole, or a run of elementwise steps over arrays of `elements`
  // each, run tile by tile (fusion.h).
  struct Group {
    std::uint32_t first_step, num_steps;
    std::int64_t elements;
    std::string name;  // the profiler's, for a tiled run: its operators joined by '+'
    // Per slot of the group's steps in order (inputs, then outputs, step by step): the scratch tile that stands
    // for an intermediate only the group reads, or -1 for the slot's own array.
    std::vector<int> scratch;
    int scratch_count = 0;
  };
  struct BulkLayout {
    std::shared_ptr<Graph> graph;  // the calls the steps point into
    std::vector<Slot> slots;
    std::vector<Step> steps;
    std::vector<Group> groups;
    std::vector<std::pair<int, int>> exposed;  // node, output: a new array per call
    std::vector<int> read_inputs, read_externals, written_externals;
  };
  void lay_out_bulk();
  void group_steps(BulkLayout& layout) const;
  void give_scratch(BulkLayout& layout, Group& group) const;

  std::shared_ptr<Graph> graph_;  // shared with the bulked operations in flight
  bool static_alloc_;
  bool bulkable_;
  MemoryPlan plan_;
  std::shared_ptr<const BulkLayout> layout_;
  NDArray workspace_;  // kept across calls with static_alloc
};

}  // namespace mx::graph
