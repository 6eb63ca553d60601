// The tracer: operator calls into nodes, arrays into sources, found by their engine variable.
#include <mx/graph/graph.h>

#include <cctype>
#include <map>
#include <set>

#include <mx/ndarray/error.h>

namespace mx::graph {
namespace {

// What a variable holds at this point of the trace: which source, and where its data starts.
struct Holder {
  Source source;
  std::int64_t base_offset = 0;
  Shape base_shape;
};

class GraphTracer final : public op::Tracer {
 public:
  explicit GraphTracer(Graph& graph) : graph_(graph) {}

  void add_input(const NDArray& input, int index, const std::string& name) {
    alive_.push_back(input);
    holders_[input.var()] = {Source{.kind = Source::Kind::kInput, .index = index, .shape = input.shape()},
                             input.offset(), input.shape()};
    auto variable = variable_node(name);
    graph_.symbol_inputs.push_back(variable);
    symbol_values_[input.var()] = {sym::Entry{variable, 0}, input.offset(), input.shape()};
  }

  void trace(op::TracedCall call, std::span<const NDArray> inputs, std::span<const NDArray> outputs) override {
    const bool symbol_node = composites_ == 0;
    if (symbol_node && !call.symbolic && graph_.symbol_error.empty()) {
      graph_.symbol_error = std::string("operator ") + call.name + " has no symbol form";
    }
    // The symbol's view of the inputs before the outputs (which may be inputs written in place) take their place.
    std::vector<sym::Entry> symbol_inputs;
    if (symbol_node) {
      for (const NDArray& in : inputs) symbol_inputs.push_back(symbol_entry_of(in));
    }
    const char* op = call.name;
    op::Attrs attrs = symbol_node ? call.attrs : op::Attrs{};
    std::vector<Source> sources;
    for (const NDArray& in : inputs) sources.push_back(source_of(in));
    std::vector<Source> input_sources = sources;
    add_node(std::move(call), std::move(sources), outputs);
    if (symbol_node) add_symbol_node(op, std::move(attrs), std::move(symbol_inputs), std::move(input_sources), outputs);
  }

  void add_node(op::TracedCall call, std::vector<Source> sources, std::span<const NDArray> outputs) {
    Node node;
    node.call = std::move(call);
    node.inputs = std::move(sources);
    const int index = static_cast<int>(graph_.nodes.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const NDArray& out = outputs[i];
      NodeOutput slot;
      slot.shape = out.shape();
      slot.dtype = out.dtype();
      if (const auto it = holders_.find(out.var()); it != holders_.end()) {  // written in place
        const Source& held = it->second.source;
        const NodeOutput* earlier = held.kind == Source::Kind::kNode
                                        ? &graph_.nodes[static_cast<std::size_t>(held.index)]
                                               .outputs[static_cast<std::size_t>(held.output)]
                                        : nullptr;
        if (earlier != nullptr && earlier->writes_external >= 0) {
          slot.writes_external = earlier->writes_external;  // another write into the same external
        } else if (held.kind == Source::Kind::kNode) {
          slot.writes_node = held.index;
          slot.writes_node_output = held.output;
        } else if (held.kind == Source::Kind::kExternal) {
          slot.writes_external = held.index;
        } else {
          throw Error(std::string(node.call.name) + ": hybridize cannot trace a write into the forward's input");
        }
        if (out.offset() != it->second.base_offset || out.shape() != it->second.base_shape) {
          throw Error(std::string(node.call.name) + ": hybridize cannot trace a write into part of an array");
        }
      } else if (out.offset() != 0) {
        throw Error(std::string(node.call.name) + ": hybridize cannot trace a write into a view");
      }
      node.outputs.push_back(slot);
      // From here on the variable holds this node's output.
      holders_[out.var()] = {Source{.kind = Source::Kind::kNode, .index = index, .output = static_cast<int>(i),
                                    .shape = out.shape()},
                             out.offset(), out.shape()};
    }
    graph_.nodes.push_back(std::move(node));
    alive_.insert(alive_.end(), outputs.begin(), outputs.end());
  }

  void enter_composite() override { ++composites_; }
  void leave_composite(const char* op, op::Attrs attrs, std::span<const NDArray> inputs,
                       std::span<const NDArray> outputs) override {
    if (--composites_ == 0 && !outputs.empty()) {
      std::vector<sym::Entry> symbol_inputs;
      std::vector<Source> input_sources;
      for (const NDArray& in : inputs) {
        symbol_inputs.push_back(symbol_entry_of(in));
        input_sources.push_back(source_of(in));
      }
      add_symbol_node(op, std::move(attrs), std::move(symbol_inputs), std::move(input_sources), outputs);
    }
  }
  void enter_name_scope(const std::string& prefix, bool first_is_fwd) override {
    scopes_.push_back({prefix, first_is_fwd});
  }
  void leave_name_scope() override { scopes_.pop_back(); }

  // The symbol-level value an array holds.
  sym::Entry symbol_entry_of(const NDArray& array) {
    auto it = symbol_values_.find(array.var());
    if (it == symbol_values_.end()) {  // made outside the forward
      auto variable = variable_node("_external" + std::to_string(graph_.symbol_externals.size()));
      graph_.symbol_externals.emplace_back(array, variable);
      it = symbol_values_.emplace(array.var(), SymbolValue{{variable, 0}, array.offset(), array.shape()}).first;
    }
    const SymbolValue& value = it->second;
    if (array.offset() == value.offset && array.shape() == value.shape) return value.entry;
    if (array.offset() == value.offset && array.size() == value.shape.size()) {  // a reshape outside any operator
      auto node = std::make_shared<sym::Node>();
      node->op = "Reshape";
      node->name = node_name("Reshape");
      node->attrs = {{"shape", op::attr_string(array.shape().dims())}};
      node->inputs = {value.entry};
      return {node, 0};
    }
    if (graph_.symbol_error.empty()) {
      graph_.symbol_error = "the forward reads part of an array " + array.shape().str() +
                            " taken outside any operator (a slice or an element); use slice_axis or take";
    }
    return value.entry;
  }

  Source source_of(const NDArray& array) {
    if (array.is_none()) throw Error("hybridize: an operator was given an empty handle while tracing");
    auto it = holders_.find(array.var());
    if (it == holders_.end()) {  // made outside the forward: held by handle
      const int index = static_cast<int>(graph_.externals.size());
      graph_.externals.push_back(array);
      it = holders_.emplace(array.var(), Holder{Source{.kind = Source::Kind::kExternal, .index = index,
                                                       .shape = array.shape()},
                                                array.offset(), array.shape()})
               .first;
    }
    Source source = it->second.source;
    source.offset = array.offset() - it->second.base_offset;
    source.shape = array.shape();
    source.is_view = source.offset != 0 || array.shape() != it->second.base_shape;
    return source;
  }

 private:
  struct SymbolValue {
    sym::Entry entry;
    std::int64_t offset = 0;
    Shape shape;
  };
  struct NameScope {
    std::string prefix;
    bool first_is_fwd = false;
  };

  std::shared_ptr<sym::Node> variable_node(std::string name) {
    auto node = std::make_shared<sym::Node>();
    node->op = "null";
    node->name = std::move(name);
    return node;
  }

  // MXNet's names for a block's operators: "dense0_fwd" for a layer's own, "dense0_broadcast_add0" for others.
  std::string node_name(const char* op) {
    std::string name;
    if (!scopes_.empty() && scopes_.back().first_is_fwd) {
      scopes_.back().first_is_fwd = false;
      name = scopes_.back().prefix + "fwd";
    } else {
      std::string hint = scopes_.empty() ? "" : scopes_.back().prefix;
      const char* c = op;
      while (*c == '_') ++c;  // "_plus_scalar" reads "plus_scalar"
      for (; *c != 0; ++c) hint += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
      name = hint + std::to_string(counters_[hint]++);
    }
    while (!used_names_.insert(name).second) name += "_";
    return name;
  }

  // The inputs as the symbol and the graph saw them before the call; the graph nodes that made `outputs` are labelled for a
  // monitor with the symbol node's name.
  void add_symbol_node(const char* op, op::Attrs attrs, std::vector<sym::Entry> symbol_inputs,
                       std::vector<Source> input_sources, std::span<const NDArray> outputs) {
    auto node = std::make_shared<sym::Node>();
    node->op = op;
    node->attrs = std::move(attrs);
    node->inputs = std::move(symbol_inputs);
    node->name = node_name(op);
    node->num_outputs = static_cast<int>(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      symbol_values_[outputs[i].var()] = {{node, static_cast<int>(i)}, outputs[i].offset(), outputs[i].shape()};
      const auto held = holders_.find(outputs[i].var());
      if (held == holders_.end() || held->second.source.kind != Source::Kind::kNode) continue;
      Node& maker = graph_.nodes[static_cast<std::size_t>(held->second.source.index)];
      NodeOutput& out = maker.outputs[static_cast<std::size_t>(held->second.source.output)];
      out.monitor_name = node->name + "_output" + (outputs.size() > 1 ? std::to_string(i) : "");
      out.monitor_op = op;
      if (i == 0) {
        maker.monitor_node = node->name;
        maker.monitor_node_op = op;
        maker.monitor_inputs = input_sources;
      }
    }
  }

  Graph& graph_;
  int composites_ = 0;  // open composites: their inner calls are not symbol nodes
  std::vector<NameScope> scopes_;
  std::map<std::string, int> counters_;
  std::set<std::string> used_names_;
  std::map<engine::VarHandle, SymbolValue> symbol_values_;
  std::map<engine::VarHandle, Holder> holders_;
  // Every array of the trace, held until it ends: a freed array's variable could come back for a new one.
  // (Outputs have no storage: nothing computes them.)
  std::vector<NDArray> alive_;
};

// Drops the nodes whose outputs nothing reads: work the forward did for no output of its own, such as the
// packed weights a recurrent layer traces for its exported RNN node while its steps read the weights directly.
// Nodes that write in place into an external or an earlier output have an effect, and stay.
void drop_unread_nodes(Graph& graph) {
  const std::size_t count = graph.nodes.size();
  std::vector<bool> live(count, false);
  const auto mark = [&](const Source& s) {
    if (s.kind == Source::Kind::kNode) live[static_cast<std::size_t>(s.index)] = true;
  };
  for (const Source& s : graph.outputs) mark(s);
  for (std::size_t i = count; i-- > 0;) {  // nodes read only earlier nodes
    const Node& node = graph.nodes[i];
    for (const NodeOutput& out : node.outputs) {
      if (out.writes_external >= 0 || out.writes_node >= 0) live[i] = true;
    }
    if (!live[i]) continue;
    for (const Source& s : node.inputs) mark(s);
    for (const NodeOutput& out : node.outputs) {
      if (out.writes_node >= 0) live[static_cast<std::size_t>(out.writes_node)] = true;
    }
  }
  std::vector<int> renumbered(count, -1);
  std::vector<Node> kept;
  for (std::size_t i = 0; i < count; ++i) {
    if (!live[i]) continue;
    renumbered[i] = static_cast<int>(kept.size());
    kept.push_back(std::move(graph.nodes[i]));
  }
  if (kept.size() == count) {
    graph.nodes = std::move(kept);
    return;
  }
  const auto renumber = [&](Source& s) {
    if (s.kind == Source::Kind::kNode) s.index = renumbered[static_cast<std::size_t>(s.index)];
  };
  for (Node& node : kept) {
    for (Source& s : node.inputs) renumber(s);
    for (Source& s : node.monitor_inputs) renumber(s);
    std::erase_if(node.monitor_inputs, [](const Source& s) { return s.kind == Source::Kind::kNode && s.index < 0; });
    for (NodeOutput& out : node.outputs) {
      if (out.writes_node >= 0) out.writes_node = renumbered[static_cast<std::size_t>(out.writes_node)];
    }
  }
  for (Source& s : graph.outputs) renumber(s);
  graph.nodes = std::move(kept);
}

}  // namespace

bool Graph::bulkable() const {
  for (const Node& node : nodes) {
    if (!node.call.compute) return false;
    if (node.call.ctx != nodes.front().call.ctx) return false;
    for (const NodeOutput& out : node.outputs) {
      if (out.writes_node >= 0) return false;
    }
  }
  return true;
}

Graph trace(const std::function<std::vector<NDArray>(std::span<const NDArray>)>& forward,
            std::span<const NDArray> inputs, const std::string& what) {
  Graph graph;
  GraphTracer tracer(graph);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    tracer.add_input(inputs[i], static_cast<int>(i), inputs.size() == 1 ? "data" : "data" + std::to_string(i));
    graph.input_shapes.push_back(inputs[i].shape());
    graph.input_dtypes.push_back(inputs[i].dtype());
  }
  const std::string why = "values cannot be read while hybridize traces " + what +
                          ": the graph is recorded once and run again for every call, so a value read now would be "
                          "frozen into it. Compute with operators instead, or call the block without hybridize";
  std::vector<NDArray> outputs;
  {
    op::Tracer*& slot = op::thread_tracer();
    op::Tracer* const saved = slot;
    slot = &tracer;
    ForbidValueReads no_reads(why.c_str());
    try {
      outputs = forward(inputs);
    } catch (...) {
      slot = saved;
      throw;
    }
    slot = saved;
  }
  std::vector<sym::Entry> symbol_outputs;
  for (const NDArray& out : outputs) {
    graph.outputs.push_back(tracer.source_of(out));
    symbol_outputs.push_back(tracer.symbol_entry_of(out));
  }
  graph.symbol = sym::Symbol(std::move(symbol_outputs));
  drop_unread_nodes(graph);
  return graph;
}

}  // namespace mx::graph
