// Index arithmetic and copies by index by hand, beyond the NumPy reference cases: shapes, arrays made from
// shapes, and the errors.
#include <catch2/catch.hpp>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;

TEST_CASE("ravel_multi_index and unravel_index invert each other", "[operators][indexing]") {
  // (1, 2, 3) in a (2, 3, 4) array: 1 * 12 + 2 * 4 + 3 = 23; (0, 0, 1): 1.
  const NDArray tuples = nd::array({1, 0, 2, 0, 3, 1}, Shape{3, 2}, cpu(), DType::kInt64);
  const NDArray flat = nd::ravel_multi_index(tuples, Shape{2, 3, 4});
  CHECK(flat.asnumpy<double>() == std::vector<double>{23, 1});
  CHECK(flat.dtype() == DType::kInt64);
  CHECK(nd::unravel_index(flat, Shape{2, 3, 4}).asnumpy<double>() == tuples.asnumpy<double>());
  CHECK(nd::unravel_index(nd::array({23.0f}), Shape{2, 3, 4}).asnumpy<double>() == std::vector<double>{1, 2, 3});
  CHECK_THROWS_WITH(nd::ravel_multi_index(tuples, Shape{2, 3}), Contains("ravel_multi_index") && Contains("(3, 2)"));
  CHECK_THROWS_WITH(nd::unravel_index(flat, Shape{2, 0}), Contains("positive extents"));
}

TEST_CASE("index_copy replaces rows, index_array numbers positions, arange_like counts", "[operators][indexing]") {
  const NDArray old = nd::zeros({3, 2});
  const NDArray rows = nd::array({1.0f, 2, 3, 4}, Shape{2, 2});
  test::check_array(nd::contrib::index_copy(old, nd::array({2.0f, 0.0f}), rows), {3, 2}, {3, 4, 0, 0, 1, 2});
  CHECK_THROWS_WITH(nd::contrib::index_copy(old, nd::array({2.0f}), rows), Contains("index_copy") && Contains("(1,)"));
  CHECK_THROWS_WITH(nd::contrib::index_copy(old, nd::array({2.0f, 0.0f}), nd::zeros({2, 3})), Contains("differ"));
  const NDArray positions = nd::contrib::index_array(nd::zeros({2, 2}), {1});
  CHECK(positions.shape() == Shape{2, 2, 1});
  CHECK(positions.asnumpy<double>() == std::vector<double>{0, 1, 0, 1});
  CHECK(nd::contrib::arange_like(nd::zeros({2, 3}), 0, 1, 1, -1).asnumpy<double>() == std::vector<double>{0, 1, 2});
  CHECK_THROWS_WITH(nd::contrib::arange_like(old, 0, 1, 0), Contains("repeat must be positive"));
}

TEST_CASE("shape_array and size_array hold an array's shape and size", "[operators][creation]") {
  const NDArray x = nd::zeros({2, 3, 4});
  CHECK(nd::shape_array(x).dtype() == DType::kInt64);
  CHECK(nd::shape_array(x).asnumpy<double>() == std::vector<double>{2, 3, 4});
  CHECK(nd::size_array(x).asnumpy<double>() == std::vector<double>{24});
}

TEST_CASE("Activation names its act types, log_sigmoid and mish among them", "[operators][nn]") {
  CHECK_THROWS_WITH(nd::Activation(nd::zeros({2}), "swish"), Contains("log_sigmoid, mish"));
  test::check_array(nd::Activation(nd::array({0.0f}), "log_sigmoid"), {1}, {-std::log(2.0)}, 1e-6);
  test::check_array(nd::Activation(nd::array({0.0f}), "mish"), {1}, {0}, 0);
}

TEST_CASE("linalg's diagonals and triangles refuse what is not square or not a triangle", "[operators][linalg]") {
  // MXNet's documented examples.
  const NDArray a = nd::array({1.0f, 2, 3, 4}, Shape{2, 2});
  CHECK(nd::linalg::extracttrian(a).asnumpy<double>() == std::vector<double>{1, 3, 4});
  CHECK(nd::linalg::extracttrian(a, 0, false).asnumpy<double>() == std::vector<double>{1, 2, 4});
  CHECK(nd::linalg::extracttrian(a, 1).asnumpy<double>() == std::vector<double>{2});
  CHECK(nd::linalg::extracttrian(a, -1).asnumpy<double>() == std::vector<double>{3});
  CHECK_THROWS_WITH(nd::linalg::extractdiag(nd::zeros({2, 3})), Contains("extractdiag") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(nd::linalg::extractdiag(a, 2), Contains("offset 2"));
  CHECK_THROWS_WITH(nd::linalg::maketrian(nd::zeros({5})), Contains("5 entries do not make a triangle"));
  CHECK_THROWS_WITH(nd::khatri_rao({nd::zeros({2, 3}), nd::zeros({2, 2})}), Contains("khatri_rao") && Contains("(2, 2)"));
}
