// Kernels that keep one SM busy: compute that copies and other streams' work can overlap.
#include "gpu_spin_kernel.h"

#include <chrono>
#include <stdexcept>
#include <thread>

namespace {
enum Flag { kStarted = 0, kRelease = 1, kDone = 2 };

__global__ void spin(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

__global__ void hold(volatile int* flags, long long max_cycles) {
  flags[kStarted] = 1;
  __threadfence_system();
  const long long start = clock64();
  while (flags[kRelease] == 0 && clock64() - start < max_cycles) {
  }
  __threadfence_system();
  flags[kDone] = 1;
}

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(call) + ": " + cudaGetErrorString(status));
}
}  // namespace

namespace mx::test {
void launch_spin(void* stream, long long cycles) { spin<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(cycles); }

HeldKernel::HeldKernel() {
  void* host = nullptr;
  check(cudaHostAlloc(&host, 3 * sizeof(int), cudaHostAllocMapped), "cudaHostAlloc");
  host_flags_ = static_cast<int*>(host);
  for (int i = 0; i < 3; ++i) host_flags_[i] = 0;
  void* device = nullptr;
  check(cudaHostGetDevicePointer(&device, host, 0), "cudaHostGetDevicePointer");
  device_flags_ = static_cast<int*>(device);
}

HeldKernel::~HeldKernel() {
  release();
  // A launched kernel reads the flags until it ends; one that never got to run is left its memory.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (launched_ && !done()) {
    if (std::chrono::steady_clock::now() > deadline) return;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  cudaFreeHost(host_flags_);
}

void HeldKernel::launch(void* stream, double max_seconds) {
  int clock_khz = 0;
  check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0), "cudaDeviceGetAttribute");
  const auto max_cycles = static_cast<long long>(clock_khz * 1000.0 * max_seconds);
  hold<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(device_flags_, max_cycles);
  check(cudaGetLastError(), "launching the held kernel");
  launched_ = true;
}

bool HeldKernel::started() const { return static_cast<volatile int*>(host_flags_)[kStarted] != 0; }
bool HeldKernel::done() const { return static_cast<volatile int*>(host_flags_)[kDone] != 0; }
void HeldKernel::release() { static_cast<volatile int*>(host_flags_)[kRelease] = 1; }

bool HeldKernel::wait_started(double seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!started()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}
}  // namespace mx::test
