#pragma once
#include <cuda_runtime_api.h>

namespace mx::test {
// Launches a single-thread kernel that spins for `cycles` GPU clock cycles on `stream`.
void launch_spin(void* stream, long long cycles);
}  // namespace mx::test
