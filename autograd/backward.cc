// backward and grad: walk the recorded graph from the heads, latest call first, pushing each call's gradient
// operators into the engine, and sum the gradients that reach each variable.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <mx/autograd/autograd.h>
#include <mx/autograd/graph.h>
#include <mx/engine/error.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/shape_ops.h>
#include <mx/sparse/sparse_ops.h>

namespace mx::autograd {
namespace {

using detail::AutogradEntry;
using detail::AutogradNode;

// Restores the calling thread's mode on every exit, errors included.
struct ModeGuard {
  op::ThreadMode saved = op::thread_mode();
  ~ModeGuard() { op::thread_mode() = saved; }
};

void add_into(NDArray& sum, const NDArray& grad) { sum = sum.is_none() ? grad : nd::add(sum, grad); }

class Walk {
 public:
  // `targets`: the variables to differentiate for; empty means every reached variable with a gradient buffer.
  Walk(const char* caller, const std::vector<NDArray>& heads, const std::vector<NDArray>& head_grads,
       std::vector<const AutogradEntry*> targets)
      : caller_(caller), explicit_targets_(!targets.empty()), targets_(targets.begin(), targets.end()) {
    check_heads(heads, head_grads);
    collect(heads);
    mark_relevant();
    for (std::size_t i = 0; i < heads.size(); ++i) {
      const bool given = i < head_grads.size() && !head_grads[i].is_none();
      route(*heads[i].autograd_entry(), given ? head_grads[i] : nd::ones_like(heads[i]));
    }
  }

  // Runs every relevant call's gradient, latest first. With `create_graph` the gradient operators are recorded.
  // With `offer_buffers`, a write-mode variable used once may get its gradient written straight into its buffer,
  // and variables kept row sparse may be given their gradients as rows.
  void run(bool create_graph, bool offer_buffers) {
    rows_allowed_ = offer_buffers && !create_graph && any_row_sparse_;
    if (offer_buffers && !create_graph) find_offerable_buffers();
    for (const auto& node : nodes_) {
      if (relevant_.count(node.get()) != 0) run_node(node, create_graph);
    }
  }

  // Whether the variable's buffer already holds its gradient (a gradient function wrote it there).
  bool written_in_place(const AutogradEntry* variable) const { return written_.count(variable) != 0; }

  // The summed gradient that reached a variable; empty when none did.
  NDArray variable_grad(const AutogradEntry* variable) const {
    const auto it = variable_grads_.find(variable);
    return it == variable_grads_.end() ? NDArray() : it->second;
  }
  bool reached(const AutogradEntry* variable) const { return reached_variables_.count(variable) != 0; }

  // The gradient of a variable kept row sparse: the rows operators gave, and any dense gradient converted.
  RowSparseNDArray row_sparse_grad(const AutogradEntry* variable) const {
    const RowSparseNDArray& buffer = variable->sparse_grad;
    RowSparseNDArray sum;
    const auto given = variable_rows_.find(variable);
    if (given != variable_rows_.end()) {
      std::vector<NDArray> rows, values;
      std::vector<RowSparseNDArray> parts;
      for (const op::RowGradient& r : given->second) {
        if (r.row_sparse.has_value()) {
          parts.push_back(std::any_cast<RowSparseNDArray>(r.row_sparse));
          continue;
        }
        rows.push_back(r.rows.astype(DType::kInt64));
        values.push_back(r.values);
      }
      if (!rows.empty()) {
        parts.push_back(nd::sparse::row_sparse_sum_rows(values.size() == 1 ? values[0] : nd::concat(values, 0),
                                                        rows.size() == 1 ? rows[0] : nd::concat(rows, 0),
                                                        buffer.shape()));
      }
      sum = parts.size() == 1 ? parts[0] : nd::sparse::add_n(parts);
    }
    const NDArray dense = variable_grad(variable);
    if (!dense.is_none()) {
      const RowSparseNDArray converted = nd::sparse::row_sparse_array(dense);
      sum = sum.is_none() ? converted : nd::sparse::add(sum, converted);
    }
    return sum;
  }
  const std::vector<std::shared_ptr<AutogradEntry>>& variables() const { return variables_; }

  // Drops what the graph saved, so that memory is returned and a second backward is a clear error.
  void release() {
    for (const auto& node : nodes_) {
      node->released = true;
      node->gradient = nullptr;
      node->inputs.clear();
      node->outputs.clear();
    }
  }

 private:
  void check_heads(const std::vector<NDArray>& heads, const std::vector<NDArray>& head_grads) const {
    if (heads.empty()) throw Error(std::string(caller_) + ": no heads given");
    if (!head_grads.empty() && head_grads.size() != heads.size()) {
      throw Error(std::string(caller_) + ": " + std::to_string(heads.size()) + " heads but " +
                  std::to_string(head_grads.size()) + " head gradients");
    }
    for (std::size_t i = 0; i < heads.size(); ++i) {
      if (heads[i].is_none() || heads[i].autograd_entry() == nullptr) {
        throw Error(std::string(caller_) + ": head " + std::to_string(i) +
                    " was not computed from a variable while recording (call attach_grad on the inputs and "
                    "compute inside autograd::record)");
      }
      if (i < head_grads.size() && !head_grads[i].is_none()) {
        if (head_grads[i].shape() != heads[i].shape()) {
          throw ShapeError(std::string(caller_) + ": head gradient " + std::to_string(i) + " has shape " +
                           head_grads[i].shape().str() + " but head " + std::to_string(i) + " has shape " +
                           heads[i].shape().str());
        }
        if (head_grads[i].dtype() != heads[i].dtype()) {
          throw DTypeError(std::string(caller_) + ": head gradient " + std::to_string(i) + " is " +
                           dtype_name(head_grads[i].dtype()) + " but head " + std::to_string(i) + " is " +
                           dtype_name(heads[i].dtype()));
        }
      }
    }
  }

  bool is_target(const AutogradEntry* variable) const {
    return explicit_targets_ ? targets_.count(variable) != 0 : variable->grad_req != GradReq::kNull;
  }

  void reach(const std::shared_ptr<AutogradEntry>& entry, std::vector<AutogradNode*>& stack) {
    if (entry == nullptr) return;
    if (entry->is_variable()) {
      if (reached_variables_.insert(entry.get()).second) variables_.push_back(entry);
      any_row_sparse_ = any_row_sparse_ || entry->row_sparse();
      return;
    }
    if (seen_.insert(entry->node.get()).second) {
      if (entry->node->released) {
        throw Error(std::string(caller_) + ": the graph through " + entry->node->op +
                    " was freed by an earlier backward; pass retain_graph=true to that one to go through it again");
      }
      nodes_.push_back(entry->node);
      stack.push_back(entry->node.get());
    }
  }

  void collect(const std::vector<NDArray>& heads) {
    std::vector<AutogradNode*> stack;
    for (const NDArray& head : heads) reach(head.autograd_entry(), stack);
    while (!stack.empty()) {
      AutogradNode* node = stack.back();
      stack.pop_back();
      for (const NDArray& input : node->inputs) reach(input.autograd_entry(), stack);
    }
    std::sort(nodes_.begin(), nodes_.end(), [](const auto& a, const auto& b) { return a->sequence > b->sequence; });
  }

  // A call is relevant when some input leads to a target; earlier calls come first in this pass.
  bool leads_to_target(const NDArray& input) const {
    const AutogradEntry* entry = input.autograd_entry().get();
    if (entry == nullptr) return false;
    return entry->is_variable() ? is_target(entry) : relevant_.count(entry->node.get()) != 0;
  }
  void mark_relevant() {
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
      const auto& inputs = (*it)->inputs;
      if (std::any_of(inputs.begin(), inputs.end(), [&](const NDArray& in) { return leads_to_target(in); })) {
        relevant_.insert(it->get());
      }
    }
  }

  // A write-mode variable whose one use is an input of one call (not a head), and whose buffer the graph does
  // not read, can take that call's gradient directly.
  void find_offerable_buffers() {
    std::unordered_map<const AutogradEntry*, int> uses;
    for (const auto& node : nodes_) {
      if (relevant_.count(node.get()) == 0) continue;
      for (const NDArray& input : node->inputs) {
        const AutogradEntry* entry = input.autograd_entry().get();
        if (entry != nullptr && entry->is_variable()) ++uses[entry];
      }
    }
    for (const auto& [entry, count] : uses) {
      const bool written_here = count == 1 && entry->grad_req == GradReq::kWrite && !entry->row_sparse();
      if (!written_here || variable_grads_.count(entry) != 0) continue;
      const bool read_by_graph = std::any_of(nodes_.begin(), nodes_.end(), [&](const auto& node) {
        const auto aliases = [&](const NDArray& a) { return a.shares_storage_with(entry->grad); };
        return std::any_of(node->inputs.begin(), node->inputs.end(), aliases) ||
               std::any_of(node->outputs.begin(), node->outputs.end(), aliases);
      });
      if (!read_by_graph) offerable_.insert(entry);
    }
    offer_through_reshapes();
  }

  // Such a variable read only through a reshape, itself read by one call (a convolution's weight, which its
  // product reads as a matrix), offers that call its buffer seen in the reshape's shape: the gradient written
  // there reshapes back into the buffer, with no copy. Likewise through a chain of reshapes, each read once (a
  // hybridized block's replay reaches the weight as (8, 3, 3, 3) -> (216,) -> (216,) -> (8, 27)).
  void offer_through_reshapes() {
    std::unordered_map<const AutogradNode*, int> reads;  // of each call's first output
    for (const auto& node : nodes_) {
      if (relevant_.count(node.get()) == 0) continue;
      for (const NDArray& input : node->inputs) {
        const AutogradEntry* entry = input.autograd_entry().get();
        if (entry != nullptr && !entry->is_variable() && entry->output == 0) ++reads[entry->node.get()];
      }
    }
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {  // earliest first: a chain's links in order
      const AutogradNode* node = it->get();
      if (std::strcmp(node->op, "reshape") != 0 || node->inputs.size() != 1 || node->outputs.size() != 1) continue;
      const bool is_head = output_grads_.count(node) != 0;
      if (reads[node] != 1 || is_head) continue;
      const NDArray buffer = offered_buffer(node->inputs[0]);
      if (!buffer.is_none()) offered_views_[node] = buffer.reshape(node->outputs[0].shape());
    }
  }

  // The buffer offered for a call's input: a variable's own, or one seen through a reshape; empty when none.
  NDArray offered_buffer(const NDArray& input) const {
    const AutogradEntry* entry = input.autograd_entry().get();
    if (entry == nullptr) return NDArray();
    if (entry->is_variable()) return offerable_.count(entry) != 0 ? entry->grad : NDArray();
    const auto view = offered_views_.find(entry->node.get());
    return entry->output == 0 && view != offered_views_.end() ? view->second : NDArray();
  }

  void route(const AutogradEntry& entry, const NDArray& grad) {
    if (entry.is_variable()) {
      add_into(variable_grads_[&entry], grad);
      return;
    }
    auto& grads = output_grads_[entry.node.get()];
    grads.resize(entry.node->outputs.size());
    add_into(grads[static_cast<std::size_t>(entry.output)], grad);
  }

  void check_versions(const AutogradNode& node) const {
    const std::size_t n = node.inputs.size();
    for (std::size_t i = 0; i < node.versions.size(); ++i) {
      const NDArray& saved = i < n ? node.inputs[i] : node.outputs[i - n];
      if (saved.version() != node.versions[i]) {
        throw Error(std::string(caller_) + ": " + (i < n ? "input " : "output ") +
                    std::to_string(i < n ? i : i - n) + " of " + node.op +
                    " was overwritten in place after it was recorded; its gradient would be wrong");
      }
    }
  }

  void run_node(const std::shared_ptr<AutogradNode>& node, bool create_graph) {
    auto found = output_grads_.find(node.get());
    if (found == output_grads_.end()) return;  // no gradient reached this call
    check_versions(*node);
    std::vector<NDArray> grads = std::move(found->second);
    output_grads_.erase(found);
    grads.resize(node->outputs.size());
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].is_none()) grads[i] = nd::zeros_like(node->outputs[i]);
    }
    // Recorded gradients must see the outputs as outputs of this call, so that d(out)/d(in) flows in turn.
    std::vector<NDArray> outputs = node->outputs;
    if (create_graph) {
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        auto entry = std::make_shared<AutogradEntry>();
        entry->node = node;
        entry->output = static_cast<int>(i);
        outputs[i].set_autograd_entry(std::move(entry));
      }
    }
    const std::size_t n = node->inputs.size();
    auto needs = std::make_unique<bool[]>(n);
    for (std::size_t i = 0; i < n; ++i) needs[i] = leads_to_target(node->inputs[i]);
    std::vector<NDArray> buffers;
    for (std::size_t i = 0; i < n && !offerable_.empty(); ++i) {
      if (buffers.empty()) buffers.resize(n);
      buffers[i] = offered_buffer(node->inputs[i]);
    }
    // Which inputs take their gradient as rows: looked at only when the graph reaches a row-sparse variable.
    std::unique_ptr<bool[]> rows_wanted;
    bool any_rows = false;
    for (std::size_t i = 0; i < n && rows_allowed_; ++i) {
      if (!rows_wanted) rows_wanted = std::make_unique<bool[]>(n);
      const AutogradEntry* entry = node->inputs[i].autograd_entry().get();
      rows_wanted[i] = needs[i] && entry->is_variable() && entry->row_sparse();
      any_rows = any_rows || rows_wanted[i];
    }
    std::vector<op::RowGradient> row_grads(any_rows ? n : 0);
    op::GradientArgs args{node->inputs, outputs, grads, std::span<const bool>(needs.get(), n), buffers};
    if (any_rows) {
      args.rows_wanted = std::span<const bool>(rows_wanted.get(), n);
      args.row_grads = &row_grads;
    }
    const std::vector<NDArray> input_grads = node->gradient(args);
    if (input_grads.size() != n) {
      throw Error(std::string(caller_) + ": the gradient of " + node->op + " gave " +
                  std::to_string(input_grads.size()) + " arrays for " + std::to_string(n) + " inputs");
    }
    for (std::size_t i = 0; i < row_grads.size(); ++i) {
      if (row_grads[i].rows.is_none() && !row_grads[i].row_sparse.has_value()) continue;
      variable_rows_[node->inputs[i].autograd_entry().get()].push_back(std::move(row_grads[i]));
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!needs[i] || input_grads[i].is_none()) continue;
      if (input_grads[i].shape() != node->inputs[i].shape()) {
        throw ShapeError(std::string(caller_) + ": the gradient of " + node->op + " for input " + std::to_string(i) +
                         " has shape " + input_grads[i].shape().str() + ", not the input's " +
                         node->inputs[i].shape().str());
      }
      const AutogradEntry& entry = *node->inputs[i].autograd_entry();
      if (i < buffers.size() && !buffers[i].is_none() && input_grads[i].shares_storage_with(buffers[i])) {
        written_.insert(&entry);
      }
      route(entry, input_grads[i]);
    }
  }

  const char* caller_;
  const bool explicit_targets_;
  const std::unordered_set<const AutogradEntry*> targets_;
  std::vector<std::shared_ptr<AutogradNode>> nodes_;  // reachable calls, latest first
  std::unordered_set<const AutogradNode*> seen_;
  std::unordered_set<const AutogradNode*> relevant_;
  std::unordered_map<const AutogradNode*, std::vector<NDArray>> output_grads_;
  std::unordered_map<const AutogradEntry*, NDArray> variable_grads_;
  std::unordered_map<const AutogradEntry*, std::vector<op::RowGradient>> variable_rows_;  // row-sparse variables'
  bool any_row_sparse_ = false;  // whether a reached variable keeps its gradient row sparse
  bool rows_allowed_ = false;
  std::unordered_set<const AutogradEntry*> reached_variables_;
  std::unordered_set<const AutogradEntry*> offerable_, written_;
  std::unordered_map<const AutogradNode*, NDArray> offered_views_;  // by reshape call: its variable's buffer
  std::vector<std::shared_ptr<AutogradEntry>> variables_;
};

void set_walk_mode(bool create_graph, bool train_mode) {
  op::thread_mode() = {create_graph ? &detail::graph_recorder() : nullptr, train_mode, op::thread_mode().tracer};
}

// Writes a row-sparse gradient into its variable's buffer by the variable's grad_req.
void write_row_sparse(AutogradEntry& variable, RowSparseNDArray sum) {
  RowSparseNDArray& buffer = variable.sparse_grad;
  if (variable.grad_req == GradReq::kAdd) {
    if (!sum.is_none()) nd::sparse::moveto(nd::sparse::add(buffer, sum), buffer);
  } else {
    nd::sparse::moveto(sum.is_none() ? nd::sparse::row_sparse_array(buffer.shape(), buffer.dtype(), buffer.context())
                                     : std::move(sum),
                       buffer);
  }
}

}  // namespace

void backward(const std::vector<NDArray>& heads, const std::vector<NDArray>& head_grads, bool retain_graph,
              bool train_mode) {
  ModeGuard guard;
  set_walk_mode(false, train_mode);
  Walk walk("backward", heads, head_grads, {});
  walk.run(false, true);
  for (const auto& variable : walk.variables()) {
    if (variable->grad_req == GradReq::kNull || walk.written_in_place(variable.get())) continue;
    if (variable->row_sparse()) {
      write_row_sparse(*variable, walk.row_sparse_grad(variable.get()));
      continue;
    }
    NDArray sum = walk.variable_grad(variable.get());
    if (variable->grad_req == GradReq::kAdd) {
      if (!sum.is_none()) variable->grad += sum;
    } else if (sum.is_none()) {
      nd::fill(variable->grad, 0);
    } else {
      nd::copyto(sum, variable->grad);
    }
  }
  if (!retain_graph) walk.release();
}

std::vector<NDArray> grad(const std::vector<NDArray>& heads, const std::vector<NDArray>& variables,
                          const std::vector<NDArray>& head_grads, bool create_graph, bool train_mode) {
  if (variables.empty()) throw Error("grad: no variables given");
  std::vector<const AutogradEntry*> targets;
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const AutogradEntry* entry = variables[i].autograd_entry().get();
    if (entry == nullptr || !entry->is_variable()) {
      throw Error("grad: variable " + std::to_string(i) + " is not marked; call attach_grad on it before recording");
    }
    targets.push_back(entry);
  }
  ModeGuard guard;
  set_walk_mode(create_graph, train_mode);
  Walk walk("grad", heads, head_grads, targets);
  walk.run(create_graph, false);
  std::vector<NDArray> grads;
  for (std::size_t i = 0; i < variables.size(); ++i) {
    if (!walk.reached(targets[i])) {
      throw Error("grad: variable " + std::to_string(i) + " has no path to the heads; the heads do not depend on it");
    }
    NDArray sum = walk.variable_grad(targets[i]);
    grads.push_back(sum.is_none() ? nd::zeros_like(variables[i]) : sum);
  }
  if (!create_graph) walk.release();
  return grads;
}

void mark_variables(std::vector<NDArray>& variables, const std::vector<RowSparseNDArray>& gradients,
                    GradReq grad_req) {
  if (variables.size() != gradients.size()) {
    throw Error("mark_variables: " + std::to_string(variables.size()) + " variables but " +
                std::to_string(gradients.size()) + " gradient buffers");
  }
  for (std::size_t i = 0; i < variables.size(); ++i) {
    if (gradients[i].is_none() || gradients[i].shape() != variables[i].shape() ||
        gradients[i].dtype() != variables[i].dtype()) {
      throw ShapeError("mark_variables: row-sparse gradient buffer " + std::to_string(i) +
                       " does not match its variable (" + variables[i].shape().str() + ", " +
                       dtype_name(variables[i].dtype()) + ")");
    }
    auto entry = std::make_shared<AutogradEntry>();
    entry->sparse_grad = gradients[i];
    entry->grad_req = grad_req;
    variables[i].set_autograd_entry(std::move(entry));
  }
}

void attach_row_sparse_grad(NDArray& x, GradReq grad_req) {
  if (x.is_none()) throw Error("attach_row_sparse_grad: the array is empty (a default-constructed handle)");
  std::vector<NDArray> one{x};
  mark_variables(one, {nd::sparse::row_sparse_array(x.shape(), x.dtype(), x.context())}, grad_req);
  x = one[0];
}

RowSparseNDArray row_sparse_grad(const NDArray& variable) {
  const AutogradEntry* entry = variable.autograd_entry().get();
  if (entry == nullptr || !entry->is_variable() || !entry->row_sparse()) {
    throw Error("row_sparse_grad: the array has no row-sparse gradient buffer (attach_row_sparse_grad, or a "
                "Parameter with grad_stype row_sparse)");
  }
  return entry->sparse_grad;
}

void mark_variables(std::vector<NDArray>& variables, const std::vector<NDArray>& gradients, GradReq grad_req) {
  if (variables.size() != gradients.size()) {
    throw Error("mark_variables: " + std::to_string(variables.size()) + " variables but " +
                std::to_string(gradients.size()) + " gradient buffers");
  }
  for (std::size_t i = 0; i < variables.size(); ++i) {
    if (gradients[i].shape() != variables[i].shape() || gradients[i].dtype() != variables[i].dtype()) {
      throw ShapeError("mark_variables: gradient buffer " + std::to_string(i) + " (" + gradients[i].shape().str() +
                       ", " + dtype_name(gradients[i].dtype()) + ") does not match its variable (" +
                       variables[i].shape().str() + ", " + dtype_name(variables[i].dtype()) + ")");
    }
    auto entry = std::make_shared<AutogradEntry>();
    entry->grad = gradients[i];
    entry->grad_req = grad_req;
    variables[i].set_autograd_entry(std::move(entry));
  }
}

}  // namespace mx::autograd
