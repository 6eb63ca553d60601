#pragma once
// Floating point to integer as mxpp converts it on the CPU and the GPU alike: truncation toward zero, values
// beyond the integer type's range saturated and NaN to 0. C++ leaves those undefined (x86 gives the type's
// minimum whatever the sign); CUDA's conversions saturate. C++17 and no other header: the .cu files use it.
#include <limits>
#include <type_traits>

namespace mx {

// A float or double truncated toward zero into the integer type To, saturating at its limits, NaN to 0.
template <class To, class From>
constexpr To float_to_integer(From value) {
  static_assert(std::is_floating_point_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool>);
  using Limits = std::numeric_limits<To>;
  // From(min) is 0 or minus a power of two, exact; From(max) is max itself or, where From cannot hold it, the
  // power of two above it. Strictly between them the cast truncates within range (the common case, one test).
  if (value > static_cast<From>(Limits::min()) && value < static_cast<From>(Limits::max())) {
    return static_cast<To>(value);
  }
  if (value != value) return To{0};
  return value > From{0} ? Limits::max() : Limits::min();
}

}  // namespace mx
