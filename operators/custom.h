#pragma once
// Custom operators registered at run time (MXNet's mx.operator.register and nd.Custom). A definition names its
// inputs and outputs, infers the outputs' shapes and dtypes, and gives forward and backward either over NDArrays
// or over raw host buffers:
//
//   custom::register_operator("softplus", {
//       .forward = [](const custom::Call&, std::span<const NDArray> in) {
//         return std::vector<NDArray>{nd::log1p(nd::exp(in[0]))};
//       },
//       .backward = [](const custom::Call&, std::span<const NDArray> out_grads, std::span<const NDArray> in,
//                      std::span<const NDArray>) {
//         return std::vector<NDArray>{out_grads[0] * nd::sigmoid(in[0])};
//       }});
//   NDArray y = nd::custom(x, "softplus");
//
// Over NDArrays, forward runs on the calling thread and composes operators, each pushed into the engine with its
// reads and writes; backward likewise, so it can itself be recorded (higher-order gradients). Over host buffers,
// forward is one engine operation on a CPU worker reading the inputs and writing the outputs, and backward
// another. Either way the call is recorded by autograd as one operator, and what forward throws surfaces at the
// next sync point on the outputs; bad inputs (count, shapes the inference rejects) throw at the call.
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <mx/ndarray/blob.h>
#include <mx/ndarray/ndarray.h>

namespace mx::custom {

// A call's keyword arguments, as strings (MXNet passes them so).
using Params = std::map<std::string, std::string>;

// What forward and backward are told of the call.
struct Call {
  const std::string& op_type;
  const Params& params;
  bool training;  // autograd's training mode at the call (MXNet's is_train)
  Context ctx;
};

using NDArrayForward = std::function<std::vector<NDArray>(const Call&, std::span<const NDArray> inputs)>;
// The inputs' gradients (one per input; an empty handle is a zero gradient).
using NDArrayBackward = std::function<std::vector<NDArray>(
    const Call&, std::span<const NDArray> out_grads, std::span<const NDArray> inputs, std::span<const NDArray> outputs)>;
// Writes the outputs; runs on an engine worker, so it must not wait on other operations.
using HostForward = std::function<void(const Call&, std::span<const Blob> inputs, std::span<const Blob> outputs)>;
// Writes in_grads (one per input, of the inputs' shapes and dtypes).
using HostBackward = std::function<void(const Call&, std::span<const Blob> out_grads, std::span<const Blob> inputs,
                                        std::span<const Blob> outputs, std::span<const Blob> in_grads)>;

struct Definition {
  std::vector<std::string> inputs = {"data"};     // MXNet's list_arguments
  std::vector<std::string> outputs = {"output"};  // MXNet's list_outputs
  // The outputs' shapes and dtypes from the inputs'; unset: every output as the first input. May throw
  // mx::ShapeError / mx::DTypeError for inputs the operator does not take.
  std::function<std::vector<Shape>(std::span<const Shape> inputs, const Params&)> infer_shape;
  std::function<std::vector<DType>(std::span<const DType> inputs, const Params&)> infer_type;
  // Exactly one forward; at most one backward (none: the outputs are constants to autograd).
  NDArrayForward forward;
  HostForward forward_host;
  NDArrayBackward backward;
  HostBackward backward_host;
};

// Registers `op_type`; mx::Error when the name is taken or the definition is incomplete.
void register_operator(const std::string& op_type, Definition definition);
bool is_registered(const std::string& op_type);
// Registered names, sorted.
std::vector<std::string> list_operators();

}  // namespace mx::custom

namespace mx::nd {

// Runs the custom operator `op_type` (mx::Error naming it when none is registered under that name).
std::vector<NDArray> custom(const std::vector<NDArray>& inputs, const std::string& op_type,
                            const custom::Params& params = {});
// One input, first output: MXNet's nd.Custom(x, op_type='...').
NDArray custom(const NDArray& x, const std::string& op_type, const custom::Params& params = {});

}  // namespace mx::nd
