#pragma once
// float32 products on oneDNN's JIT kernels. oneDNN (Debian's libdnnl, the library MXNet ran its CPU operators
// on as MKL-DNN) generates its gemm for the CPU's widest vector unit; at the seed MLP's sizes it multiplies
// 15-20% faster than OpenBLAS's AVX-512 kernels on one core. OpenBLAS keeps small products (its small-matrix
// kernels need no packing) and float64. MX_CPU_SGEMM=openblas sends every float32 product to OpenBLAS.
#include <cstdint>
#include <string>

namespace mx::op {

enum class SgemmLibrary { kOneDnn, kOpenBlas };

// MX_CPU_SGEMM's value, read once: `onednn` (default) or `openblas`.
SgemmLibrary sgemm_library();
// One value of MX_CPU_SGEMM (empty: the default); anything else is an mx::Error naming the variable.
SgemmLibrary parse_sgemm_library(const std::string& value);

// "oneDNN 2.6.3 (avx512_core_amx)" or "OpenBLAS": what multiplies float32 matrices, for benchmarks to report.
std::string sgemm_library_name();

// Row-major C = alpha op(A) op(B) + beta C on the calling thread alone (oneDNN's OpenMP runtime is kept to one
// thread for the call: the engine's workers split products between them). Throws mx::Error if oneDNN fails.
void onednn_sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                  std::int64_t ldc);

}  // namespace mx::op
