#include <mx/operators/gpu_blas.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <array>
#include <string>

#include <mx/engine/env.h>
#include <mx/ndarray/error.h>

namespace mx::op::gpu {
namespace {

void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw Error(std::string(what) + ": " + cublasGetStatusName(status) + ": " + cublasGetStatusString(status));
  }
}

// One handle per engine worker thread and device (a worker serves one stream; the stream is set per call).
// Never destroyed: worker threads may outlive the CUDA context at exit.
cublasHandle_t handle_for(void* stream) {
  int device = 0;
  cudaGetDevice(&device);
  thread_local std::array<cublasHandle_t, 16> handles{};
  cublasHandle_t& handle = handles.at(static_cast<std::size_t>(device));
  if (handle == nullptr) check(cublasCreate(&handle), "cublasCreate");
  check(cublasSetStream(handle, static_cast<cudaStream_t>(stream)), "cublasSetStream");
  return handle;
}

struct Types {
  cudaDataType_t data;
  cublasComputeType_t compute;
};
Types types_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return {CUDA_R_32F, tf32_allowed() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F};
    case DType::kFloat64: return {CUDA_R_64F, CUBLAS_COMPUTE_64F};
    case DType::kFloat16: return {CUDA_R_16F, CUBLAS_COMPUTE_32F};
    case DType::kBFloat16: return {CUDA_R_16BF, CUBLAS_COMPUTE_32F};
    default: throw DTypeError(std::string("gemm on GPU: ") + dtype_name(dtype) + " is not supported");
  }
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: cuBLAS gets the operands swapped.
struct ColumnMajor {
  cublasOperation_t op_b, op_a;
  int lda, ldb, ldc;
};
ColumnMajor column_major(const GemmArgs& g) {
  return {g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
          static_cast<int>(g.trans_a ? g.m : g.k), static_cast<int>(g.trans_b ? g.k : g.n), static_cast<int>(g.n)};
}

}  // namespace

bool tf32_allowed() {
  static const bool allowed = engine::detail::env_int("MX_CUDA_ALLOW_TF32", 0, 0) != 0 ||
                              engine::detail::env_int("MXNET_CUDA_ALLOW_TENSOR_CORE_CONVERSION", 0, 0) != 0;
  return allowed;
}

void gemm(const GemmArgs& g, DType dtype, const void* a, const void* b, void* c, void* stream) {
  batched_gemm(g, dtype, 1, a, 0, b, 0, c, 0, stream);
}

void batched_gemm(const GemmArgs& g, DType dtype, std::int64_t batch, const void* a, std::int64_t stride_a,
                  const void* b, std::int64_t stride_b, void* c, std::int64_t stride_c, void* stream) {
  if (g.m == 0 || g.n == 0 || batch == 0) return;
  const Types t = types_of(dtype);
  const ColumnMajor cm = column_major(g);
  // Scalars in the compute type: double for float64, float otherwise.
  const double alpha64 = g.alpha, beta64 = g.beta;
  const float alpha32 = static_cast<float>(g.alpha), beta32 = static_cast<float>(g.beta);
  const bool f64 = dtype == DType::kFloat64;
  const void* alpha = f64 ? static_cast<const void*>(&alpha64) : &alpha32;
  const void* beta = f64 ? static_cast<const void*>(&beta64) : &beta32;
  cublasHandle_t handle = handle_for(stream);
  if (g.k == 0) {  // an empty inner extent: C = beta C, which cuBLAS may not do for k = 0
    throw Error("gemm on GPU: the inner extent is 0");
  }
  check(cublasGemmStridedBatchedEx(handle, cm.op_b, cm.op_a, static_cast<int>(g.n), static_cast<int>(g.m),
                                   static_cast<int>(g.k), alpha, b, t.data, cm.ldb, stride_b, a, t.data, cm.lda,
                                   stride_a, beta, c, t.data, cm.ldc, stride_c, static_cast<int>(batch), t.compute,
                                   CUBLAS_GEMM_DEFAULT),
        "cublasGemmStridedBatchedEx");
}

}  // namespace mx::op::gpu
