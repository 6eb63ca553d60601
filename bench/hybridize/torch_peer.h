#pragma once
// libtorch's side of the hybridize benchmark: passes set up once, each call timing one pass (bench/common/
// interleaved.h), on `threads` intra-op threads with OpenBLAS threaded as libtorch has it alone. Empty when
// libtorch is not installed.
#include <functional>
#include <vector>

namespace bench {

// Microseconds per forward of an MLP with these layer widths (ReLU between layers, none after the last) at
// batch 1 in inference (NoGradGuard), the result read after each of `calls` calls.
std::function<double()> torch_forward_pass(const std::vector<long>& widths, int threads, int calls);

// Milliseconds per ResNet-18 v1 forward at batch 1, 3x224x224, in inference (eval mode, NoGradGuard).
std::function<double()> torch_resnet18_pass(int threads, int calls);

// Milliseconds per ResNet-18 training step (forward, cross-entropy, backward, SGD with momentum) at batch 32 on
// 3x32x32 inputs, 10 classes.
std::function<double()> torch_resnet18_train_pass(int threads, int steps);

}  // namespace bench
