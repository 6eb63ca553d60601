// A kernel that keeps one SM busy for a given number of clock cycles: compute that a copy can overlap.
#include "gpu_spin_kernel.h"

namespace {
__global__ void spin(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}
}  // namespace

namespace mx::test {
void launch_spin(void* stream, long long cycles) { spin<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(cycles); }
}  // namespace mx::test
