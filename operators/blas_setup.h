#pragma once
// How mxpp sets OpenBLAS up when the operators library loads, before any operator runs:
// - one thread: the engine's workers split products between them (blas.h), so BLAS threads never add to them;
// - kernels for the CPU present. OpenBLAS with DYNAMIC_ARCH (Debian's) picks its kernels by CPU model, and a
//   model newer than its release falls back to the generic SSE3 "Prescott" kernels: Debian 12's 0.3.21 on an
//   Emerald Rapids Xeon multiplies at a fifth of the speed its AVX-512 kernels reach there. mxpp then selects
//   the best kernels the CPU's features allow. OPENBLAS_CORETYPE, when set, is left to decide.
#include <optional>
#include <string>
#include <string_view>

namespace mx::op {

// What the CPU and the operating system let programs use.
struct CpuFeatures {
  bool avx = false, avx2_fma = false, avx512 = false, avx512_bf16 = false;  // avx512: F, CD, BW, DQ and VL
};
CpuFeatures cpu_features();

// The OpenBLAS core to select instead of `detected`, when `detected` is a core of SSE kernels only and the CPU
// can run better ones; nothing otherwise (a core OpenBLAS chose knowingly is kept).
std::optional<std::string> better_openblas_core(std::string_view detected, const CpuFeatures& cpu);

struct BlasSetup {
  std::string detected_core;  // what OpenBLAS chose by itself (or was told by OPENBLAS_CORETYPE)
  std::string core;           // what it runs with
};
const BlasSetup& blas_setup();

}  // namespace mx::op
