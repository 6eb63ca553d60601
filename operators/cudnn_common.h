#pragma once
// What the cuDNN operators share: the error check and a handle per engine worker thread and device, its stream
// set per call. Private to operators/; built with CUDA only.
#include <cudnn.h>

#include <mx/ndarray/dtype.h>

namespace mx::op::cudnn {

// Throws mx::Error naming `what` with cuDNN's message.
void check(cudnnStatus_t status, const char* what);
cudnnHandle_t handle_for(void* stream);
// cuDNN's type for float32, float64, float16 and bfloat16; mx::DTypeError naming `op` for the rest.
cudnnDataType_t data_type(DType dtype, const char* op);

// alpha = 1 and beta = 0 in a computation's scaling type: double for float64 data, float otherwise.
struct Scalars {
  explicit Scalars(DType dtype) : f64(dtype == DType::kFloat64) {}
  const void* one() const { return f64 ? static_cast<const void*>(&one64) : &one32; }
  const void* zero() const { return f64 ? static_cast<const void*>(&zero64) : &zero32; }
  bool f64;
  double one64 = 1, zero64 = 0;
  float one32 = 1, zero32 = 0;
};

}  // namespace mx::op::cudnn
