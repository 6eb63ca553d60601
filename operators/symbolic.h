#pragma once
// The symbolic side of operators: how a call reads as a node of MXNet's symbol JSON (an operator name and string
// attributes) and how such a node is called again from its name and attributes. hybridize's export writes traced
// graphs this way; SymbolBlock runs symbol files through the calls registered here.
//
// An operator that is one registry call gets its symbol form from Operator::to_attrs/from_attrs (or has none to
// write, when its parameters are empty). A function built from several calls (Convolution is im2col, a product
// and an add) opens a Composite while it runs, so that a trace shows one node, and registers its call by name with
// register_symbol_op.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::op {

class Tracer;

// MXNet's attributes of a node, sorted by key as MXNet writes them.
using Attrs = std::map<std::string, std::string>;

// MXNet's spellings: "True", "3", "0.5" (shortest exact form), "(3, 3)", "float32".
std::string attr_string(bool value);
std::string attr_string(std::int64_t value);
inline std::string attr_string(int value) { return attr_string(static_cast<std::int64_t>(value)); }
std::string attr_string(double value);
std::string attr_string(std::span<const std::int64_t> tuple);
inline std::string attr_string(const std::vector<int>& tuple) {
  return attr_string(std::vector<std::int64_t>(tuple.begin(), tuple.end()));
}
inline std::string attr_string(const std::vector<std::int64_t>& tuple) {
  return attr_string(std::span<const std::int64_t>(tuple));
}

// Reads a node's attributes into parameters; each read leaves the parameter's default when the key is absent and
// throws mx::Error naming the operator, the key and the text when the text does not parse. finish() throws naming
// the keys nothing read (MXNet's hidden "__name__" attributes excepted), so a misspelt or unsupported attribute
// is never silently ignored.
class AttrReader {
 public:
  AttrReader(std::string op, const Attrs& attrs) : op_(std::move(op)), attrs_(attrs) {}
  const std::string& op() const { return op_; }
  bool has(const std::string& key) const { return attrs_.contains(key); }
  const Attrs& attrs() const { return attrs_; }

  void read(const std::string& key, bool& value);
  void read(const std::string& key, int& value);
  void read(const std::string& key, std::int64_t& value);
  void read(const std::string& key, double& value);
  void read(const std::string& key, std::string& value);
  void read(const std::string& key, DType& value);
  void read(const std::string& key, std::vector<std::int64_t>& tuple);  // "(3, 3)", "[3]", "3", "()"
  void read(const std::string& key, std::vector<int>& tuple);
  // Optional values: "None" or absent leave it empty.
  void read(const std::string& key, std::optional<double>& value);
  // Marks a key as understood without reading it (an attribute MXNet has and mxpp has no use for), provided its
  // value is one of `accepted` (any value when empty).
  void ignore(const std::string& key, std::vector<std::string> accepted = {});
  void finish() const;

 private:
  const std::string* find(const std::string& key);
  [[noreturn]] void fail(const std::string& key, const std::string& text, const char* expected) const;

  std::string op_;
  const Attrs& attrs_;
  std::vector<std::string> read_;
};

// How a node of the symbol JSON is called.
struct SymbolOp {
  // The call: the node's inputs in MXNet's order; returns its visible outputs.
  std::function<std::vector<NDArray>(const Attrs& attrs, std::span<const NDArray> inputs)> call;
  // Visible outputs for these attributes and inputs (1 when unset).
  std::function<int(const Attrs& attrs, int num_inputs)> count_outputs;
  // Outputs MXNet's operator has, hidden ones included (BatchNorm 3, Dropout 2): the JSON's node_row_ptr.
  int mxnet_outputs = 0;  // 0: as visible
  // Inputs MXNet calls auxiliary states (BatchNorm's moving statistics): "aux:" in parameter files.
  std::vector<int> aux_inputs;
  // Input names, for variables a symbol operator makes itself ("weight" makes "fc1_weight").
  std::vector<std::string> input_names;
};

// Registers `op` under `name` and each of `aliases` (MXNet's other spellings: "elemwise_add", "_Plus"). Throws
// mx::Error when a name is taken.
void register_symbol_op(const std::string& name, SymbolOp op, const std::vector<std::string>& aliases = {});
// nullptr when none has that name.
const SymbolOp* find_symbol_op(const std::string& name);
std::vector<std::string> list_symbol_ops();
// MXNet's inference of a layer's parameters from its data (FullyConnected's weight from num_hidden and the
// data's features, BatchNorm's statistics from its channels, a convolution's kernel and bias, Embedding's table):
// fills the inputs of unknown shape (empty) that operator `name` sets from its first input's shape. Other
// operators, and layouts other than channel-first, leave them empty.
void infer_input_shapes(const std::string& name, const Attrs& attrs, std::vector<std::optional<Shape>>& inputs);

// The names of the inputs a node of operator `name` takes with these attributes ("data", "weight", and "bias"
// unless no_bias), in order; empty for an operator without names.
std::vector<std::string> symbol_input_names(const std::string& name, const Attrs& attrs);

// Calls the node: throws mx::Error naming the operator when it is unknown.
std::vector<NDArray> call_symbol_op(const std::string& name, const Attrs& attrs, std::span<const NDArray> inputs);

// While alive on a tracing thread, operator calls are parts of one symbol node: the trace shows `op` from
// `inputs` to the outputs given to finish(). Costs nothing when not tracing; build attributes only when active().
class Composite {
 public:
  Composite(const char* op, std::span<const NDArray> inputs);
  Composite(const char* op, std::initializer_list<NDArray> inputs)
      : Composite(op, std::span<const NDArray>(inputs.begin(), inputs.size())) {}
  ~Composite();
  Composite(const Composite&) = delete;
  Composite& operator=(const Composite&) = delete;

  bool active() const { return tracer_ != nullptr; }
  // Ends the node; returns the single output, for `return scope.finish(attrs, y);`.
  const NDArray& finish(Attrs attrs, const NDArray& output);
  void finish(Attrs attrs, std::span<const NDArray> outputs);

 private:
  const char* op_;
  Tracer* tracer_ = nullptr;
  std::vector<NDArray> inputs_;
};

// While alive on a tracing thread, symbol nodes are named under `prefix` ("dense0_"): the first "dense0_fwd"
// when `first_is_fwd` (a layer's own operator, as MXNet's layers name it), the others "dense0_<operator><n>".
// Blocks open one around forward.
class SymbolNameScope {
 public:
  SymbolNameScope(const std::string& prefix, bool first_is_fwd);
  ~SymbolNameScope();
  SymbolNameScope(const SymbolNameScope&) = delete;
  SymbolNameScope& operator=(const SymbolNameScope&) = delete;

 private:
  Tracer* tracer_ = nullptr;
};

}  // namespace mx::op
