#pragma once
// MXNet's Symbol: a network as a graph of named operator nodes over named variables, the form export writes
// (prefix-symbol.json) and SymbolBlock runs. Nodes are shared, so symbols taken from one graph (its internals,
// its outputs) share their nodes; a symbol is cheap to copy.
//
//   auto data = sym::var("data");
//   auto fc = sym::invoke("FullyConnected", {data}, {{"num_hidden", "10"}}, "fc1");
//   auto net = sym::invoke("Activation", {fc}, {{"act_type", "relu"}}, "relu1");
//   net.list_arguments();                       // data, fc1_weight, fc1_bias
//   net.get_internals()["fc1_output"];          // the FullyConnected node's output
//   net.tojson();                               // MXNet 1.x's symbol JSON
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/symbolic.h>

namespace mx::sym {

struct Node;

// MXNet's infer_shape result: in list_arguments(), list_outputs() and list_auxiliary_states() order.
struct InferredShapes {
  std::vector<Shape> arg_shapes, out_shapes, aux_shapes;
};

// One output of a node.
struct Entry {
  std::shared_ptr<Node> node;
  int output = 0;
};

struct Node {
  std::string op;  // "null" for a variable
  std::string name;
  op::Attrs attrs;  // a variable's are MXNet's hidden ones ("__shape__", "__dtype__")
  std::vector<Entry> inputs;
  int num_outputs = 1;  // visible outputs
  bool is_variable() const { return op == "null"; }
};

class Symbol {
 public:
  Symbol() = default;
  explicit Symbol(std::vector<Entry> outputs) : outputs_(std::move(outputs)) {}

  // Variables in MXNet's order (depth first from the outputs): all of them, those that are not auxiliary
  // states, and the auxiliary states (BatchNorm's moving statistics).
  std::vector<std::string> list_inputs() const;
  std::vector<std::string> list_arguments() const;
  std::vector<std::string> list_auxiliary_states() const;
  // "fc1_output" (or "fc1_output0", "fc1_output1", ... for several), a variable's own name.
  std::vector<std::string> list_outputs() const;
  // Every output of every node, variables included, in MXNet's order.
  Symbol get_internals() const;
  // The output of that name (list_outputs); throws mx::Error listing the names when none has it.
  Symbol operator[](const std::string& output_name) const;
  Symbol operator[](std::size_t index) const;
  std::size_t num_outputs() const { return outputs_.size(); }
  // The node's name when there is one output.
  std::string name() const;

  // MXNet 1.x's symbol JSON, readable by MXNet's mx.sym.load_json.
  std::string tojson() const;
  void save(const std::string& path) const;

  // Runs the graph imperatively: each variable's array from `variable`, each node through its call by name
  // (operators/symbolic.h). An error names the node. Traced by hybridize like any other calls.
  std::vector<NDArray> eval(const std::function<NDArray(const Node& variable)>& variable) const;
  std::vector<NDArray> eval(const std::map<std::string, NDArray>& variables) const;

  // MXNet's infer_shape: the shapes of every argument, output and auxiliary state from those of some variables
  // (the data's; a variable's "__shape__" serves too), nothing computed: each layer's parameters shaped from its
  // data as MXNet infers them (FullyConnected, the convolutions, the normalizations, Embedding, PReLU), each
  // node's outputs by its operator. mx::ShapeError naming the variable and the node reading it when a shape
  // cannot be inferred, or naming the node whose inputs do not fit it.
  InferredShapes infer_shape(const std::map<std::string, Shape>& shapes) const;
  // The same for every node: its outputs' shapes (a variable's own).
  std::unordered_map<const Node*, std::vector<Shape>> infer_node_shapes(const std::map<std::string, Shape>& shapes) const;

  const std::vector<Entry>& outputs() const { return outputs_; }
  // The nodes reachable from the outputs, each after its inputs (MXNet's DFS order).
  std::vector<std::shared_ptr<Node>> topological_nodes() const;

 private:
  std::vector<Entry> outputs_;
};

struct VarOptions {
  std::optional<Shape> shape;  // written as "__shape__": a block called on the variable traces at this shape
  std::optional<DType> dtype;
};
Symbol var(const std::string& name, const VarOptions& options = {});
// A node of operator `op` (a name operators/symbolic.h knows) on the inputs' first outputs. Inputs left out at
// the end become variables named after the node, as MXNet's: FullyConnected "fc1" on data alone reads
// "fc1_weight" and "fc1_bias", SoftmaxOutput "softmax" reads "softmax_label".
Symbol invoke(const std::string& op, const std::vector<Symbol>& inputs, op::Attrs attrs = {}, std::string name = "");
// Several symbols as one with all their outputs (MXNet's Group).
Symbol group(const std::vector<Symbol>& symbols);

Symbol operator+(const Symbol& a, const Symbol& b);
Symbol operator-(const Symbol& a, const Symbol& b);
Symbol operator*(const Symbol& a, const Symbol& b);
Symbol operator/(const Symbol& a, const Symbol& b);
Symbol operator+(const Symbol& a, double b);
Symbol operator-(const Symbol& a, double b);
Symbol operator*(const Symbol& a, double b);
Symbol operator/(const Symbol& a, double b);

// Reads MXNet's symbol JSON, upgrading files of older MXNet versions as MXNet does (pre-1.0 "attr"/"param"
// fields, hidden attributes without underscores). Throws mx::Error naming the file and what is wrong; an
// operator mxpp does not have is an error naming it and its node.
Symbol load(const std::string& path);
Symbol load_json(const std::string& json, const std::string& what = "symbol JSON");

}  // namespace mx::sym
