#include <mx/operators/onednn_gemm.h>

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <mx/engine/env.h>
#include <mx/engine/error.h>

namespace mx::op {
namespace {

const char* isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

// OpenMP's thread count for the calling thread, set for the scope of one call and given back after: a thread of
// the application that runs an operator inline keeps its own OpenMP setting.
class OneOpenMpThread {
 public:
  OneOpenMpThread() : saved_(omp_get_max_threads()) {
    if (saved_ != 1) omp_set_num_threads(1);
  }
  ~OneOpenMpThread() {
    if (saved_ != 1) omp_set_num_threads(saved_);
  }
  OneOpenMpThread(const OneOpenMpThread&) = delete;
  OneOpenMpThread& operator=(const OneOpenMpThread&) = delete;

 private:
  int saved_;
};

}  // namespace

SgemmLibrary parse_sgemm_library(const std::string& value) {
  if (value.empty() || value == "onednn") return SgemmLibrary::kOneDnn;
  if (value == "openblas") return SgemmLibrary::kOpenBlas;
  throw Error("MX_CPU_SGEMM='" + value + "': expected onednn or openblas");
}

SgemmLibrary sgemm_library() {
  static const SgemmLibrary library = parse_sgemm_library(engine::detail::env_string("MX_CPU_SGEMM", ""));
  return library;
}

std::string sgemm_library_name() {
  if (sgemm_library() == SgemmLibrary::kOpenBlas) return "OpenBLAS";
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " (" + isa_name(dnnl_get_effective_cpu_isa()) + ")";
}

void onednn_sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                  const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                  std::int64_t ldc) {
  OneOpenMpThread one_thread;
  const dnnl_status_t status =
      dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success) {
    throw Error("gemm: oneDNN's sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") for " +
                std::to_string(m) + " x " + std::to_string(n) + " x " + std::to_string(k));
  }
}

}  // namespace mx::op
