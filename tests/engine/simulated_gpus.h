#pragma once
// GPUs simulated on host threads, for the engine's tests on machines without one (engine/cuda_stream.h's
// DeviceRuntime): each stream is a thread that runs what is launched on it in order; an event marks the work
// launched on a stream before it; a stream told to wait for an event runs nothing after that point until the
// event's work is done; host waits block until then. As on a GPU, a launch returns at once. Work that throws
// is a failure of the GPU work: the next wait for an event recorded after it (or for its stream) reports it.
#include <cstdint>
#include <functional>

#include <mx/engine/cuda_stream.h>

namespace mx::test {

class SimulatedGpus final : public engine::detail::DeviceRuntime {
 public:
  explicit SimulatedGpus(int devices) : devices_(devices) {}

  // The calling thread's current device (the engine sets it before each GPU operation).
  static int current_device();
  // What a kernel launch is on a real device: `work` runs on `stream`'s thread after what was launched before.
  static void launch(void* stream, std::function<void()> work);

  int device_count() override { return devices_; }
  void set_device(int device) override;
  void synchronize(void* stream) override;
  void* event_create(bool timing) override;
  void event_record(void* event, void* stream) override;
  void stream_wait_event(void* stream, void* event) override;
  void event_synchronize(void* event) override;
  double event_elapsed_ms(void* from, void* to) override;
  void event_destroy(void* event) override;
  void* stream_create(int device) override;
  void stream_destroy(int device, void* stream) override;

 private:
  int devices_;
};

}  // namespace mx::test
