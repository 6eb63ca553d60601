#pragma once
// The per-element generator of random_generator.h, shared with the CUDA kernels (random.cu) so that a call
// draws the same values on either device: element i of a call with key k draws a hash of (k, i, j).
// C++17, no mxpp types: nvcc compiles it too.
#include <cmath>
#include <cstdint>

#include <mx/operators/host_device.h>

namespace mx::op::random {

// SplitMix64's finalizer: a bijection with good avalanche, so consecutive counters give independent bits.
MX_HOST_DEVICE inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class ElementRng {
 public:
  MX_HOST_DEVICE ElementRng(std::uint64_t key, std::uint64_t element) : base_(key + mix(element)) {}
  // In [0, 1), from 53 random bits.
  MX_HOST_DEVICE double uniform() {
    return static_cast<double>(mix(base_ + 0x9E3779B97F4A7C15ull * draws_++) >> 11) * 0x1.0p-53;
  }
  // In (0, 1]: safe under log.
  MX_HOST_DEVICE double positive_uniform() { return 1.0 - uniform(); }
  // Standard normal, by Box-Muller (one value from each pair of uniforms).
  MX_HOST_DEVICE double normal() {
    const double radius = std::sqrt(-2.0 * std::log(positive_uniform()));
    return radius * std::cos(2.0 * 3.14159265358979323846 * uniform());
  }

 private:
  std::uint64_t base_;
  std::uint64_t draws_ = 0;
};

}  // namespace mx::op::random
