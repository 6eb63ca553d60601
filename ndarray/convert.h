#pragma once
// Element conversion between dtypes, as NumPy's astype does it: floats to integers truncate toward zero, any
// nonzero value becomes true.
#include <cstddef>
#include <type_traits>

#include <mx/ndarray/dtype.h>

namespace mx {

// Converts `count` elements of `src_dtype` at `src` to `dst_dtype` at `dst`. The ranges must not overlap.
void convert_values(const void* src, DType src_dtype, void* dst, DType dst_dtype, std::size_t count);

// One value converted to T (static_cast semantics; 16-bit floats through float).
template <class To, class From>
constexpr To convert_value(From value) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<float>(value) != 0.0f;
  } else if constexpr (std::is_same_v<To, float16> || std::is_same_v<To, bfloat16>) {
    return To(static_cast<float>(value));
  } else if constexpr (std::is_same_v<From, float16> || std::is_same_v<From, bfloat16>) {
    return static_cast<To>(static_cast<float>(value));
  } else {
    return static_cast<To>(value);
  }
}

}  // namespace mx
