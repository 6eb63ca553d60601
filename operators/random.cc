// _random_uniform and _random_normal on a counter-based generator: element i of a call's stream is a hash of
// (seed, stream, i), so a kernel can be split across workers and still give the same values.
#include <atomic>
#include <cmath>
#include <numbers>
#include <string>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/random.h>

namespace mx {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

std::atomic<std::uint64_t> g_seed{0};
std::atomic<std::uint64_t> g_next_stream{0};

// SplitMix64's finalizer: a bijection with good avalanche, so consecutive counters give independent bits.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A double in [0, 1) from 53 random bits.
double unit(std::uint64_t key, std::uint64_t counter) {
  return static_cast<double>(mix(key + mix(counter)) >> 11) * 0x1.0p-53;
}

struct RandomParams {
  double a = 0, b = 1;  // low and high, or loc and scale
  Shape shape;
  DType dtype = DType::kFloat32;
  std::uint64_t key = 0;  // seed and stream, fixed at the call
};

std::uint64_t next_key() {
  const std::uint64_t stream = g_next_stream.fetch_add(1, std::memory_order_relaxed);
  return mix(g_seed.load(std::memory_order_relaxed) * 0x9E3779B97F4A7C15ull + stream);
}

void infer_random(const RandomParams& p, std::span<const ArrayInfo>, std::span<ArrayInfo> out) {
  if (!is_floating(p.dtype)) throw DTypeError(std::string("random: ") + dtype_name(p.dtype) + " is not a floating dtype");
  for (std::int64_t extent : p.shape) {
    if (extent < 0) throw ShapeError("random: negative extent in shape " + p.shape.str());
  }
  out[0] = {p.shape, p.dtype};
}

template <bool kNormal>
void random_cpu(const RandomParams& p, std::span<const Blob>, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    T* y = out[0].ptr<T>();
    op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const auto counter = static_cast<std::uint64_t>(i);
        double value;
        if constexpr (kNormal) {  // Box-Muller, one value per element from its own pair of uniforms
          const double u1 = 1.0 - unit(p.key, 2 * counter), u2 = unit(p.key, 2 * counter + 1);
          value = p.a + p.b * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
        } else {
          value = p.a + (p.b - p.a) * unit(p.key, counter);
        }
        y[i] = convert_value<T>(value);
      }
    });
  });
}

const op::Operator<RandomParams> kUniform = op::define<RandomParams>(
    {.name = "_random_uniform", .num_inputs = 0, .infer = &infer_random, .cpu = &random_cpu<false>});
const op::Operator<RandomParams> kNormal = op::define<RandomParams>(
    {.name = "_random_normal", .num_inputs = 0, .infer = &infer_random, .cpu = &random_cpu<true>});

}  // namespace

namespace random {
void seed(std::uint64_t seed) {
  g_seed.store(seed, std::memory_order_relaxed);
  g_next_stream.store(0, std::memory_order_relaxed);
}
}  // namespace random

namespace nd::random {

NDArray uniform(double low, double high, const Shape& shape, Context ctx, DType dtype) {
  if (!(low <= high)) throw Error("uniform: low " + std::to_string(low) + " exceeds high " + std::to_string(high));
  return op::invoke1(kUniform, {}, RandomParams{low, high, shape, dtype, next_key()}, ctx);
}

NDArray normal(double loc, double scale, const Shape& shape, Context ctx, DType dtype) {
  if (!(scale >= 0)) throw Error("normal: scale must not be negative, got " + std::to_string(scale));
  return op::invoke1(kNormal, {}, RandomParams{loc, scale, shape, dtype, next_key()}, ctx);
}

}  // namespace nd::random
}  // namespace mx
