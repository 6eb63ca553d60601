// float32 products on oneDNN, against products summed by hand in double.
#include <mx/operators/blas.h>
#include <mx/operators/onednn_gemm.h>

#include <omp.h>

#include <cmath>
#include <vector>

#include "test_util.h"

namespace {

using Catch::Matchers::Contains;

// Row-major A (m x k, or k x m transposed) with leading dimension lda, and so on; C = alpha op(A) op(B) + beta C.
std::vector<double> reference_product(bool ta, bool tb, int m, int n, int k, double alpha, const std::vector<float>& a,
                                      int lda, const std::vector<float>& b, int ldb, double beta,
                                      const std::vector<float>& c, int ldc) {
  std::vector<double> out(c.begin(), c.end());
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double sum = 0;
      for (int p = 0; p < k; ++p) sum += double(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      out[i * ldc + j] = alpha * sum + beta * c[i * ldc + j];
    }
  }
  return out;
}

// Small integers: every product and sum is exact in float32.
std::vector<float> small_integers(int count, int seed) {
  std::vector<float> v(count);
  for (int i = 0; i < count; ++i) v[i] = float((i * 7 + seed * 13) % 9 - 4);
  return v;
}

}  // namespace

TEST_CASE("oneDNN's sgemm computes row-major products with transposes and leading dimensions", "[blas]") {
  const int m = 37, n = 45, k = 29, pad = 3;
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      const int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
      const auto a = small_integers((ta ? k : m) * lda, 1), b = small_integers((tb ? n : k) * ldb, 2);
      auto c = small_integers(m * ldc, 3);
      const auto expected = reference_product(ta, tb, m, n, k, 2.0, a, lda, b, ldb, -1.0, c, ldc);
      mx::op::onednn_sgemm(ta, tb, m, n, k, 2.0f, a.data(), lda, b.data(), ldb, -1.0f, c.data(), ldc);
      INFO("trans_a " << ta << " trans_b " << tb);
      for (int i = 0; i < m * ldc; ++i) REQUIRE(c[i] == expected[i]);  // the padding too: left as it was
    }
  }
}

TEST_CASE("float32 products large enough for oneDNN match the hand-summed product", "[blas]") {
  // The seed MLP's first layer (128 x 784 times 256 x 784 transposed), split across the workers.
  const int m = 128, n = 256, k = 784;
  const auto a = small_integers(m * k, 4), b = small_integers(n * k, 5);
  std::vector<float> c(m * n, std::nanf(""));  // as a block fresh from the pool may hold: beta = 0 never reads it
  mx::op::gemm({.trans_b = true, .m = m, .n = n, .k = k}, mx::DType::kFloat32, a.data(), b.data(), c.data());
  const auto expected = reference_product(false, true, m, n, k, 1.0, a, k, b, k, 0.0, std::vector<float>(m * n), n);
  for (int i = 0; i < m * n; ++i) REQUIRE(c[i] == expected[i]);
}

TEST_CASE("oneDNN's sgemm leaves the calling thread's OpenMP setting as it was", "[blas]") {
  omp_set_num_threads(3);
  std::vector<float> a(64 * 64, 1.0f), b(a), c(a.size());
  mx::op::onednn_sgemm(false, false, 64, 64, 64, 1.0f, a.data(), 64, b.data(), 64, 0.0f, c.data(), 64);
  CHECK(c[0] == 64.0f);
  CHECK(omp_get_max_threads() == 3);
}

TEST_CASE("MX_CPU_SGEMM chooses the library for float32 products", "[blas]") {
  using mx::op::SgemmLibrary;
  CHECK(mx::op::parse_sgemm_library("") == SgemmLibrary::kOneDnn);
  CHECK(mx::op::parse_sgemm_library("onednn") == SgemmLibrary::kOneDnn);
  CHECK(mx::op::parse_sgemm_library("openblas") == SgemmLibrary::kOpenBlas);
  CHECK_THROWS_WITH(mx::op::parse_sgemm_library("mkl"), Contains("MX_CPU_SGEMM='mkl'"));
  // What this process runs with, as the benchmarks report it.
  const std::string name = mx::op::sgemm_library_name();
  CHECK(name.rfind(mx::op::sgemm_library() == SgemmLibrary::kOneDnn ? "oneDNN " : "OpenBLAS", 0) == 0);
}
