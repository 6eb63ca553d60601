#pragma once
// MXNet's Executor: a symbol bound to arrays on one context, the engine of MXNet's Module API. forward runs the
// symbol on the bound arguments; backward writes each argument's gradient into its gradient array by its
// grad_req; auxiliary states (BatchNorm's moving statistics) are updated in place by training-mode forwards.
//
//   auto exe = mod::simple_bind(net, cpu(), {{"data", {32, 784}}, {"softmax_label", {32}}});
//   exe.arg_dict()["fc1_weight"] ...;                   // filled by the caller
//   exe.forward(true, {{"data", x}, {"softmax_label", y}});
//   exe.backward();                                      // loss heads need no head gradients
//   exe.grad_dict()["fc1_weight"];
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <mx/graph/symbol.h>
#include <mx/ndarray/grad_req.h>

namespace mx::mod {

class Executor {
 public:
  // The arrays in list_arguments(), list_auxiliary_states() and list_outputs() order; a gradient is empty for
  // an argument whose grad_req is null. Outputs exist after the first forward.
  const std::vector<NDArray>& arg_arrays() const { return state_->args; }
  const std::vector<NDArray>& grad_arrays() const { return state_->grads; }
  const std::vector<NDArray>& aux_arrays() const { return state_->aux; }
  const std::vector<NDArray>& outputs() const { return state_->outputs; }
  std::map<std::string, NDArray> arg_dict() const;
  std::map<std::string, NDArray> grad_dict() const;  // arguments with a gradient only
  std::map<std::string, NDArray> aux_dict() const;
  std::map<std::string, NDArray> output_dict() const;

  // Copies `inputs` (by argument name, any context) into the bound arguments, then computes the outputs: with
  // is_train in training mode (Dropout drops, BatchNorm normalizes by the batch and updates its moving
  // statistics) and recorded for backward, else in predict mode. An unknown name or a shape that differs from
  // the bound one is an mx::Error naming it.
  const std::vector<NDArray>& forward(bool is_train = false, const std::map<std::string, NDArray>& inputs = {});
  // The gradients of the last training forward's outputs with head gradients `out_grads` (one per output, ones
  // when empty; MXNet's loss heads ignore them), written into grad_arrays() by grad_req. mx::Error when the
  // last forward was not a training one.
  void backward(const std::vector<NDArray>& out_grads = {});

  // Copies the given arrays into the bound ones of their names. A name the symbol has no argument (or
  // auxiliary state) of is an error unless allow_extra_params; a shape that differs is an error either way.
  void copy_params_from(const std::map<std::string, NDArray>& arg_params,
                        const std::map<std::string, NDArray>& aux_params = {}, bool allow_extra_params = false);
  // A new executor for new input shapes that shares this one's parameters, gradients and auxiliary states
  // (MXNet's reshape): the shapes are inferred from `shapes` alone, and only the arguments named there may change
  // shape unless partial_shaping, which gives other arguments that change (a label) new zero arrays.
  Executor reshape(const std::map<std::string, Shape>& shapes, bool partial_shaping = false) const;

  const sym::Symbol& symbol() const { return state_->symbol; }
  Context context() const { return state_->ctx; }
  GradReq grad_req(std::size_t argument) const { return state_->reqs.at(argument); }

 private:
  friend Executor bind(const sym::Symbol&, Context, const std::map<std::string, NDArray>&,
                       const std::map<std::string, NDArray>&, const std::map<std::string, GradReq>&,
                       const std::map<std::string, NDArray>&);
  struct State {
    sym::Symbol symbol;
    Context ctx;
    std::vector<std::string> arg_names, aux_names, output_names;
    std::vector<NDArray> args, grads, aux, outputs;
    std::vector<GradReq> reqs;
    // Each variable's array: the argument (or, with aux, auxiliary state) of that number, for forward's lookups.
    struct Slot {
      bool aux;
      std::size_t index;
    };
    std::unordered_map<std::string, Slot> slots;
    bool recorded = false;  // the last forward was a training one
  };
  explicit Executor(std::shared_ptr<State> state) : state_(std::move(state)) {}

  std::shared_ptr<State> state_;
};

// Binds `symbol` to arrays on `ctx`: `args` holds every argument (on any context: copied onto ctx when not
// there), `args_grad` the gradient arrays of those that have one (made, zero, where missing), `aux_states` every
// auxiliary state. grad_req per argument name, `write` for the rest. Missing arguments are an error naming them.
Executor bind(const sym::Symbol& symbol, Context ctx, const std::map<std::string, NDArray>& args,
              const std::map<std::string, NDArray>& args_grad = {}, const std::map<std::string, GradReq>& grad_req = {},
              const std::map<std::string, NDArray>& aux_states = {});

struct SimpleBindOptions {
  GradReq grad_req = GradReq::kWrite;               // for every argument not in grad_reqs
  std::map<std::string, GradReq> grad_reqs = {};    // per argument
  std::map<std::string, DType> type_dict = {};      // float32 for the rest
};
// Binds `symbol` to new zero arrays on `ctx` of the shapes Symbol::infer_shape gives from `shapes` (the inputs'),
// as MXNet's simple_bind. A shape that cannot be inferred is the mx::ShapeError infer_shape raises.
Executor simple_bind(const sym::Symbol& symbol, Context ctx, const std::map<std::string, Shape>& shapes,
                     const SimpleBindOptions& options = {});

}  // namespace mx::mod
