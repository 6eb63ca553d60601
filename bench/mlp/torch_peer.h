#pragma once
// libtorch's side of the MLP benchmark; reports nothing when libtorch is not installed.
#include <functional>
#include <vector>

namespace bench {

// One epoch of the seed MLP (784-256-10, SGD 0.1, softmax cross-entropy averaged per batch as torch's
// CrossEntropyLoss) over preloaded images `x` (n * 784 floats, normalized) and labels `y`, batch 128, on `threads`
// intra-op threads with OpenBLAS threaded as libtorch has it alone; set up once, each call runs an epoch and
// returns its seconds (bench/common/interleaved.h). Empty when libtorch is not installed.
std::function<double()> torch_epoch_pass(const std::vector<float>& x, const std::vector<float>& y, int threads);

}  // namespace bench
