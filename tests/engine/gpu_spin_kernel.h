#pragma once
#include <cuda_runtime_api.h>

namespace mx::test {
// Launches a single-thread kernel that spins for `cycles` GPU clock cycles on `stream`.
void launch_spin(void* stream, long long cycles);

// A single-thread kernel that runs until the host releases it: GPU work whose end the test decides, so that
// "finished while the kernel still ran" is an ordering the test sets up, not a duration it guesses. Its flags
// live in mapped host memory, read by the host while the kernel runs. After `max_seconds` at the device's clock
// rate the kernel ends by itself, so that a failing test cannot hold the GPU for ever.
class HeldKernel {
 public:
  HeldKernel();
  ~HeldKernel();
  HeldKernel(const HeldKernel&) = delete;
  HeldKernel& operator=(const HeldKernel&) = delete;

  void launch(void* stream, double max_seconds = 20);
  bool started() const;  // the kernel runs on the device
  bool done() const;     // it has ended (released, or after max_seconds)
  bool wait_started(double seconds) const;  // polls started() for up to `seconds`
  void release();

 private:
  bool launched_ = false;
  int* host_flags_ = nullptr;    // started, release, done
  int* device_flags_ = nullptr;  // the same memory as the device sees it
};
}  // namespace mx::test
