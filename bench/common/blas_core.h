#pragma once
// The OpenBLAS kernels a benchmark's products ran with, for its report: figures from two machines compare only
// when both ran the same kernels (OpenBLAS falls back to SSE kernels on CPUs it does not know; blas_setup.h).
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include <mx/operators/blas_setup.h>

namespace bench {

inline void report_blas_core(nlohmann::json& report) {
  const auto& setup = mx::op::blas_setup();
  std::string line = "OpenBLAS kernels: " + setup.core;
  if (setup.core != setup.detected_core) line += " (OpenBLAS detected " + setup.detected_core + ")";
  std::printf("%s; the libtorch peer shares them\n", line.c_str());
  report["openblas_core"] = setup.core;
  report["openblas_detected_core"] = setup.detected_core;
}

}  // namespace bench
