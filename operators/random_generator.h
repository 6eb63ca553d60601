#pragma once
// The counter-based generator behind every random operator. Each call takes a key (its device's seed and the
// call's number on that device); element i of the call then draws its own sequence of uniforms, a hash of
// (key, i, j). Values depend on the seed and the order of calls on the device only, never on threads or on how a
// kernel is split, and rejection samplers may take as many uniforms per element as they need.
#include <cmath>
#include <cstdint>
#include <numbers>

#include <mx/engine/context.h>
#include <mx/operators/element_rng.h>

namespace mx::op::random {

// The key of the next call's stream on ctx's device.
std::uint64_t next_key(Context ctx);

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
