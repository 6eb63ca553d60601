// slice with steps, gather_nd and scatter_nd, fmod, norms of any order, apply, data_ptr, and the vector
// products: hand cases and errors (values against NumPy are in the reference table).
#include <exception>
#include <limits>
#include <stdexcept>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("slice takes Python's strided windows", "[operators][slice]") {
  const NDArray x = nd::arange(10);
  const nd::SliceBound none;
  check_array(nd::slice(x, {1}, {8}, {3}), {3}, {1, 4, 7});
  check_array(nd::slice(x, {none}, {none}, {-3}), {4}, {9, 6, 3, 0});
  check_array(nd::slice(x, {-2}, {none}), {2}, {8, 9});
  check_array(nd::slice(x, {5}, {2}), {0}, {});  // empty, as Python's x[5:2]
  CHECK_THROWS_WITH(nd::slice(x, {0}, {5}, {0}), Contains("slice") && Contains("step 0"));
  CHECK_THROWS_WITH(nd::slice(x, {0, 0}, {1, 1}), Contains("slice") && Contains("(10,)"));
  CHECK_THROWS_AS(nd::slice(x, {0}, {1, 2}), ShapeError);
}

TEST_CASE("gather_nd and scatter_nd address by index tuples", "[operators][gather]") {
  // The seed tutorial's rows: torch.gather(x, 1, [[0, 0], [1, 0]]) is gather_nd with the tuples spelled out.
  const NDArray x = nd::array({1, 2, 3, 4}, Shape{2, 2});
  const NDArray tuples = nd::array({0, 0, 1, 1, 0, 0, 1, 0}, Shape{2, 2, 2});
  check_array(nd::gather_nd(x, tuples), {2, 2}, {1, 1, 4, 3});
  // torch.zeros(2, 4).scatter_(1, [[2], [3]], 1.23) is scatter_nd([1.23, 1.23], [[0, 1], [2, 3]], (2, 4)).
  const NDArray scattered = nd::scatter_nd(nd::array({1.23, 1.23}), nd::array({0, 1, 2, 3}, Shape{2, 2}), {2, 4});
  check_array(scattered, {2, 4}, {0, 0, 1.23, 0, 0, 0, 0, 1.23});
  // Repeated tuples: the last write wins.
  check_array(nd::scatter_nd(nd::array({1, 2}), nd::array({1, 1}, Shape{1, 2}), {3}), {3}, {0, 2, 0});
}

TEST_CASE("gather_nd and scatter_nd errors", "[operators][gather][errors]") {
  const NDArray x = nd::zeros({2, 3});
  CHECK_THROWS_WITH(nd::gather_nd(x, nd::zeros({3, 1})), Contains("gather_nd") && Contains("(3, 1)"));
  CHECK_THROWS_WITH(nd::scatter_nd(nd::zeros({4}), nd::zeros({1, 3}), {5}),
                    Contains("scatter_nd") && Contains("(3,)") && Contains("(4,)"));
  // Found while computing: the engine's OperatorError at the sync point, the IndexError nested in it.
  NDArray out_of_range = nd::gather_nd(x, nd::array({1, 3}, Shape{2, 1}));
  bool nested_index_error = false;
  try {
    out_of_range.wait_to_read();
  } catch (const OperatorError& e) {
    CHECK(e.op_name() == "gather_nd");
    try {
      std::rethrow_if_nested(e);
    } catch (const IndexError&) {
      nested_index_error = true;
    }
  }
  CHECK(nested_index_error);
  NDArray again = nd::gather_nd(x, nd::array({0, -4}, Shape{2, 1}));
  CHECK_THROWS_WITH(again.wait_to_read(), Contains("gather_nd") && Contains("-4") && Contains("(2, 3)"));
  // NaN and indices beyond int64 are refused too, not converted by an undefined cast.
  CHECK_THROWS_WITH(nd::gather_nd(x, nd::array({NAN, 0}, Shape{2, 1})).wait_to_read(), Contains("index NaN"));
  CHECK_THROWS_WITH(nd::gather_nd(x, nd::array({0, -1e30}, Shape{2, 1})).wait_to_read(),
                    Contains("gather_nd") && Contains("out of range"));
}

TEST_CASE("fmod keeps the dividend's sign, modulo the divisor's", "[operators][elemwise]") {
  const NDArray a = nd::array({-7, 7, -7, 7}), b = nd::array({3, -3, -3, 3});
  check_array(nd::fmod(a, b), {4}, {-1, 1, -1, 1});
  check_array(nd::modulo(a, b), {4}, {2, -2, -1, 1});
  check_array(nd::fmod(a, 3.0), {4}, {-1, 1, -1, 1});
}

TEST_CASE("norm takes any order, dist the norm of a difference", "[operators][reduce]") {
  const NDArray x = nd::array({3, -4, 0});
  const double inf = std::numeric_limits<double>::infinity();
  check_array(nd::norm(x), {}, {5});
  check_array(nd::norm(x, 1), {}, {7});
  check_array(nd::norm(x, 3), {}, {std::cbrt(91.0)}, 1e-6);
  check_array(nd::norm(x, inf), {}, {4});
  check_array(nd::norm(x, -inf), {}, {0});
  check_array(nd::norm(x, 0), {}, {2});
  check_array(nd::dist(x, nd::array({0, 0, 12})), {}, {13});
  CHECK_THROWS_WITH(nd::norm(x, std::nan("")), Contains("norm") && Contains("NaN"));
}

TEST_CASE("outer, addr and cross", "[operators][products]") {
  const NDArray u = nd::array({1, 2}), v = nd::array({3, 4, 5});
  check_array(nd::outer(u, v), {2, 3}, {3, 4, 5, 6, 8, 10});
  check_array(nd::addr(nd::ones({2, 3}), u, v, 2, 0.5), {2, 3}, {3.5, 4, 4.5, 5, 6, 7});
  check_array(nd::addr(nd::full({1}, std::nan("")), u, v, 0), {2, 3}, {3, 4, 5, 6, 8, 10});  // beta 0 ignores m
  check_array(nd::cross(nd::array({1, 0, 0}), nd::array({0, 1, 0})), {3}, {0, 0, 1});
  CHECK_THROWS_WITH(nd::cross(nd::zeros({2, 4}), nd::zeros({2, 4})), Contains("cross") && Contains("extent 3"));
  CHECK_THROWS_WITH(nd::addr(nd::zeros({3, 3}), u, v), Contains("addr"));
  CHECK_THROWS_AS(nd::outer(nd::zeros({2, 2}), v), ShapeError);
}

TEST_CASE("apply runs a C++ callable on every element, on an engine worker", "[operators][apply]") {
  NDArray x = nd::array({1, 2, 3, 4});
  check_array(nd::apply(x, [](double v) { return v * v + 1; }), {4}, {2, 5, 10, 17});
  nd::apply_(x, [](double v) { return -v; });
  check_array(x, {4}, {-1, -2, -3, -4});
  const NDArray ints = nd::array({1, 2}, Shape{2}, cpu(), DType::kInt32);
  const NDArray halved = nd::apply(ints, [](double v) { return v / 2; });
  CHECK(halved.dtype() == DType::kInt32);
  check_array(halved, {2}, {0, 1});
  // What the callable throws surfaces at the sync point.
  NDArray failed = nd::apply(x, [](double v) -> double {
    if (v < -3) throw std::domain_error("too small");
    return v;
  });
  CHECK_THROWS_WITH(failed.wait_to_read(), Contains("too small"));
  CHECK_THROWS_WITH(nd::apply(x, nullptr), Contains("apply"));
}

TEST_CASE("data_ptr gives the first element's address after pending work", "[operators][ndarray]") {
  NDArray x = nd::arange(4) * 2.0;  // pending when data_ptr is called
  float* p = x.data_ptr<float>();
  CHECK(p[3] == 6);
  p[0] = 42;
  check_array(x, {4}, {42, 2, 4, 6});
  CHECK(x.data_ptr() == static_cast<void*>(p));
  CHECK_THROWS_AS(x.data_ptr<double>(), DTypeError);
  CHECK(x.at(1).data_ptr<float>() == p + 1);  // a view starts where it starts
}
