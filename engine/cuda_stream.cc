#include <mx/engine/cuda_stream.h>

#include <string>

#include <mx/engine/error.h>

#if MXPP_USE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace mx::engine::detail {

#if MXPP_USE_CUDA

namespace {
void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw EngineError(std::string(what) + ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
  }
}
}  // namespace

int cuda_device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // no driver or no device: clear the sticky error and run CPU-only
      return 0;
    }
    return n;
  }();
  return count;
}

void cuda_set_device(int device) {
  thread_local int current = -1;  // cudaSetDevice is cheap, but a GPU worker runs on one device all its life
  if (current == device) return;
  check(cudaSetDevice(device), "cudaSetDevice");
  current = device;
}

void cuda_synchronize(void* stream) {
  check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "CUDA stream");
}

void* cuda_event_create() {
  cudaEvent_t event = nullptr;
  check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
  return event;
}

void cuda_event_record(void* event, void* stream) {
  check(cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)), "cudaEventRecord");
}

void cuda_stream_wait_event(void* stream, void* event) {
  check(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), static_cast<cudaEvent_t>(event), 0),
        "cudaStreamWaitEvent");
}

void cuda_event_synchronize(void* event) {
  check(cudaEventSynchronize(static_cast<cudaEvent_t>(event)), "GPU work");
}

void* cuda_timing_event_create() {
  cudaEvent_t event = nullptr;
  check(cudaEventCreate(&event), "cudaEventCreate");
  return event;
}

double cuda_event_elapsed_ms(void* from, void* to) {
  float ms = 0;
  check(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(from), static_cast<cudaEvent_t>(to)), "cudaEventElapsedTime");
  return ms;
}

void cuda_event_destroy(void* event) { cudaEventDestroy(static_cast<cudaEvent_t>(event)); }

CudaStream::CudaStream(int device) : device_(device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  cudaStream_t stream = nullptr;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  stream_ = stream;
}

CudaStream::~CudaStream() {
  cudaSetDevice(device_);
  cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
}

#else  // built without CUDA

int cuda_device_count() { return 0; }
void cuda_set_device(int) {}
void cuda_synchronize(void*) {}
void* cuda_event_create() { throw EngineError("CUDA events: mxpp was built without CUDA"); }
void cuda_event_record(void*, void*) {}
void cuda_stream_wait_event(void*, void*) {}
void cuda_event_synchronize(void*) {}
void* cuda_timing_event_create() { throw EngineError("CUDA events: mxpp was built without CUDA"); }
double cuda_event_elapsed_ms(void*, void*) { return 0; }
void cuda_event_destroy(void*) {}
CudaStream::CudaStream(int device) : device_(device) {
  throw EngineError("gpu(" + std::to_string(device) + "): mxpp was built without CUDA");
}
CudaStream::~CudaStream() = default;

#endif

}  // namespace mx::engine::detail
