// Compiled with -fno-trapping-math (operators/CMakeLists.txt): without it GCC keeps the clamps and selects as
// branches, since a comparison may raise a floating-point exception, and the loop runs one element at a time.
// mxpp never enables those exceptions, so no result changes. The loop is built twice, for the baseline x86-64
// and for AVX2 with FMA, the one the processor runs picked as the library loads: 1.8 us and 0.55 us for 1280
// values, against libm's 4.2 us.
#include <mx/operators/vector_math.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace mx::op {
namespace {

// Cephes' expf: exp(x) = 2^n exp(r), n = round(x / ln 2), |r| <= ln 2 / 2, exp(r) by a polynomial; ln 2 split
// in two so that x - n ln 2 loses no bits. Branch-free, so that the loop over it vectorizes.
inline float exp_one(float x) {
  constexpr float kLog2e = 1.44269504088896341f, kLn2High = 0.693359375f, kLn2Low = -2.12194440e-4f;
  constexpr float kMin = -87.3365447f, kMax = 88.7228394f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer held in the low bits
  const float clamped = std::min(std::max(x, kMin), kMax);  // NaN passes through both
  const float shifted = clamped * kLog2e + kRound;
  const float n = shifted - kRound;
  const float r = clamped - n * kLn2High - n * kLn2Low;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n as 2^h 2^(n-h), h = n/2: n runs from -126 to 128, one past the largest exponent, and both halves stay
  // normal numbers.
  const std::int32_t n_bits = std::bit_cast<std::int32_t>(shifted) - std::bit_cast<std::int32_t>(kRound);
  const std::int32_t half = n_bits >> 1;
  const auto power = [](std::int32_t e) { return std::bit_cast<float>((e + 127) << 23); };
  const float value = p * power(half) * power(n_bits - half);
  return std::isless(x, kMin) ? 0.0f : (std::isgreater(x, kMax) ? std::numeric_limits<float>::infinity() : value);
}

}  // namespace

[[gnu::target_clones("arch=x86-64-v3", "default")]] void exp_in_place(float* values, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) values[i] = exp_one(values[i]);
}

}  // namespace mx::op
