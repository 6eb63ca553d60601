// transpose, expand_dims, flatten, concat and split.
#include "test_util.h"

#include <mx/operators/symbolic.h>

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("transpose reverses or permutes axes", "[operators][shape]") {
  NDArray x = nd::arange(6).reshape({2, 3});
  check_array(x.T(), {3, 2}, {0, 3, 1, 4, 2, 5});
  NDArray cube = nd::arange(24).reshape({2, 3, 4});
  NDArray p = cube.transpose({1, 0, 2});
  REQUIRE(p.shape() == Shape{3, 2, 4});
  CHECK(test::values(p)[4] == 12);  // p[0][1][0] = cube[1][0][0]
  CHECK(test::values(cube.transpose({2, 0, 1}))[1] == 4);  // [0][0][1] = cube[0][1][0]
  CHECK(test::values(cube.T())[1] == 12);  // [0][0][1] = cube[1][0][0]
  CHECK_THROWS_WITH(cube.transpose({0, 0, 1}), Contains("repeats"));
  CHECK_THROWS_AS(cube.transpose({0, 1}), ShapeError);
}

TEST_CASE("transpose moves every element where its index says, in runs, tiles and odd sizes", "[operators][shape]") {
  // Extents that are not multiples of the 16 x 16 tiles, an axis of extent 1, axes that stay together (merged
  // into runs) and ones that move the innermost axis (tiles); elements of 1, 2, 4 and 8 bytes.
  const Shape shape{3, 17, 1, 19};
  const std::vector<std::vector<int>> permutations = {{3, 1, 0, 2}, {1, 0, 2, 3}, {0, 2, 1, 3}, {2, 3, 0, 1},
                                                      {1, 3, 2, 0}, {0, 1, 2, 3}};
  for (DType dtype : {DType::kUint8, DType::kFloat16, DType::kFloat32, DType::kFloat64}) {
    const NDArray x = (nd::arange(static_cast<double>(shape.size())) % 200).reshape(shape).astype(dtype);
    const std::vector<double> in = test::values(x);
    for (const std::vector<int>& axes : permutations) {
      INFO(dtype_name(dtype) << " axes " << axes[0] << axes[1] << axes[2] << axes[3]);
      const NDArray y = x.transpose(axes);
      const std::vector<double> out = test::values(y);
      REQUIRE(out.size() == in.size());
      std::int64_t index[4] = {}, mismatches = 0;
      for (std::size_t i = 0; i < out.size(); ++i) {
        std::int64_t rest = static_cast<std::int64_t>(i);
        for (int d = 3; d >= 0; --d) {  // y's index, then x's: x[axes[d]] = y[d]
          index[axes[static_cast<std::size_t>(d)]] = rest % y.shape()[d];
          rest /= y.shape()[d];
        }
        const std::int64_t source = ((index[0] * shape[1] + index[1]) * shape[2] + index[2]) * shape[3] + index[3];
        mismatches += out[i] != in[static_cast<std::size_t>(source)];
      }
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("expand_dims and flatten are views", "[operators][shape]") {
  NDArray x = nd::arange(6).reshape({2, 3});
  CHECK(x.expand_dims(0).shape() == Shape{1, 2, 3});
  CHECK(x.expand_dims(-1).shape() == Shape{2, 3, 1});
  CHECK(x.expand_dims(1).shares_storage_with(x));
  CHECK_THROWS_AS(x.expand_dims(4), ShapeError);
  NDArray images = nd::zeros({4, 1, 28, 28});
  CHECK(images.flatten().shape() == Shape{4, 784});
  CHECK(nd::zeros({5}).flatten().shape() == Shape{5, 1});
}

TEST_CASE("concat joins along an axis, split cuts into equal parts", "[operators][shape]") {
  NDArray a = nd::arange(4).reshape({2, 2});
  NDArray b = nd::array({9, 8}, Shape{2, 1});
  check_array(nd::concat({a, b}), {2, 3}, {0, 1, 9, 2, 3, 8});
  check_array(nd::concat({a, a}, 0), {4, 2}, {0, 1, 2, 3, 0, 1, 2, 3});
  CHECK_THROWS_WITH(nd::concat({a, b}, 0), Contains("concat") && Contains("(2, 1)"));
  NDArray x = nd::arange(12).reshape({2, 6});
  std::vector<NDArray> parts = nd::split(x, 3);
  REQUIRE(parts.size() == 3);
  check_array(parts[1], {2, 2}, {2, 3, 8, 9});
  std::vector<NDArray> rows = nd::split(x, 2, 0, true);
  check_array(rows[1], {6}, {6, 7, 8, 9, 10, 11});
  CHECK_THROWS_WITH(nd::split(x, 4), Contains("split") && Contains("4 equal parts"));
  CHECK_THROWS_WITH(nd::split(x, 0), Contains("num_outputs must be at least 1"));
  // From a symbol file, a negative count is refused before any output is made (the fuzzer found it).
  CHECK_THROWS_WITH(op::call_symbol_op("SliceChannel", {{"num_outputs", "-1"}}, std::vector<NDArray>{x}),
                    Contains("SliceChannel") && Contains("ask for -1 outputs"));
}

TEST_CASE("split_v2 cuts at given indices into parts of any extent", "[operators][shape]") {
  const NDArray x = nd::arange(14).reshape({7, 2});
  const std::vector<NDArray> parts = nd::split_v2(x, {2, 3, 3});
  REQUIRE(parts.size() == 4);
  check_array(parts[0], {2, 2}, {0, 1, 2, 3});
  check_array(parts[1], {1, 2}, {4, 5});
  CHECK(parts[2].shape() == Shape{0, 2});
  check_array(parts[3], {4, 2}, {6, 7, 8, 9, 10, 11, 12, 13});
  const std::vector<NDArray> columns = nd::split_v2(x, {1}, 1, true);
  check_array(columns[1], {7}, {1, 3, 5, 7, 9, 11, 13});
  CHECK_THROWS_WITH(nd::split_v2(x, {3, 2}), Contains("split_v2") && Contains("(0, 3, 2)") && Contains("(7, 2)"));
  CHECK_THROWS_WITH(nd::split_v2(x, {8}), Contains("split_v2") && Contains("(7, 2)"));
  CHECK_THROWS_WITH(nd::split_v2(x, {2}, 0, true), Contains("squeeze_axis"));
  // MXNet's attributes: indices led by 0, or sections.
  const auto by_indices = op::call_symbol_op("_split_v2", {{"indices", "(0, 5)"}, {"axis", "0"}, {"sections", "0"}},
                                             std::vector<NDArray>{x});
  REQUIRE(by_indices.size() == 2);
  check_array(by_indices[1], {2, 2}, {10, 11, 12, 13});
  const auto by_sections = op::call_symbol_op("_split_v2", {{"indices", "()"}, {"axis", "1"}, {"sections", "2"}},
                                              std::vector<NDArray>{x});
  REQUIRE(by_sections.size() == 2);
  check_array(by_sections[0], {7, 1}, {0, 2, 4, 6, 8, 10, 12});
}

TEST_CASE("slice_axis and broadcast_to check their arguments at the call", "[operators][shape][errors]") {
  NDArray x = nd::zeros({2, 5});
  CHECK_THROWS_AS(nd::slice_axis(x, 1, 3, 7), ShapeError);
  CHECK_THROWS_WITH(nd::slice_axis(x, 1, 4, 2), Contains("slice_axis") && Contains("(2, 5)"));
  CHECK_THROWS_WITH(nd::slice_axis(x, 2, 0, 1), Contains("axis"));
  CHECK(nd::slice_axis(x, 0, 1, 2).shape() == Shape{1, 5});
  CHECK_THROWS_WITH(nd::broadcast_to(x, {3, 5}), Contains("broadcast_to") && Contains("(2, 5)") && Contains("(3, 5)"));
  CHECK_THROWS_AS(nd::broadcast_to(x, {5}), ShapeError);
  CHECK(nd::broadcast_to(x, {2, 5}).shares_storage_with(x));  // already that shape: the array itself
}

TEST_CASE("layout functions refuse bad arguments at the call", "[operators][shape][errors]") {
  NDArray x = nd::zeros({2, 3});
  CHECK_THROWS_WITH(nd::squeeze(x, {1}), Contains("squeeze") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(nd::stack({x, nd::zeros({3, 2})}), Contains("stack") && Contains("(3, 2)"));
  CHECK_THROWS_WITH(nd::pad(x, {1, 1}), Contains("pad") && Contains("4"));
  CHECK_THROWS_WITH(nd::pad(x, {2, 0, 0, 0}, nd::PadMode::kReflect), Contains("reflect"));
  CHECK_THROWS_WITH(nd::diag(nd::zeros({2, 2, 2})), Contains("diag") && Contains("(2, 2, 2)"));
  CHECK_THROWS_WITH(nd::tril(nd::zeros({3})), Contains("tril"));
  CHECK_THROWS_AS(nd::tile(x, {-1}), ShapeError);
  CHECK_THROWS_AS(nd::swapaxes(x, 0, 2), ShapeError);
  CHECK(nd::diag(x, 5).shape() == Shape{0});
  CHECK(nd::squeeze(nd::zeros({1, 1})).shape() == Shape{});
}

TEST_CASE("take clips or wraps indices and checks its axis", "[operators][shape][take]") {
  NDArray table = nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  check_array(nd::take(table, nd::array({-1, 5})), {2, 2}, {1, 2, 5, 6});
  check_array(nd::take(table, nd::array({-1, 4}), 0, nd::IndexMode::kWrap), {2, 2}, {5, 6, 3, 4});
  check_array(nd::take(table, nd::array(std::vector<std::int32_t>{1})), {1, 2}, {3, 4});
  // NaN and indices beyond int64 are clipped too (NaN as 0), not converted by an undefined cast.
  check_array(nd::take(table, nd::array({NAN, 1e30, -1e30})), {3, 2}, {1, 2, 5, 6, 1, 2});
  check_array(nd::take_along_axis(table, nd::array({NAN, 1e30, -1e30}, Shape{3, 1}), 1), {3, 1}, {1, 4, 5});
  CHECK_THROWS_WITH(nd::take(table, nd::array({0}), 2), Contains("take") && Contains("axis"));
  CHECK_THROWS_WITH(nd::take(nd::zeros({0, 2}), nd::array({0})), Contains("empty"));
}

TEST_CASE("sorting keeps ties in order and checks k and index shapes", "[operators][shape][sort]") {
  check_array(nd::argsort(nd::array({2, 1, 2, 1})), {4}, {1, 3, 0, 2});       // stable
  check_array(nd::argsort(nd::array({2, 1, 2, 1}), 0, false), {4}, {0, 2, 1, 3});
  check_array(nd::topk(nd::array({5, 9, 1}), 0, 2, nd::TopkReturn::kBoth)[1], {2}, {1, 0});
  // NaN sorts as larger than every number (NumPy's order): last ascending, first descending, ties kept in order
  // (with `<` alone, topk put 3 before the second NaN).
  const NDArray with_nan = nd::array({3, NAN, 1, 2, NAN, 0, -INFINITY});
  check_array(nd::argsort(with_nan), {7}, {6, 5, 2, 3, 0, 1, 4});
  check_array(nd::argsort(with_nan, 0, false), {7}, {1, 4, 0, 3, 2, 5, 6});
  const std::vector<float> sorted = nd::sort(with_nan).asnumpy<float>();
  CHECK(std::vector<float>(sorted.begin(), sorted.begin() + 5) == std::vector<float>{-INFINITY, 0, 1, 2, 3});
  CHECK(std::isnan(sorted[5]));
  CHECK(std::isnan(sorted[6]));
  check_array(nd::topk(with_nan, 0, 3, nd::TopkReturn::kIndices)[0], {3}, {1, 4, 0});
  CHECK_THROWS_WITH(nd::topk(nd::zeros({2, 3}), 1, 4), Contains("topk") && Contains("k = 4"));
  CHECK_THROWS_WITH(nd::take_along_axis(nd::zeros({2, 3}), nd::zeros({3, 3}), 1),
                    Contains("take_along_axis") && Contains("(3, 3)"));
}
