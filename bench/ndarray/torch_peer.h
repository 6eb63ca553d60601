#pragma once
// libtorch's side of the NDArray benchmark; reports nothing when libtorch is not installed.
#include <optional>

namespace bench {
// ns per `y = x + 1` on a one-element float tensor, the best of `repeats` runs of `ops` operations.
std::optional<double> torch_scalar_add_ns(int ops, int repeats);
// Seconds per `c = a + b` on n floats, the best of `repeats`.
std::optional<double> torch_add_seconds(long n, int repeats);
}  // namespace bench
