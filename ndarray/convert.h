#pragma once
// Element conversion between dtypes, as NumPy's astype does it: floats to integers truncate toward zero, any
// nonzero value becomes true; floats beyond an integer type's range saturate and NaN becomes 0, as on the GPU
// (float_to_integer.h).
#include <cstddef>
#include <type_traits>

#include <mx/ndarray/dtype.h>
#include <mx/ndarray/float_to_integer.h>

namespace mx {

// Converts `count` elements of `src_dtype` at `src` to `dst_dtype` at `dst`. The ranges must not overlap.
void convert_values(const void* src, DType src_dtype, void* dst, DType dst_dtype, std::size_t count);

// One value converted to T: static_cast semantics, floats to integers by float_to_integer, 16-bit floats
// through float.
template <class To, class From>
constexpr To convert_value(From value) {
  constexpr bool kFromHalf = std::is_same_v<From, float16> || std::is_same_v<From, bfloat16>;
  if constexpr (std::is_same_v<To, bool>) {
    if constexpr (kFromHalf) {
      return static_cast<float>(value) != 0.0f;
    } else {
      return value != From{};  // in From itself: a double of 1e-50 is true, though it would be 0 as a float
    }
  } else if constexpr (std::is_same_v<To, float16> || std::is_same_v<To, bfloat16>) {
    return To(static_cast<float>(value));
  } else if constexpr (std::is_integral_v<To> && kFromHalf) {
    return float_to_integer<To>(static_cast<float>(value));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    return float_to_integer<To>(value);
  } else if constexpr (kFromHalf) {
    return static_cast<To>(static_cast<float>(value));
  } else {
    return static_cast<To>(value);
  }
}

}  // namespace mx
