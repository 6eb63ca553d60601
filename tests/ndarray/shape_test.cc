// Shapes: printing, broadcasting as NumPy does it, and MXNet's reshape with its special values.
#include <catch2/catch.hpp>

#include <vector>

#include <mx/ndarray/error.h>
#include <mx/ndarray/shape.h>

using namespace mx;
using Catch::Matchers::Contains;

namespace {
Shape reshape(const Shape& from, std::vector<std::int64_t> spec) { return infer_reshape(from, spec); }
}  // namespace

TEST_CASE("shapes count and print as NumPy's tuples", "[ndarray][shape]") {
  CHECK(Shape{5, 3}.size() == 15);
  CHECK(Shape{}.size() == 1);
  CHECK(Shape{4, 0, 2}.size() == 0);
  CHECK(Shape{5, 3}.str() == "(5, 3)");
  CHECK(Shape{4}.str() == "(4,)");
  CHECK(Shape{}.str() == "()");
}

TEST_CASE("broadcasting aligns trailing axes and stretches extents of 1", "[ndarray][shape]") {
  CHECK(broadcast_shapes({5, 3}, {3}, "add") == Shape{5, 3});
  CHECK(broadcast_shapes({4, 1, 3}, {2, 1}, "add") == Shape{4, 2, 3});
  CHECK(broadcast_shapes({1}, {}, "add") == Shape{1});
  CHECK(broadcast_shapes({0, 3}, {1, 3}, "add") == Shape{0, 3});
  CHECK_THROWS_WITH(broadcast_shapes({2, 3}, {4}, "add"), Contains("add") && Contains("(2, 3)") && Contains("(4,)"));
  CHECK_THROWS_AS(broadcast_shapes({2, 3}, {3, 3}, "mul"), ShapeError);
}

TEST_CASE("axes count from either end and are checked", "[ndarray][shape]") {
  CHECK(normalize_axis(-1, 3, "sum") == 2);
  CHECK(normalize_axis(0, 3, "sum") == 0);
  CHECK_THROWS_WITH(normalize_axis(3, 3, "sum"), Contains("sum") && Contains("axis 3"));
  CHECK_THROWS_AS(normalize_axis(-4, 3, "sum"), ShapeError);
}

TEST_CASE("reshape infers 0 and -1 as MXNet does", "[ndarray][shape]") {
  CHECK(reshape({2, 3, 4}, {6, -1}) == Shape{6, 4});
  CHECK(reshape({2, 3, 4}, {0, -1}) == Shape{2, 12});
  CHECK(reshape({2, 3, 4}, {-1}) == Shape{24});
  CHECK(reshape({2, 3, 4}, {4, 0, 2}) == Shape{4, 3, 2});
  CHECK(reshape({6}, {2, 3}) == Shape{2, 3});
  CHECK_THROWS_WITH(reshape({2, 3}, {4, 2}), Contains("reshape") && Contains("(2, 3)") && Contains("(4, 2)"));
  CHECK_THROWS_WITH(reshape({2, 3}, {-1, -1}), Contains("more than once"));
  CHECK_THROWS_WITH(reshape({2, 3}, {4, -1}), Contains("do not divide"));
  CHECK_THROWS_AS(reshape({2, 3}, {0, 0, 0}), ShapeError);
  CHECK_THROWS_AS(reshape({2, 3}, {-2, 3}), ShapeError);
}

TEST_CASE("reshape's special values -2, -3 and -4, and reverse, as MXNet's documentation gives them",
          "[ndarray][shape]") {
  auto reshape_from_right = [](const Shape& from, std::vector<std::int64_t> spec) {
    return infer_reshape(from, spec, /*reverse=*/true);
  };
  CHECK(reshape({2, 3, 4}, {2, 0, 0}) == Shape{2, 3, 4});
  CHECK(reshape({2, 3, 4}, {6, 1, -1}) == Shape{6, 1, 4});
  CHECK(reshape({2, 3, 4}, {3, -1, 8}) == Shape{3, 1, 8});
  CHECK(reshape({2, 3, 4}, {-2}) == Shape{2, 3, 4});
  CHECK(reshape({2, 3, 4}, {2, -2}) == Shape{2, 3, 4});
  CHECK(reshape({2, 3, 4}, {-2, 1, 1}) == Shape{2, 3, 4, 1, 1});
  CHECK(reshape({2, 3, 4}, {-3, 4}) == Shape{6, 4});
  CHECK(reshape({2, 3, 4, 5}, {-3, -3}) == Shape{6, 20});
  CHECK(reshape({2, 3, 4}, {0, -3}) == Shape{2, 12});
  CHECK(reshape({2, 3, 4}, {-3, -2}) == Shape{6, 4});
  CHECK(reshape({2, 3, 4}, {-4, 1, 2, -2}) == Shape{1, 2, 3, 4});
  CHECK(reshape({2, 3, 4}, {2, -4, -1, 3, -2}) == Shape{2, 1, 3, 4});
  CHECK(reshape({10, 5, 4}, {-1, 0}) == Shape{40, 5});
  CHECK(reshape_from_right({10, 5, 4}, {-1, 0}) == Shape{50, 4});
  CHECK(reshape_from_right({2, 3, 4}, {-1, -3}) == Shape{2, 12});
  // Specs that do not fit say why.
  CHECK_THROWS_WITH(reshape({2, 3}, {-3, -3}), Contains("-3 has no input axis left"));
  CHECK_THROWS_WITH(reshape({2, 3, 4}, {-4, -1, -1, -2}), Contains("one of which may be -1"));
  CHECK_THROWS_WITH(reshape({2, 3, 4}, {-4, 4, -1, -2}), Contains("cannot split extent 2"));
  CHECK_THROWS_WITH(reshape({2, 3, 4}, {-4, 3, 1, -2}), Contains("into 3 x 1"));
  CHECK_THROWS_WITH(reshape({2, 3, 4}, {-4, 1}), Contains("-4 needs the two extents"));
  CHECK_THROWS_WITH(reshape({2, 3}, {-5}), Contains("special values"));
  CHECK_THROWS_WITH(reshape({2, 3}, {0, 0, 0}), Contains("0 has no input axis left"));
  CHECK_THROWS_WITH(reshape({2, 3}, {std::int64_t{1} << 40, std::int64_t{1} << 40}), Contains("overflow"));
  CHECK_THROWS_WITH(reshape_from_right({2, 3}, {4, -1}), Contains("(reverse)"));
}
