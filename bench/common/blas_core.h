#pragma once
// What a benchmark's products ran on, for its report: figures from two machines compare only when both ran the
// same kernels (OpenBLAS falls back to SSE kernels on CPUs it does not know: blas_setup.h; float32 products go
// to oneDNN unless MX_CPU_SGEMM=openblas: onednn_gemm.h).
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include <mx/operators/blas_setup.h>
#include <mx/operators/onednn_gemm.h>

namespace bench {

inline void report_blas_core(nlohmann::json& report) {
  const auto& setup = mx::op::blas_setup();
  std::string line = "OpenBLAS kernels: " + setup.core;
  if (setup.core != setup.detected_core) line += " (OpenBLAS detected " + setup.detected_core + ")";
  const std::string sgemm = mx::op::sgemm_library_name();
  std::printf("%s; the libtorch peer shares them. mxpp's float32 products: %s\n", line.c_str(), sgemm.c_str());
  report["openblas_core"] = setup.core;
  report["openblas_detected_core"] = setup.detected_core;
  report["mxpp_sgemm"] = sgemm;
}

}  // namespace bench
