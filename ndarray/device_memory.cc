#include <mx/ndarray/device_memory.h>

#include <cstdio>
#include <cstring>

#include <mx/engine/error.h>

#if MXPP_USE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace mx::storage {

#if MXPP_USE_CUDA

namespace {
void check(cudaError_t status, const std::string& what) {
  if (status != cudaSuccess) {
    throw Error(what + ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
  }
}
void set_device(int device) { check(cudaSetDevice(device), "gpu(" + std::to_string(device) + ")"); }
}  // namespace

void* gpu_malloc(int device, std::size_t bytes) {
  set_device(device);
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: the pool frees its cache and tries again
    return nullptr;
  }
  check(status, "cudaMalloc on gpu(" + std::to_string(device) + ")");
  return ptr;
}

void gpu_free(int device, void* ptr) {
  cudaSetDevice(device);
  cudaFree(ptr);
}

void* pinned_malloc(std::size_t bytes) {
  void* ptr = nullptr;
  if (cudaMallocHost(&ptr, bytes) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return ptr;
}

void pinned_free(void* ptr) { cudaFreeHost(ptr); }

void gpu_memory_info(int device, std::size_t& free_bytes, std::size_t& total_bytes) {
  set_device(device);
  check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
}

std::string gpu_memory_state(int device) {
  std::size_t free_bytes = 0, total_bytes = 0;
  gpu_memory_info(device, free_bytes, total_bytes);
  char text[96];
  std::snprintf(text, sizeof text, "%.2f GB free of %.2f GB", free_bytes / 1e9, total_bytes / 1e9);
  return text;
}

void copy_bytes(void* dst, Context dst_ctx, const void* src, Context src_ctx, std::size_t bytes, void* stream) {
  if (bytes == 0) return;
  if (!dst_ctx.is_gpu() && !src_ctx.is_gpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  const Context gpu_side = dst_ctx.is_gpu() ? dst_ctx : src_ctx;
  set_device(gpu_side.dev_id);
  const cudaMemcpyKind kind = !src_ctx.is_gpu() ? cudaMemcpyHostToDevice
                              : !dst_ctx.is_gpu() ? cudaMemcpyDeviceToHost
                                                  : cudaMemcpyDeviceToDevice;
  const std::string what = "copy from " + src_ctx.str() + " to " + dst_ctx.str();
  if (kind == cudaMemcpyDeviceToDevice && src_ctx.dev_id != dst_ctx.dev_id) {
    check(cudaMemcpyPeerAsync(dst, dst_ctx.dev_id, src, src_ctx.dev_id, bytes, static_cast<cudaStream_t>(stream)), what);
  } else {
    check(cudaMemcpyAsync(dst, src, bytes, kind, static_cast<cudaStream_t>(stream)), what);
  }
  if (stream == nullptr) check(cudaStreamSynchronize(nullptr), what);
}

#else  // built without CUDA

namespace {
[[noreturn]] void no_cuda(int device) {
  throw Error("gpu(" + std::to_string(device) + "): mxpp was built without CUDA");
}
}  // namespace

void* gpu_malloc(int device, std::size_t) { no_cuda(device); }
void gpu_free(int, void*) {}
void* pinned_malloc(std::size_t) { no_cuda(0); }
void pinned_free(void*) {}
void gpu_memory_info(int device, std::size_t&, std::size_t&) { no_cuda(device); }
std::string gpu_memory_state(int device) { no_cuda(device); }
void copy_bytes(void* dst, Context dst_ctx, const void* src, Context src_ctx, std::size_t bytes, void*) {
  if (dst_ctx.is_gpu() || src_ctx.is_gpu()) no_cuda(dst_ctx.is_gpu() ? dst_ctx.dev_id : src_ctx.dev_id);
  if (bytes != 0) std::memcpy(dst, src, bytes);
}

#endif

}  // namespace mx::storage
