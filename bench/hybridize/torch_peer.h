#pragma once
// libtorch's side of the hybridize benchmark; reports nothing when libtorch is not installed.
#include <optional>
#include <vector>

namespace bench {

// Microseconds per forward of an MLP with these layer widths (ReLU between layers, none after the last) at
// batch 1 in inference (NoGradGuard), on `threads` intra-op threads; `wait_each`: the result is read after each
// call (latency) rather than once at the end. Best of `repeats` runs of `calls` calls.
std::optional<double> torch_forward_us(const std::vector<long>& widths, int threads, int calls, int repeats);

// Milliseconds per ResNet-18 v1 forward at batch 1, 3x224x224, in inference (eval mode, NoGradGuard).
std::optional<double> torch_resnet18_ms(int threads, int calls, int repeats);

// Milliseconds per ResNet-18 training step (forward, cross-entropy, backward, SGD with momentum) at batch 32 on
// 3x32x32 inputs, 10 classes.
std::optional<double> torch_resnet18_train_ms(int threads, int steps, int repeats);

}  // namespace bench
