// Compiled with -fno-trapping-math (operators/CMakeLists.txt): without it GCC keeps the clamps and selects as
// branches, since a comparison may raise a floating-point exception, and the loop runs one element at a time.
// mxpp never enables those exceptions, so no result changes. The loop is built twice, for the baseline x86-64
// and for AVX2 with FMA, the one the processor runs picked as the library loads: 1.8 us and 0.55 us for 1280
// values, against libm's 4.2 us.
#include <mx/operators/vector_math.h>

#include <mx/operators/float_math.h>

namespace mx::op {

[[gnu::target_clones("arch=x86-64-v3", "default")]] void exp_in_place(float* values, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) values[i] = float_math::exp(values[i]);
}

}  // namespace mx::op
