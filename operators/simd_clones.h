#pragma once
// Kernel loops built for three instruction sets and picked when the library loads (GCC's target_clones, through
// an ifunc). The library itself targets baseline x86-64 so that it runs on any machine, which leaves AVX2 and
// AVX-512 idle in loops over data in cache: the seed MLP's 800 KB SGD update took 26.5 us on SSE2 and 11.8 with
// AVX-512. The wider copies may contract a * b + c into one fused multiply-add, so such a kernel can differ in
// the last bit between an AVX2 machine and an older one (as exp_in_place's AVX2 copy does); on one machine every
// call runs the same copy. Sanitizer builds (-O0) and other compilers get the one plain version.
#include <cstdint>
#include <type_traits>

#include <mx/operators/parallel.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define MX_SIMD_CLONES [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]
#else
#define MX_SIMD_CLONES
#endif

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
