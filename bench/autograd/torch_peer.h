#pragma once
// libtorch's side of the autograd benchmark; reports nothing when libtorch is not installed.
#include <functional>

namespace bench {

struct MlpShape {
  int batch = 128, in = 784, hidden = 256, out = 10, steps = 469;
  float learning_rate = 0.1f;
};

// A pass of `shape.steps` training steps of the seed MLP on `threads` intra-op threads, with OpenBLAS threaded as
// libtorch has it alone (bench/common/standalone_blas.h); set up, and warmed by one step, once. Each call runs the
// pass and returns its seconds. Empty when libtorch is not installed.
std::function<double()> torch_mlp_pass(const MlpShape& shape, int threads);

}  // namespace bench
