#pragma once
// Row-major matrix products on OpenBLAS, split across the engine's CPU workers. OpenBLAS runs single-threaded
// inside mxpp (blas_setup.h): the engine's workers are the only threads computing, so BLAS threads and workers
// together never exceed the cores.
#include <cstdint>

#include <mx/ndarray/blob.h>

namespace mx::op {

// C = alpha * op(A) * op(B) + beta * C for row-major matrices, op(X) = X or its transpose; C is m x n, the inner
// extent k. float, double, and 16-bit floats (computed in float); other dtypes throw mx::DTypeError.
struct GemmArgs {
  bool trans_a = false, trans_b = false;
  std::int64_t m = 0, n = 0, k = 0;
  double alpha = 1, beta = 0;
  // float and double only: C starts as this n-vector on every row instead of beta * C (a layer's bias, written
  // by each worker into its own slice just before its product, while the slice is in its cache).
  const void* row_bias = nullptr;
  // float and double only: when set, also the sums of op(A)'s rows, an m-vector (a layer's bias gradient beside
  // its weight gradient), each taken by the worker that multiplies those rows, from the cache the product filled.
  void* a_row_sums = nullptr;
};
void gemm(const GemmArgs& args, DType dtype, const void* a, const void* b, void* c);

// `batch` independent products, the i-th reading a + i*stride_a... (strides in elements).
void batched_gemm(const GemmArgs& args, DType dtype, std::int64_t batch, const void* a, std::int64_t stride_a,
                  const void* b, std::int64_t stride_b, void* c, std::int64_t stride_c);

// Whether gemm supports `dtype`.
bool gemm_supports(DType dtype);

}  // namespace mx::op
