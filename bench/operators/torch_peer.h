#pragma once
// libtorch's side of the operator benchmark: passes set up once, each call timing one pass and returning
// seconds per step (bench/common/interleaved.h). Empty when libtorch is not installed.
#include <functional>

namespace bench {

// Forward+backward of LeNet's convolutions (batch 128, 1x28x28 -> 20 5x5 -> max pool 2 -> 50 5x5 -> max pool 2).
std::function<double()> torch_lenet_pass(int steps);
// Forward+backward of a ResNet basic block (64 channels, 56x56, batch 32: conv3x3, batch-norm-free relu,
// conv3x3, residual add, relu).
std::function<double()> torch_resblock_pass(int steps);

}  // namespace bench
