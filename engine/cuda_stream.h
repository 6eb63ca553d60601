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

// What the calls above go to: CUDA's runtime (none, built without CUDA), or a stand-in a test installs, such as
// tests/engine/simulated_gpus.h, which runs GPU contexts on host threads so that the engine's stream and event
// logic runs, under the sanitizers too, on machines without a GPU. The semantics are CUDA's: work on a stream
// runs in order, an event marks the work enqueued before it, a wait on an event never recorded waits for nothing.
class DeviceRuntime {
 public:
  virtual ~DeviceRuntime() = default;
  virtual int device_count() = 0;
  virtual void set_device(int device) = 0;
  virtual void synchronize(void* stream) = 0;
  virtual void* event_create(bool timing) = 0;
  virtual void event_record(void* event, void* stream) = 0;
  virtual void stream_wait_event(void* stream, void* event) = 0;
  virtual void event_synchronize(void* event) = 0;
  virtual double event_elapsed_ms(void* from, void* to) = 0;
  virtual void event_destroy(void* event) = 0;
  virtual void* stream_create(int device) = 0;
  virtual void stream_destroy(int device, void* stream) = 0;
};

// Sends the calls above to `runtime` from now on (nullptr: back to CUDA's). Only before any engine or stream
// exists; the runtime must outlive them all.
void set_device_runtime(DeviceRuntime* runtime);

}  // namespace mx::engine::detail
