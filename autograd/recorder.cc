// Recording operator calls and views into the graph.
#include <algorithm>
#include <atomic>
#include <string>

#include <mx/autograd/graph.h>
#include <mx/engine/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/shape_ops.h>

namespace mx::detail {
namespace {

bool in_graph(const NDArray& a) { return a.autograd_entry() != nullptr; }

class GraphRecorder final : public op::Recorder {
 public:
  void record(const char* op, std::span<const NDArray> inputs, std::span<NDArray> outputs, op::Gradient gradient,
              bool in_place) override {
    if (std::none_of(inputs.begin(), inputs.end(), in_graph)) {
      if (in_place && std::any_of(outputs.begin(), outputs.end(), in_graph)) throw_in_place(op);
      return;  // constants in, constants out
    }
    if (in_place) throw_in_place(op);
    auto node = std::make_shared<AutogradNode>();
    node->op = op;
    node->sequence = next_sequence_.fetch_add(1, std::memory_order_relaxed);
    node->gradient = std::move(gradient);
    node->inputs.assign(inputs.begin(), inputs.end());
    node->outputs.reserve(outputs.size());
    for (const NDArray& in : inputs) node->versions.push_back(in.version());
    for (const NDArray& out : outputs) {
      node->outputs.push_back(out.detach());
      node->versions.push_back(out.version());
    }
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      auto entry = std::make_shared<AutogradEntry>();
      entry->node = node;
      entry->output = static_cast<int>(i);
      outputs[i].set_autograd_entry(std::move(entry));
    }
  }

 private:
  [[noreturn]] static void throw_in_place(const char* op) {
    throw Error(std::string(op) +
                ": an in-place write (out=, +=, copyto) involving arrays with gradients cannot be recorded; write "
                "to a new array, or pause recording (autograd::pause) for updates such as w -= lr * w.grad()");
  }

  std::atomic<std::uint64_t> next_sequence_{0};
};

// A view's gradient puts the view's gradient where the view sits in its base and zeros elsewhere.
std::vector<NDArray> view_gradient(const NDArray& base, const NDArray& view, const NDArray& grad) {
  if (view.size() == base.size()) return {grad.reshape(base.shape())};
  const std::int64_t before = view.offset() - base.offset();
  const std::int64_t after = base.size() - before - view.size();
  std::vector<NDArray> pieces;
  if (before > 0) pieces.push_back(nd::zeros({before}, grad.context(), grad.dtype()));
  pieces.push_back(grad.reshape({-1}));
  if (after > 0) pieces.push_back(nd::zeros({after}, grad.context(), grad.dtype()));
  return {nd::concat(pieces, 0).reshape(base.shape())};
}

void record_view(const NDArray& base, NDArray& view) {
  if (!op::is_recording()) return;  // a view taken outside recording is a constant, as any other call's result
  op::record(view.size() == base.size() ? "reshape" : "slice", std::span(&base, 1), std::span(&view, 1),
             [](const op::GradientArgs& args) {
               return view_gradient(args.inputs[0], args.outputs[0], args.output_grads[0]);
             });
}

// Installs the view hook when the autograd library is loaded.
const bool view_hook_installed = [] {
  NDArray::set_view_hook(&record_view);
  return true;
}();

}  // namespace

op::Recorder& graph_recorder() {
  static GraphRecorder* recorder = new GraphRecorder;  // never destroyed: threads may record during exit
  return *recorder;
}

}  // namespace mx::detail
