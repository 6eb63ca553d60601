// moments, histogram and allclose beyond the NumPy reference cases: hand-counted bins, edges given as an array,
// NaNs, and the errors.
#include <catch2/catch.hpp>

#include <cmath>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;

TEST_CASE("histogram counts values in equal bins, the last one closed, NaNs and outsiders left out", "[operators][statistics]") {
  const NDArray x = nd::array({0.0f, 1, 1, 2, 3, 4, NAN, 4, 9});
  // Range (0, 4) in 4 bins: [0, 1) [1, 2) [2, 3) [3, 4]; 9 is outside.
  const auto [counts, edges] = nd::histogram(x, 4, std::pair{0.0, 4.0});
  CHECK(counts.dtype() == DType::kInt64);
  CHECK(counts.asnumpy<double>() == std::vector<double>{1, 2, 1, 3});
  CHECK(edges.asnumpy<double>() == std::vector<double>{0, 1, 2, 3, 4});
  // The range of the values (NaN aside): 0 .. 9 in 3 bins of 3.
  CHECK(nd::histogram(x, 3).counts.asnumpy<double>() == std::vector<double>{4, 3, 1});
  // One value only: the range widened by 0.5 each way.
  const auto single = nd::histogram(nd::array({2.0f, 2.0f}), 2);
  CHECK(single.edges.asnumpy<double>() == std::vector<double>{1.5, 2, 2.5});
  CHECK(single.counts.asnumpy<double>() == std::vector<double>{0, 2});
  CHECK_THROWS_WITH(nd::histogram(x, 0), Contains("bins must be positive"));
  CHECK_THROWS_WITH(nd::histogram(x, nd::array({0.0f, 2, 1})).counts.wait_to_read(), Contains("finite and increase"));
  CHECK_THROWS_WITH(nd::histogram(nd::array({NAN, NAN}), 2).counts.wait_to_read(), Contains("all NaN"));
}

TEST_CASE("moments keeps or drops the reduced axes, and allclose treats NaNs as asked", "[operators][statistics]") {
  const NDArray x = nd::array({1.0f, 3, 5, 7}, Shape{2, 2});
  const auto [mean, var] = nd::moments(x, {1}, true);
  test::check_array(mean, {2, 1}, {2, 6});
  test::check_array(var, {2, 1}, {1, 1});
  const NDArray with_nan = nd::array({1.0f, NAN});
  CHECK(nd::contrib::allclose(with_nan, with_nan).asnumpy<double>() == std::vector<double>{1});
  CHECK(nd::contrib::allclose(with_nan, with_nan, 1e-5, 1e-8, false).asnumpy<double>() == std::vector<double>{0});
  CHECK(nd::contrib::allclose(nd::array({1.0f, 2.0f}), nd::array({1.0f}), 0, 1.5).asnumpy<double>() == std::vector<double>{1});
}
