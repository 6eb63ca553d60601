// The per-device streams and the samplers of each distribution.
#include <mx/operators/random_generator.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include <mx/operators/random.h>

namespace mx::op::random {
namespace {

struct DeviceStreams {
  std::uint64_t seed = 0;
  std::uint64_t next_stream = 0;
};

std::mutex g_mutex;
std::map<std::pair<int, int>, DeviceStreams>& streams() {
  static std::map<std::pair<int, int>, DeviceStreams> by_device;
  return by_device;
}
std::uint64_t g_default_seed = 0;  // for devices first used after seed(s)

std::pair<int, int> device_of(Context ctx) {
  // Pinned host memory is the CPU's generator.
  const DeviceType type = ctx.dev_type == DeviceType::kCPUPinned ? DeviceType::kCPU : ctx.dev_type;
  return {static_cast<int>(type), ctx.dev_id};
}

// Marsaglia and Tsang's method for shape >= 1; shape < 1 boosts to shape + 1 and scales by u^(1/shape).
double gamma(double shape, ElementRng& rng) {
  if (shape < 1) return gamma(shape + 1, rng) * std::pow(rng.positive_uniform(), 1 / shape);
  const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.positive_uniform();
    if (u < 1 - 0.0331 * x * x * x * x || std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
  }
}

// Knuth's product of uniforms for small rates; Hormann's PTRS transformed rejection (as NumPy's) above.
double poisson(double rate, ElementRng& rng) {
  if (rate <= 0) return 0;
  if (rate < 10) {
    const double limit = std::exp(-rate);
    double product = rng.uniform();
    double k = 0;
    while (product > limit) {
      product *= rng.uniform();
      ++k;
    }
    return k;
  }
  const double slam = std::sqrt(rate), loglam = std::log(rate);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = rng.uniform() - 0.5, v = rng.uniform();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2 * a / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <= -rate + k * loglam - std::lgamma(k + 1)) {
      return k;
    }
  }
}

}  // namespace

std::uint64_t next_key(Context ctx) {
  std::lock_guard lock(g_mutex);
  auto [it, inserted] = streams().try_emplace(device_of(ctx));
  if (inserted) it->second.seed = g_default_seed;
  DeviceStreams& s = it->second;
  const std::uint64_t device = static_cast<std::uint64_t>(it->first.first) << 32 | static_cast<std::uint32_t>(it->first.second);
  return mix(s.seed * 0x9E3779B97F4A7C15ull + mix(device) + s.next_stream++);
}

double draw(Distribution d, double a, double b, ElementRng& rng) {
  switch (d) {
    case Distribution::kUniform: return a + (b - a) * rng.uniform();
    case Distribution::kNormal: return a + b * rng.normal();
    case Distribution::kExponential: return -a * std::log(rng.positive_uniform());
    case Distribution::kGamma: return b * gamma(a, rng);
    case Distribution::kPoisson: return poisson(a, rng);
    case Distribution::kNegativeBinomial:  // a Poisson whose rate is gamma distributed
      return b >= 1 ? 0 : poisson(gamma(a, rng) * (1 - b) / b, rng);
    case Distribution::kCauchy: return a + b * std::tan(std::numbers::pi * (rng.uniform() - 0.5));
    case Distribution::kGeometric:
      return a >= 1 ? 1 : std::max(1.0, std::ceil(std::log(rng.positive_uniform()) / std::log1p(-a)));
    case Distribution::kBernoulli: return rng.uniform() < a ? 1 : 0;
    case Distribution::kRandint: return std::min(b - 1, std::floor(a + (b - a) * rng.uniform()));
  }
  return 0;
}

}  // namespace mx::op::random

namespace mx::random {

void seed(std::uint64_t seed) {
  std::lock_guard lock(op::random::g_mutex);
  op::random::g_default_seed = seed;
  op::random::streams().clear();
}

void seed(std::uint64_t seed, Context ctx) {
  std::lock_guard lock(op::random::g_mutex);
  op::random::streams()[op::random::device_of(ctx)] = {seed, 0};
}

}  // namespace mx::random
