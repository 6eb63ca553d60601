#include "torch_peer.h"

namespace bench {
std::optional<double> torch_scalar_add_ns(int, int) { return std::nullopt; }
std::optional<double> torch_add_seconds(long, int) { return std::nullopt; }
}  // namespace bench
