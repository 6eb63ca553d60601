#pragma once
// MX_SIMD_CLONES: a loop built for three instruction sets and picked when the library loads (GCC's
// target_clones, through an ifunc). The libraries target baseline x86-64 so that they run on any machine, which
// leaves AVX2 and AVX-512 idle in loops over data in cache: the seed MLP's 800 KB SGD update took 26.5 us on
// SSE2 and 11.8 with AVX-512. The wider copies may contract a * b + c into one fused multiply-add, so such a
// loop can differ in the last bit between an AVX2 machine and an older one; on one machine every call runs the
// same copy. Sanitizer builds (-O0) and other compilers get the one plain version.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define MX_SIMD_CLONES [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]
#else
#define MX_SIMD_CLONES
#endif
