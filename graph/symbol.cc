// Symbol: queries over the node graph, building symbols, and running them imperatively.
#include <mx/graph/symbol.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <mx/ndarray/error.h>

namespace mx::sym {
namespace {

std::string output_name(const Node& node, int output) {
  if (node.is_variable()) return node.name;
  return node.name + "_output" + (node.num_outputs > 1 ? std::to_string(output) : "");
}

// Variables some node reads as an auxiliary state.
std::unordered_set<const Node*> auxiliary_variables(const std::vector<std::shared_ptr<Node>>& nodes) {
  std::unordered_set<const Node*> aux;
  for (const auto& node : nodes) {
    if (node->is_variable()) continue;
    const op::SymbolOp* form = op::find_symbol_op(node->op);
    if (form == nullptr) continue;
    for (int index : form->aux_inputs) {
      if (static_cast<std::size_t>(index) < node->inputs.size()) aux.insert(node->inputs[index].node.get());
    }
  }
  return aux;
}

// Rethrows the current exception with the node named, keeping its kind.
[[noreturn]] void rethrow_at(const Node& node) {
  const std::string where = "symbol node '" + node.name + "' (" + node.op + "): ";
  try {
    throw;
  } catch (const ShapeError& e) {
    throw ShapeError(where + e.what());
  } catch (const DTypeError& e) {
    throw DTypeError(where + e.what());
  } catch (const Error& e) {
    throw Error(where + e.what());
  }
}

std::string automatic_name(const std::string& op) {
  thread_local std::unordered_map<std::string, int> counters;
  std::string hint;  // "_mul_scalar" reads "mul_scalar", as names from a trace
  for (char c : op.substr(std::min(op.find_first_not_of('_'), op.size()))) {
    hint += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return hint + std::to_string(counters[hint]++);
}

}  // namespace

std::vector<std::shared_ptr<Node>> Symbol::topological_nodes() const {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<const Node*> done;
  // Depth first, inputs in order; an explicit stack, as networks can be deep.
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack;
  for (const Entry& out : outputs_) {
    if (!out.node || done.contains(out.node.get())) continue;
    stack.emplace_back(out.node, 0);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->inputs.size()) {
        const std::shared_ptr<Node>& input = node->inputs[next++].node;
        if (!done.contains(input.get())) stack.emplace_back(input, 0);
        continue;
      }
      if (done.insert(node.get()).second) order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}

std::vector<std::string> Symbol::list_inputs() const {
  std::vector<std::string> names;
  for (const auto& node : topological_nodes()) {
    if (node->is_variable()) names.push_back(node->name);
  }
  return names;
}

namespace {

// The variables among `nodes` that are (or are not) auxiliary states, in order.
std::vector<std::string> variables(const std::vector<std::shared_ptr<Node>>& nodes, bool auxiliary) {
  const auto aux = auxiliary_variables(nodes);
  std::vector<std::string> names;
  for (const auto& node : nodes) {
    if (node->is_variable() && aux.contains(node.get()) == auxiliary) names.push_back(node->name);
  }
  return names;
}

}  // namespace

std::vector<std::string> Symbol::list_arguments() const { return variables(topological_nodes(), false); }
std::vector<std::string> Symbol::list_auxiliary_states() const { return variables(topological_nodes(), true); }

std::vector<std::string> Symbol::list_outputs() const {
  std::vector<std::string> names;
  for (const Entry& out : outputs_) names.push_back(output_name(*out.node, out.output));
  return names;
}

Symbol Symbol::get_internals() const {
  std::vector<Entry> all;
  for (const auto& node : topological_nodes()) {
    for (int i = 0; i < node->num_outputs; ++i) all.push_back({node, i});
  }
  return Symbol(std::move(all));
}

Symbol Symbol::operator[](const std::string& name) const {
  for (const Entry& out : outputs_) {
    if (output_name(*out.node, out.output) == name) return Symbol({out});
  }
  std::string known;
  for (const std::string& n : list_outputs()) known += (known.empty() ? "" : ", ") + n;
  throw Error("Symbol: no output named '" + name + "' (outputs: " + known + ")");
}

Symbol Symbol::operator[](std::size_t index) const {
  if (index >= outputs_.size()) {
    throw IndexError("Symbol: output " + std::to_string(index) + " of " + std::to_string(outputs_.size()));
  }
  return Symbol({outputs_[index]});
}

std::string Symbol::name() const {
  if (outputs_.size() != 1) throw Error("Symbol: a group of " + std::to_string(outputs_.size()) + " outputs has no name");
  return outputs_.front().node->name;
}

std::vector<NDArray> Symbol::eval(const std::function<NDArray(const Node&)>& variable) const {
  std::unordered_map<const Node*, std::vector<NDArray>> values;
  for (const auto& node : topological_nodes()) {
    if (node->is_variable()) {
      values[node.get()] = {variable(*node)};
      continue;
    }
    std::vector<NDArray> inputs;
    inputs.reserve(node->inputs.size());
    for (const Entry& in : node->inputs) {
      const std::vector<NDArray>& produced = values.at(in.node.get());
      if (static_cast<std::size_t>(in.output) >= produced.size()) {
        throw Error("symbol node '" + node->name + "' (" + node->op + "): reads output " + std::to_string(in.output) +
                    " of '" + in.node->name + "', which has " + std::to_string(produced.size()));
      }
      inputs.push_back(produced[static_cast<std::size_t>(in.output)]);
    }
    try {
      values[node.get()] = op::call_symbol_op(node->op, node->attrs, inputs);
    } catch (const Error&) {
      rethrow_at(*node);
    }
  }
  std::vector<NDArray> outputs;
  for (const Entry& out : outputs_) {
    const std::vector<NDArray>& produced = values.at(out.node.get());
    if (static_cast<std::size_t>(out.output) >= produced.size()) {
      throw Error("Symbol: output " + std::to_string(out.output) + " of '" + out.node->name + "' is not computed");
    }
    outputs.push_back(produced[static_cast<std::size_t>(out.output)]);
  }
  return outputs;
}

std::vector<NDArray> Symbol::eval(const std::map<std::string, NDArray>& variables) const {
  return eval([&variables](const Node& node) {
    const auto it = variables.find(node.name);
    if (it == variables.end()) throw Error("Symbol::eval: no array given for variable '" + node.name + "'");
    return it->second;
  });
}

Symbol var(const std::string& name, const VarOptions& options) {
  if (name.empty()) throw Error("sym::var: a variable needs a name");
  auto node = std::make_shared<Node>();
  node->op = "null";
  node->name = name;
  if (options.shape) node->attrs["__shape__"] = op::attr_string(options.shape->dims());
  if (options.dtype) node->attrs["__dtype__"] = std::to_string(static_cast<int>(*options.dtype));
  return Symbol({Entry{node, 0}});
}

Symbol invoke(const std::string& op, const std::vector<Symbol>& inputs, op::Attrs attrs, std::string name) {
  const op::SymbolOp* form = op::find_symbol_op(op);
  if (form == nullptr) throw Error("sym::invoke: operator '" + op + "' is not supported by mxpp");
  auto node = std::make_shared<Node>();
  node->op = op;
  node->name = name.empty() ? automatic_name(op) : std::move(name);
  node->attrs = std::move(attrs);
  for (const Symbol& in : inputs) {
    if (in.num_outputs() != 1) {
      throw Error("sym::invoke: " + op + "'s inputs must have one output each, got a group of " +
                  std::to_string(in.num_outputs()));
    }
    node->inputs.push_back(in.outputs().front());
  }
  // MXNet's variables for the inputs not given: FullyConnected named "fc1" on data alone reads "fc1_weight" and
  // "fc1_bias".
  const std::vector<std::string> names = op::symbol_input_names(op, node->attrs);
  for (std::size_t i = node->inputs.size(); i < names.size(); ++i) {
    node->inputs.push_back(var(node->name + "_" + names[i]).outputs().front());
  }
  node->num_outputs = form->count_outputs ? form->count_outputs(node->attrs, static_cast<int>(node->inputs.size())) : 1;
  std::vector<Entry> outputs;
  for (int i = 0; i < node->num_outputs; ++i) outputs.push_back({node, i});
  return Symbol(std::move(outputs));
}

Symbol group(const std::vector<Symbol>& symbols) {
  std::vector<Entry> outputs;
  for (const Symbol& s : symbols) outputs.insert(outputs.end(), s.outputs().begin(), s.outputs().end());
  return Symbol(std::move(outputs));
}

Symbol operator+(const Symbol& a, const Symbol& b) { return invoke("broadcast_add", {a, b}); }
Symbol operator-(const Symbol& a, const Symbol& b) { return invoke("broadcast_sub", {a, b}); }
Symbol operator*(const Symbol& a, const Symbol& b) { return invoke("broadcast_mul", {a, b}); }
Symbol operator/(const Symbol& a, const Symbol& b) { return invoke("broadcast_div", {a, b}); }
Symbol operator+(const Symbol& a, double b) { return invoke("_plus_scalar", {a}, {{"scalar", op::attr_string(b)}}); }
Symbol operator-(const Symbol& a, double b) { return invoke("_minus_scalar", {a}, {{"scalar", op::attr_string(b)}}); }
Symbol operator*(const Symbol& a, double b) { return invoke("_mul_scalar", {a}, {{"scalar", op::attr_string(b)}}); }
Symbol operator/(const Symbol& a, double b) { return invoke("_div_scalar", {a}, {{"scalar", op::attr_string(b)}}); }

}  // namespace mx::sym
