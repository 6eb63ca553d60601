#pragma once
// Random arrays. Each call draws from its own counter-based stream, numbered in call order after the last
// seed: the values depend only on the seed and the order of calls, never on threads or timing.
#include <cstdint>

#include <mx/ndarray/ndarray.h>

namespace mx {
namespace random {
// Restarts every stream: the calls after seed(s) give the same values each run.
void seed(std::uint64_t seed);
}  // namespace random

namespace nd::random {
// Uniform in [low, high).
NDArray uniform(double low, double high, const Shape& shape, Context ctx = cpu(), DType dtype = DType::kFloat32);
// Normal with mean `loc` and standard deviation `scale`.
NDArray normal(double loc, double scale, const Shape& shape, Context ctx = cpu(), DType dtype = DType::kFloat32);
}  // namespace nd::random

}  // namespace mx
