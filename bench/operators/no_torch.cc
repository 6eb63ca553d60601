// Built when libtorch-dev is missing: the benchmark prints mxpp's figures alone.
#include "torch_peer.h"

namespace bench {
std::optional<double> torch_lenet_seconds(int, int) { return std::nullopt; }
std::optional<double> torch_resblock_seconds(int, int) { return std::nullopt; }
}  // namespace bench
