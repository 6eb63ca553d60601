#pragma once
// The recorded graph. There is no linear tape: each array computed while recording points at the call that made
// it, and each call holds its inputs, whose entries point further back to the variables. The graph lives as long
// as the arrays that lead into it, so memory stays flat over a training loop.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/recording.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::detail {

struct AutogradNode;

// An array's place in a graph: output `output` of a recorded call, or a variable marked by attach_grad.
struct AutogradEntry {
  std::shared_ptr<AutogradNode> node;  // null for a variable
  int output = 0;
  NDArray grad;  // a variable's gradient buffer
  RowSparseNDArray sparse_grad;  // or, for a variable whose gradient is kept row sparse, that buffer
  GradReq grad_req = GradReq::kNull;

  bool is_variable() const { return node == nullptr; }
  bool row_sparse() const { return !sparse_grad.is_none(); }
};

// One recorded call.
struct AutogradNode {
  const char* op = "";
  std::uint64_t sequence = 0;  // recording order: a call's inputs come from calls with smaller numbers
  op::Gradient gradient;
  std::vector<NDArray> inputs;   // with their entries: the graph's edges
  std::vector<NDArray> outputs;  // without entries (an output's entry points here; keeping it would be a cycle)
  std::vector<std::uint64_t> versions;  // of inputs then outputs when recorded, to detect in-place overwrites
  bool released = false;                // saved arrays dropped by a backward without retain_graph
};

// The recorder the record scope installs.
op::Recorder& graph_recorder();

}  // namespace mx::detail
