#pragma once
// The counter-based generator behind every random operator. Each call takes a key (its device's seed and the
// call's number on that device); element i of the call then draws its own sequence of uniforms, a hash of
// (key, i, j). Values depend on the seed and the order of calls on the device only, never on threads or on how a
// kernel is split, and rejection samplers may take as many uniforms per element as they need.
#include <cmath>
#include <cstdint>
#include <numbers>

#include <mx/engine/context.h>

namespace mx::op::random {

// SplitMix64's finalizer: a bijection with good avalanche, so consecutive counters give independent bits.
inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The key of the next call's stream on ctx's device.
std::uint64_t next_key(Context ctx);

class ElementRng {
 public:
  ElementRng(std::uint64_t key, std::uint64_t element) : base_(key + mix(element)) {}
  // In [0, 1), from 53 random bits.
  double uniform() { return static_cast<double>(mix(base_ + 0x9E3779B97F4A7C15ull * draws_++) >> 11) * 0x1.0p-53; }
  // In (0, 1]: safe under log.
  double positive_uniform() { return 1.0 - uniform(); }
  // Standard normal, by Box-Muller (one value from each pair of uniforms).
  double normal() {
    const double radius = std::sqrt(-2.0 * std::log(positive_uniform()));
    return radius * std::cos(2.0 * std::numbers::pi * uniform());
  }

 private:
  std::uint64_t base_;
  std::uint64_t draws_ = 0;
};

// The distributions with (at most) two real parameters, a and b:
enum class Distribution {
  kUniform,           // [a, b)
  kNormal,            // mean a, standard deviation b
  kExponential,       // scale a (mean a)
  kGamma,             // shape a, scale b
  kPoisson,           // rate a
  kNegativeBinomial,  // failures before a successes of probability b
  kCauchy,            // median a, scale b
  kGeometric,         // trials up to the first success of probability a (1, 2, ...)
  kBernoulli,         // 1 with probability a
  kRandint,           // integers in [a, b)
};

// One draw.
double draw(Distribution d, double a, double b, ElementRng& rng);

}  // namespace mx::op::random
