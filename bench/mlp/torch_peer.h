#pragma once
// libtorch's side of the MLP benchmark; reports nothing when libtorch is not installed.
#include <optional>
#include <vector>

namespace bench {

// Seconds for one epoch of the seed MLP (784-256-10, SGD 0.1, softmax cross-entropy averaged per batch as
// torch's CrossEntropyLoss) over preloaded images `x` (n * 784 floats, normalized) and labels `y`, batch 128,
// on `threads` intra-op threads: the best of `repeats` epochs.
std::optional<double> torch_epoch_seconds(const std::vector<float>& x, const std::vector<float>& y, int threads,
                                          int repeats);

}  // namespace bench
