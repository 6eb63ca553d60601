#pragma once
// 16-bit floating-point storage types: IEEE binary16 (float16) and bfloat16. Arithmetic happens in float;
// conversions from float round to nearest, ties to even, as hardware does.
#include <bit>
#include <cstdint>

namespace mx {

namespace detail {

constexpr std::uint16_t float_to_half_bits(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));  // NaN
  if (abs >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65520 rounds to infinity
  if (abs < 0x38800000u) {  // below 2^-14: a subnormal half, in units of 2^-24
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);  // at most 2^-25: rounds to zero
    const std::uint32_t mantissa = (abs & 0x7FFFFFu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);
    std::uint32_t half = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = (((abs >> 23) - 112u) << 10) | ((abs >> 13) & 0x3FFu);
  const std::uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // a carry moves into the exponent: right
  return static_cast<std::uint16_t>(sign | half);
}

constexpr float half_bits_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1Fu, mantissa = bits & 0x3FFu;
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  const float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);  // subnormal: mantissa * 2^-24
  return sign ? -magnitude : magnitude;
}

constexpr std::uint16_t float_to_bfloat16_bits(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  return static_cast<std::uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

constexpr float bfloat16_bits_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

// A 16-bit float stored as bits, converted through float by the given pair of functions.
template <std::uint16_t (*kToBits)(float), float (*kToFloat)(std::uint16_t)>
struct Float16Storage {
  std::uint16_t bits = 0;
  constexpr Float16Storage() = default;
  constexpr Float16Storage(float value) : bits(kToBits(value)) {}
  constexpr operator float() const { return kToFloat(bits); }
  static constexpr Float16Storage from_bits(std::uint16_t b) {
    Float16Storage h;
    h.bits = b;
    return h;
  }
};

}  // namespace detail

using float16 = detail::Float16Storage<&detail::float_to_half_bits, &detail::half_bits_to_float>;
using bfloat16 = detail::Float16Storage<&detail::float_to_bfloat16_bits, &detail::bfloat16_bits_to_float>;

}  // namespace mx
