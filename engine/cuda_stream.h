#pragma once
// The few CUDA runtime calls the engine needs. Without CUDA support they report zero devices.
namespace mx::engine::detail {

// Number of usable CUDA devices (0 without CUDA support, a driver or a device); asked once.
int cuda_device_count();

// Makes `device` current on the calling thread (an engine worker, before it runs a GPU operation).
void cuda_set_device(int device);

// Waits for the stream's work; throws mx::EngineError with CUDA's message if that work failed.
void cuda_synchronize(void* stream);

// Events, for ordering work between streams without the host (gpu_marks.h). Each throws mx::EngineError with
// CUDA's message on failure; cuda_event_synchronize reports an error of the GPU work before the event.
void* cuda_event_create();
void cuda_event_record(void* event, void* stream);
void cuda_stream_wait_event(void* stream, void* event);
void cuda_event_synchronize(void* event);
// Events that keep their time, for the profiler (gpu_timing.h): milliseconds from `from` to `to`, both done.
void* cuda_timing_event_create();
double cuda_event_elapsed_ms(void* from, void* to);
void cuda_event_destroy(void* event);

// A non-blocking stream on one device, owned by one engine worker.
class CudaStream {
 public:
  explicit CudaStream(int device);  // throws mx::EngineError
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  void* handle() const { return stream_; }
  int device() const { return device_; }

 private:
  int device_;
  void* stream_ = nullptr;
};

}  // namespace mx::engine::detail
