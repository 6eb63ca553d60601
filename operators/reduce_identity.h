#pragma once
// What the reductions start from and how a mean ends, shared by the CPU reducers (reduce.cc) and their CUDA twins
// (reduce.cu). C++17, no mxpp types: nvcc compiles it too.
#include <cstdint>
#include <limits>
#include <type_traits>

#include <mx/operators/host_device.h>

namespace mx::op {

// max starts from -inf in floating accumulators, not from the lowest finite value (the max of infinities is
// infinite), and integers from their own limits; min the other way round.
template <class A>
MX_HOST_DEVICE constexpr A max_identity() {
  if constexpr (std::numeric_limits<A>::has_infinity) return -std::numeric_limits<A>::infinity();
  else return std::numeric_limits<A>::lowest();
}
template <class A>
MX_HOST_DEVICE constexpr A min_identity() {
  if constexpr (std::numeric_limits<A>::has_infinity) return std::numeric_limits<A>::infinity();
  else return std::numeric_limits<A>::max();
}

// The mean of `n` values summing to `sum`. The mean of nothing is 0 / 0: NaN in floating types, as NumPy's and
// PyTorch's; 0 in integer ones.
template <class A>
MX_HOST_DEVICE A mean_of(A sum, std::int64_t n) {
  if constexpr (std::is_floating_point_v<A>) return sum / static_cast<A>(n);
  else return n ? sum / static_cast<A>(n) : sum;
}

}  // namespace mx::op
