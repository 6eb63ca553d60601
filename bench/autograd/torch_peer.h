#pragma once
// libtorch's side of the autograd benchmark; reports nothing when libtorch is not installed.
#include <optional>

namespace bench {

struct MlpShape {
  int batch = 128, in = 784, hidden = 256, out = 10, steps = 469;
  float learning_rate = 0.1f;
};

// Seconds for `shape.steps` training steps of the seed MLP on `threads` intra-op threads (the best of `repeats`).
std::optional<double> torch_mlp_seconds(const MlpShape& shape, int threads, int repeats);

}  // namespace bench
