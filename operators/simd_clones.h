#pragma once
// Kernel loops built for three instruction sets (MX_SIMD_CLONES, mx/ndarray/target_clones.h). exp_in_place's
// AVX2 copy contracts a * b + c into one fused multiply-add, so it can differ in the last bit from an older
// machine's.
#include <cstdint>
#include <type_traits>

#include <mx/ndarray/target_clones.h>
#include <mx/operators/parallel.h>

namespace mx::op {

// body(begin, end), inlined into one copy per instruction set.
template <class Body>
MX_SIMD_CLONES void run_simd(std::int64_t begin, std::int64_t end, const Body& body) {
  body(begin, end);
}

// parallel_for for loops over elements of type T: floating types (where the wider vectors pay and the code is
// worth three copies) run their pieces through run_simd.
template <class T, class Body>
void parallel_for_simd(std::int64_t n, const Body& body, std::int64_t grain = kParallelGrain) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    parallel_for(n, [&](std::int64_t begin, std::int64_t end) { run_simd(begin, end, body); }, grain);
  } else {
    parallel_for(n, body, grain);
  }
}

}  // namespace mx::op
