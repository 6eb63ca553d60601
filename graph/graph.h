#pragma once
// A traced computation: what hybridize records of a forward, run again for each call with the same signature.
//
// trace() runs a function under a Tracer: each operator call becomes a node (inference and checks run as usual,
// nothing is computed), and arrays the function reads without having made them (parameters, constants) become
// the graph's externals, held by handle. Views the function takes of arrays (reshape, slice) are kept as an
// offset and a shape on the edge that reads them.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <mx/graph/symbol.h>
#include <mx/ndarray/ndarray.h>
#include <mx/operators/tracing.h>

namespace mx::graph {

// Where a node input or a graph output comes from, and the view taken of it.
struct Source {
  enum class Kind : std::uint8_t { kInput, kExternal, kNode };
  Kind kind = Kind::kInput;
  int index = 0;   // graph input, external, or node
  int output = 0;  // the node's output
  // The view: elements from the start of the source's data, and the shape read there.
  std::int64_t offset = 0;
  Shape shape;
  bool is_view = false;  // offset or shape differ from the source's own
};

struct NodeOutput {
  Shape shape;
  DType dtype = DType::kFloat32;
  // An existing array the node writes in place: an external (a moving statistic), or an earlier node output
  // (x += 1 inside the forward); -1 for a new array.
  int writes_external = -1;
  int writes_node = -1, writes_node_output = 0;
  // When this is the output of an operator of the symbol (not a part inside a composite such as Convolution's
  // products): its name as MXNet's monitor gives it ("dense0_fwd_output") and the operator's name.
  std::string monitor_name, monitor_op;
};

struct Node {
  op::TracedCall call;
  std::vector<Source> inputs;
  std::vector<NodeOutput> outputs;
  // On the node that makes a symbol operator's first output: that operator's name, its operator and its inputs
  // (a composite's, not the part's), for a monitor of inputs too.
  std::string monitor_node, monitor_node_op;
  std::vector<Source> monitor_inputs;
};

struct Graph {
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  std::vector<NDArray> externals;  // read (or written in place) by the nodes; replace them to rebind
  std::vector<Node> nodes;
  std::vector<Source> outputs;

  // The same forward as MXNet's operators, for export and get_internals: one node per operator or composite
  // (Convolution, BatchNorm) called outside any composite. Variables: the inputs ("data", or "data0", "data1",
  // ...) and each array the forward read without making it, by array, named "_external<n>" until the caller
  // names them (renaming the node renames it in the symbol).
  sym::Symbol symbol;
  std::vector<std::shared_ptr<sym::Node>> symbol_inputs;
  std::vector<std::pair<NDArray, std::shared_ptr<sym::Node>>> symbol_externals;
  // Why the forward has no symbol form (an operator without one), empty when it has.
  std::string symbol_error;

  // Whether every node is one plain operation on one context, with no writes into earlier node outputs: such a
  // graph can run as a single engine operation.
  bool bulkable() const;
  std::size_t num_operations() const { return nodes.size(); }
};

// Traces `forward` on `inputs`: their shapes, dtypes and contexts matter, their values are never read (a read
// throws mx::Error saying why). The result says how to compute forward's outputs from inputs of that signature.
Graph trace(const std::function<std::vector<NDArray>(std::span<const NDArray>)>& forward,
            std::span<const NDArray> inputs, const std::string& what = "the forward");

}  // namespace mx::graph
