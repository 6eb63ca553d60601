#pragma once
// The gradient of a fused batch normalization, (data, scale, beta) -> (y, two per-channel statistics): its
// backward operator on (data, scale, dy, the statistics), keeping the gradients asked for. Shared by the CPU's
// fused form and cuDNN's. Private to operators/.
#include <span>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/invoke.h>
#include <mx/operators/recording.h>

namespace mx::nd {

template <class P>
std::vector<NDArray> batch_norm_gradient(const op::Operator<P>& backward, const P& params, const op::GradientArgs& args) {
  std::vector<NDArray> grads(3);
  const std::vector<NDArray> inputs = {args.inputs[0], args.inputs[1], args.output_grads[0], args.outputs[1],
                                       args.outputs[2]};
  op::invoke(backward, std::span<const NDArray>(inputs), params, std::span<NDArray>(grads));
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!args.needs_input_grad[i]) grads[i] = NDArray();
  }
  return grads;
}

}  // namespace mx::nd
