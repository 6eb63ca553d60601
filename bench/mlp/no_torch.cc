// Built when libtorch-dev is missing: the benchmark prints mxpp's figures alone.
#include "torch_peer.h"

namespace bench {
std::function<double()> torch_epoch_pass(const std::vector<float>&, const std::vector<float>&, int) { return {}; }
}  // namespace bench
