#include <mx/operators/cudnn_common.h>

#include <cuda_runtime_api.h>

#include <array>
#include <string>

#include <mx/ndarray/error.h>

namespace mx::op::cudnn {

void check(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS) throw Error(std::string(what) + ": " + cudnnGetErrorString(status));
}

cudnnHandle_t handle_for(void* stream) {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) throw Error("cuDNN: no current CUDA device");
  // Never destroyed: worker threads may outlive the CUDA context at exit.
  thread_local std::array<cudnnHandle_t, 16> handles{};
  cudnnHandle_t& handle = handles.at(static_cast<std::size_t>(device));
  if (handle == nullptr) check(cudnnCreate(&handle), "cudnnCreate");
  check(cudnnSetStream(handle, static_cast<cudaStream_t>(stream)), "cudnnSetStream");
  return handle;
}

cudnnDataType_t data_type(DType dtype, const char* op) {
  switch (dtype) {
    case DType::kFloat32: return CUDNN_DATA_FLOAT;
    case DType::kFloat64: return CUDNN_DATA_DOUBLE;
    case DType::kFloat16: return CUDNN_DATA_HALF;
    case DType::kBFloat16: return CUDNN_DATA_BFLOAT16;
    default: throw DTypeError(std::string(op) + " on the GPU: " + dtype_name(dtype) + " is not supported");
  }
}

}  // namespace mx::op::cudnn
