#include <mx/engine/cuda_stream.h>

#include <atomic>
#include <string>

#include <mx/engine/error.h>

#if MXPP_USE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace mx::engine::detail {
namespace {

#if MXPP_USE_CUDA

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw EngineError(std::string(what) + ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
  }
}

class CudaRuntime final : public DeviceRuntime {
 public:
  int device_count() override {
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

  void set_device(int device) override {
    thread_local int current = -1;  // cudaSetDevice is cheap, but a GPU worker runs on one device all its life
    if (current == device) return;
    check(cudaSetDevice(device), "cudaSetDevice");
    current = device;
  }

  void synchronize(void* stream) override {
    check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "CUDA stream");
  }

  void* event_create(bool timing) override {
    cudaEvent_t event = nullptr;
    check(timing ? cudaEventCreate(&event) : cudaEventCreateWithFlags(&event, cudaEventDisableTiming),
          "cudaEventCreate");
    return event;
  }

  void event_record(void* event, void* stream) override {
    check(cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)), "cudaEventRecord");
  }

  void stream_wait_event(void* stream, void* event) override {
    check(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), static_cast<cudaEvent_t>(event), 0),
          "cudaStreamWaitEvent");
  }

  void event_synchronize(void* event) override {
    check(cudaEventSynchronize(static_cast<cudaEvent_t>(event)), "GPU work");
  }

  double event_elapsed_ms(void* from, void* to) override {
    float ms = 0;
    check(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(from), static_cast<cudaEvent_t>(to)),
          "cudaEventElapsedTime");
    return ms;
  }

  void event_destroy(void* event) override { cudaEventDestroy(static_cast<cudaEvent_t>(event)); }

  void* stream_create(int device) override {
    check(cudaSetDevice(device), "cudaSetDevice");
    cudaStream_t stream = nullptr;
    check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
    return stream;
  }

  void stream_destroy(int device, void* stream) override {
    cudaSetDevice(device);
    cudaStreamDestroy(static_cast<cudaStream_t>(stream));
  }
};
using BuiltInRuntime = CudaRuntime;

#else  // built without CUDA: no devices

class NoCudaRuntime final : public DeviceRuntime {
 public:
  int device_count() override { return 0; }
  void set_device(int) override {}
  void synchronize(void*) override {}
  void* event_create(bool) override { throw EngineError("CUDA events: mxpp was built without CUDA"); }
  void event_record(void*, void*) override {}
  void stream_wait_event(void*, void*) override {}
  void event_synchronize(void*) override {}
  double event_elapsed_ms(void*, void*) override { return 0; }
  void event_destroy(void*) override {}
  void* stream_create(int device) override {
    throw EngineError("gpu(" + std::to_string(device) + "): mxpp was built without CUDA");
  }
  void stream_destroy(int, void*) override {}
};
using BuiltInRuntime = NoCudaRuntime;

#endif

std::atomic<DeviceRuntime*> g_installed{nullptr};

DeviceRuntime& runtime() {
  if (DeviceRuntime* installed = g_installed.load(std::memory_order_acquire)) return *installed;
  static auto* built_in = new BuiltInRuntime;  // never destroyed: streams may be released during static exit
  return *built_in;
}

}  // namespace

void set_device_runtime(DeviceRuntime* runtime) { g_installed.store(runtime, std::memory_order_release); }

int cuda_device_count() { return runtime().device_count(); }
void cuda_set_device(int device) { runtime().set_device(device); }
void cuda_synchronize(void* stream) { runtime().synchronize(stream); }
void* cuda_event_create() { return runtime().event_create(false); }
void cuda_event_record(void* event, void* stream) { runtime().event_record(event, stream); }
void cuda_stream_wait_event(void* stream, void* event) { runtime().stream_wait_event(stream, event); }
void cuda_event_synchronize(void* event) { runtime().event_synchronize(event); }
void* cuda_timing_event_create() { return runtime().event_create(true); }
double cuda_event_elapsed_ms(void* from, void* to) { return runtime().event_elapsed_ms(from, to); }
void cuda_event_destroy(void* event) { runtime().event_destroy(event); }

CudaStream::CudaStream(int device) : device_(device), stream_(runtime().stream_create(device)) {}
CudaStream::~CudaStream() { runtime().stream_destroy(device_, stream_); }

}  // namespace mx::engine::detail
