#pragma once
// Row-major matrix products on cuBLAS, the GPU twins of blas.h's gemm and batched_gemm, enqueued on the
// operation's stream. float32 computes in float32 (TF32 tensor cores when MXNET_CUDA_ALLOW_TENSOR_CORE_CONVERSION
// or MX_CUDA_ALLOW_TF32 is 1, as MXNet opts in), float64 in float64, float16 and bfloat16 on tensor cores with
// float32 accumulation. Private to operators/.
#include <cstdint>

#include <mx/ndarray/dtype.h>
#include <mx/operators/blas.h>

namespace mx::op::gpu {

// float32 work may use TF32 tensor cores: MX_CUDA_ALLOW_TF32=1 (or MXNet's
// MXNET_CUDA_ALLOW_TENSOR_CORE_CONVERSION=1); read once. cuBLAS and cuDNN both follow it.
bool tf32_allowed();

void gemm(const GemmArgs& args, DType dtype, const void* a, const void* b, void* c, void* stream);
void batched_gemm(const GemmArgs& args, DType dtype, std::int64_t batch, const void* a, std::int64_t stride_a,
                  const void* b, std::int64_t stride_b, void* c, std::int64_t stride_c, void* stream);

}  // namespace mx::op::gpu
