#pragma once
// libtorch's side of the operator benchmark; reports nothing when libtorch is not installed.
#include <optional>

namespace bench {

// Seconds per forward+backward of LeNet's convolutions (batch 128, 1x28x28 -> 20 5x5 -> max pool 2 -> 50 5x5 ->
// max pool 2), the best of `repeats` runs of `steps`.
std::optional<double> torch_lenet_seconds(int steps, int repeats);
// Seconds per forward+backward of a ResNet basic block (64 channels, 56x56, batch 32: conv3x3, batch-norm-free
// relu, conv3x3, residual add, relu).
std::optional<double> torch_resblock_seconds(int steps, int repeats);

}  // namespace bench
