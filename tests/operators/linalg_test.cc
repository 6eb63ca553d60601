// linalg: hand-computed cases, the errors each operator raises, and the numerical failures that surface at the
// sync point. Values against NumPy are in the reference table.
#include <limits>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;
namespace la = nd::linalg;

TEST_CASE("linalg products and factorizations on hand-computed matrices", "[operators][linalg]") {
  const NDArray a = nd::array({4, 2, 2, 3}, Shape{2, 2});
  // Cholesky: L = [[2, 0], [1, sqrt(2)]].
  check_array(la::potrf(a), {2, 2}, {2, 0, 1, std::sqrt(2.0)});
  // det 8, inverse [[3, -2], [-2, 4]] / 8.
  check_array(la::det(a), {}, {8});
  check_array(la::inverse(a), {2, 2}, {3.0 / 8, -2.0 / 8, -2.0 / 8, 4.0 / 8});
  check_array(la::potri(la::potrf(a)), {2, 2}, {3.0 / 8, -2.0 / 8, -2.0 / 8, 4.0 / 8});
  // Eigenvalues of [[2, 1], [1, 2]]: 1 and 3, with vectors (1, -1)/sqrt2 and (1, 1)/sqrt2, signed to be positive
  // at their largest entry (the first, on the tie).
  auto [u, lambda] = la::syevd(nd::array({2, 1, 1, 2}, Shape{2, 2}));
  check_array(lambda, {2}, {1, 3});
  const double r = 1 / std::sqrt(2.0);
  check_array(u, {2, 2}, {r, -r, r, r});
  // syrk and gemm2 agree with the product written out.
  const NDArray m = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  check_array(la::syrk(m), {2, 2}, {14, 32, 32, 77});
  check_array(la::gemm2(m, m, false, true), {2, 2}, {14, 32, 32, 77});
  // gelqf: A = L Q with Q's rows orthonormal.
  auto [q, l] = la::gelqf(m);
  check_array(la::gemm2(l, q), {2, 3}, {1, 2, 3, 4, 5, 6}, 1e-5);
  check_array(la::gemm2(q, q, false, true), {2, 2}, {1, 0, 0, 1}, 1e-5);
  CHECK(test::values(l)[1] == 0);  // lower triangular
}

TEST_CASE("linalg determinants of singular matrices are zero, as NumPy's", "[operators][linalg]") {
  const NDArray singular = nd::array({1, 2, 2, 4}, Shape{2, 2});
  check_array(la::det(singular), {}, {0});
  auto [sign, log_abs] = la::slogdet(singular);
  check_array(sign, {}, {0});
  CHECK(log_abs.asscalar<double>() == -std::numeric_limits<double>::infinity());
  // A row swap flips the sign.
  auto [swap_sign, swap_log] = la::slogdet(nd::array({0, 1, 1, 0}, Shape{2, 2}));
  check_array(swap_sign, {}, {-1});
  check_array(swap_log, {}, {0});
}

TEST_CASE("linalg shape and dtype errors are raised at the call", "[operators][linalg][errors]") {
  const NDArray rect = nd::zeros({2, 3, 4});
  CHECK_THROWS_WITH(la::syevd(rect), Contains("linalg_syevd") && Contains("square") && Contains("(2, 3, 4)"));
  CHECK_THROWS_AS(la::inverse(rect), ShapeError);
  CHECK_THROWS_AS(la::det(nd::zeros({3})), ShapeError);
  CHECK_THROWS_WITH(la::gemm2(rect, rect), Contains("linalg_gemm2") && Contains("inner extents"));
  CHECK_THROWS_WITH(la::gemm2(rect, nd::zeros({3, 4, 2})), Contains("batch"));
  CHECK_THROWS_WITH(la::gemm(nd::zeros({2, 3}), nd::zeros({3, 4}), nd::zeros({2, 5})),
                    Contains("linalg_gemm") && Contains("C") && Contains("(2, 4)"));
  CHECK_THROWS_AS(la::potrf(nd::zeros({2, 2}, cpu(), DType::kInt32)), DTypeError);
  CHECK_THROWS_AS(la::gemm2(nd::zeros({2, 2}), nd::zeros({2, 2}, cpu(), DType::kFloat64)), DTypeError);
  CHECK_THROWS_WITH(la::gelqf(nd::zeros({4, 3})), Contains("linalg_gelqf") && Contains("(4, 3)"));
  CHECK_THROWS_WITH(la::trsm(nd::zeros({3, 3}), nd::zeros({2, 4})), Contains("linalg_trsm"));
  CHECK_THROWS_WITH(la::lstsq(nd::zeros({3, 2}), nd::zeros({4, 1})), Contains("linalg_lstsq") && Contains("rows"));
}

TEST_CASE("linalg numerical failures surface at the sync point and name the matrix", "[operators][linalg][errors]") {
  // The second matrix of the batch is singular; the first is fine.
  const NDArray batch = nd::array({1, 0, 0, 1, 1, 2, 2, 4}, Shape{2, 2, 2});
  NDArray inv = la::inverse(batch);  // returns at once
  CHECK_THROWS_WITH(inv.wait_to_read(), Contains("linalg_inverse") && Contains("matrix 1") && Contains("singular"));
  NDArray chol = la::potrf(nd::array({1, 2, 2, 1}, Shape{2, 2}));
  CHECK_THROWS_WITH(chol.asnumpy<float>(), Contains("linalg_potrf") && Contains("positive definite"));
  NDArray rank_deficient = la::lstsq(nd::array({1, 2, 2, 4, 3, 6}, Shape{3, 2}), nd::ones({3, 1}));
  CHECK_THROWS_WITH(rank_deficient.wait_to_read(), Contains("linalg_lstsq") && Contains("full rank"));
  // The engine goes on working.
  check_array(la::inverse(nd::array({2, 0, 0, 4}, Shape{2, 2})), {2, 2}, {0.5, 0, 0, 0.25});
}
