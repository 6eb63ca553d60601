// mxpp's choice of OpenBLAS kernels, and products computed with them.
#include <mx/operators/blas_setup.h>

#include <cstdlib>

#include "test_util.h"

using mx::op::better_openblas_core;
using mx::op::CpuFeatures;

TEST_CASE("a CPU OpenBLAS does not know gets the best kernels its features allow", "[blas]") {
  CpuFeatures emerald_rapids{.avx = true, .avx2_fma = true, .avx512 = true, .avx512_bf16 = true};
  CHECK(better_openblas_core("Prescott", emerald_rapids) == "Cooperlake");
  CpuFeatures skylake_x{.avx = true, .avx2_fma = true, .avx512 = true};
  CHECK(better_openblas_core("Prescott", skylake_x) == "SkylakeX");
  CpuFeatures zen{.avx = true, .avx2_fma = true};
  CHECK(better_openblas_core("Prescott", zen) == "Haswell");
  CHECK(better_openblas_core("nehalem", zen) == "Haswell");  // OpenBLAS's names, in any case
  CpuFeatures sandy_bridge{.avx = true};
  CHECK(better_openblas_core("Core2", sandy_bridge) == "Sandybridge");
}

TEST_CASE("a core OpenBLAS chose knowingly is kept", "[blas]") {
  CpuFeatures emerald_rapids{.avx = true, .avx2_fma = true, .avx512 = true, .avx512_bf16 = true};
  for (const char* chosen : {"SkylakeX", "Cooperlake", "Haswell", "Zen", "SapphireRapids", "Sandybridge"}) {
    CHECK_FALSE(better_openblas_core(chosen, emerald_rapids).has_value());
  }
  CHECK_FALSE(better_openblas_core("Prescott", CpuFeatures{}).has_value());  // an SSE-only CPU: nothing better
}

TEST_CASE("OpenBLAS runs with kernels for the CPU present", "[blas]") {
  const auto& setup = mx::op::blas_setup();
  INFO("OpenBLAS detected " << setup.detected_core << ", runs " << setup.core);
  CHECK_FALSE(setup.core.empty());
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) {
    CHECK(setup.core == setup.detected_core);  // the user's choice stands
  } else {
    CHECK_FALSE(better_openblas_core(setup.core, mx::op::cpu_features()).has_value());
  }
  // The kernels it runs with multiply, in the packed path of a product of some size: ones (96 x 70) times
  // B[k][j] = j gives 70 j in every row.
  const mx::NDArray b = mx::nd::broadcast_to(mx::nd::arange(80).reshape({1, 80}), {70, 80});
  std::vector<double> expected;
  for (int i = 0; i < 96; ++i) {
    for (int j = 0; j < 80; ++j) expected.push_back(70.0 * j);
  }
  mx::test::check_array(mx::nd::dot(mx::nd::ones({96, 70}), b), {96, 80}, expected);
}
