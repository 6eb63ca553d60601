#pragma once
// The operator registry. Each operator is declared once, as an Operator<Params>: its name, arity, shape and
// dtype inference, and its compute function per device. The nd:: functions call it through op::invoke, which
// validates at the call and pushes the computation into the engine.
#include <array>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <mx/engine/engine.h>
#include <mx/ndarray/blob.h>
#include <mx/ndarray/dtype.h>
#include <mx/ndarray/shape.h>
#include <mx/operators/recording.h>
#include <mx/operators/symbolic.h>

namespace mx::op {

// What inference sees of an input and decides for an output.
struct ArrayInfo {
  Shape shape;
  DType dtype = DType::kFloat32;
};

// Handed to compute functions: where the operation runs (the stream, on a GPU).
struct ComputeContext {
  engine::RunContext run;
  bool training = false;  // the caller's autograd training mode at the call
};

inline constexpr int kVariadic = -1;

// Inference throws mx::ShapeError or mx::DTypeError naming the operator and the shapes; compute functions run on
// an engine worker, and what they throw surfaces at the next sync point on their outputs.
template <class P>
struct Operator {
  const char* name;
  int num_inputs = 1;   // or kVariadic
  int num_outputs = 1;  // for a fixed count; see count_outputs
  void (*infer)(const P& params, std::span<const ArrayInfo> inputs, std::span<ArrayInfo> outputs) = nullptr;
  void (*cpu)(const P& params, std::span<const Blob> inputs, std::span<const Blob> outputs,
              const ComputeContext& ctx) = nullptr;
  void (*gpu)(const P& params, std::span<const Blob> inputs, std::span<const Blob> outputs,
              const ComputeContext& ctx) = nullptr;
  int (*count_outputs)(const P& params, int num_inputs) = nullptr;  // when the output count is a parameter
  // The inputs' gradients from the outputs', built from other operators so that it can itself be recorded.
  // nullptr: the operator is not differentiable and its outputs are constants to autograd.
  std::vector<NDArray> (*gradient)(const P& params, const GradientArgs& args) = nullptr;
  // The symbol form (symbolic.h), for operators whose parameters are not empty: the parameters as MXNet's
  // attributes, and back. Without them the operator cannot be exported or called from a symbol file.
  void (*to_attrs)(const P& params, int num_inputs, Attrs& attrs) = nullptr;
  P (*from_attrs)(AttrReader& attrs, int num_inputs) = nullptr;
  // MXNet's names of the inputs ("data", "weight", "bias"): sym::invoke names the variables it makes for inputs
  // not given after them ("fc1_weight", "softmax_label").
  std::array<const char*, 4> input_names{};
};

// The registry's record of an operator, whatever its parameters.
struct OpInfo {
  std::string name;
  int num_inputs;
  bool has_gpu;
  bool differentiable;
};

// Records an operator under its name; throws mx::Error when the name is taken. Returns `op`, so that
// definitions read `const Operator<P> kAdd = op::define<P>({...});`.
void register_operator(OpInfo info);
// The call by name and attributes (invoke.h).
template <class P>
SymbolOp symbol_form(const Operator<P>& op);
template <class P>
Operator<P> define(Operator<P> op) {
  register_operator({op.name, op.num_inputs, op.gpu != nullptr, op.gradient != nullptr});
  if (std::is_empty_v<P> || op.from_attrs != nullptr) register_symbol_op(op.name, symbol_form(op));
  return op;
}

// Every registered operator, sorted by name.
std::vector<OpInfo> list_operators();
// nullptr when no operator has that name.
const OpInfo* find_operator(const std::string& name);

}  // namespace mx::op
