// MXNet's imperative foreach, while_loop and cond on MXNet's documented examples, gradients through the steps,
// and errors; isinf, isfinite, isnan.
#include <catch2/catch.hpp>

#include <limits>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using nd::contrib::Arrays;

TEST_CASE("foreach runs its body over axis 0, stacking outputs and carrying states") {
  // MXNet's example: out = data[i] + states[0], states[0] doubled each step.
  const NDArray data = nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  const auto [outs, states] = nd::contrib::foreach(
      [](const Arrays& x, const Arrays& s) { return std::pair{Arrays{x[0] + s[0]}, Arrays{s[0] * 2.0}}; }, {data},
      {nd::array({10, 20}, Shape{2})});
  REQUIRE(outs.size() == 1);
  test::check_array(outs[0], {3, 2}, {11, 22, 23, 44, 45, 86});  // states 10 20, 20 40, 40 80
  test::check_array(states[0], {2}, {80, 160});

  // Two data arrays sliced together, two outputs.
  const auto [pair_outs, pair_states] = nd::contrib::foreach(
      [](const Arrays& x, const Arrays& s) { return std::pair{Arrays{x[0] * x[1], s[0]}, Arrays{s[0] + x[0]}}; },
      {nd::array({1, 2, 3}, Shape{3}), nd::array({4, 5, 6}, Shape{3})}, {nd::zeros({})});
  test::check_array(pair_outs[0], {3}, {4, 10, 18});
  test::check_array(pair_outs[1], {3}, {0, 1, 3});  // the state before each step
  test::check_array(pair_states[0], {}, {6});

  CHECK_THROWS_WITH(nd::contrib::foreach([](const Arrays& x, const Arrays&) { return std::pair{x, Arrays{}}; },
                                         {nd::ones({3}), nd::ones({2})}, {}),
                    Contains("foreach") && Contains("(3,)") && Contains("(2,)"));
  CHECK_THROWS_WITH(nd::contrib::foreach([](const Arrays& x, const Arrays&) { return std::pair{x, Arrays{}}; }, {nd::ones({3})},
                                         {nd::ones({1})}),
                    Contains("gave 0 states, step 0 1"));
}

TEST_CASE("foreach's gradient flows through every step") {
  // y = sum_i (x_i * s_i) with s_{i+1} = s_i * x_i, s_0 = w: for x = (2, 3), y = 2w + 3 * 2w = 8w, dy/dw = 8,
  // dy/dx_0 = w + 3w = 4w, dy/dx_1 = 2w.
  NDArray x = nd::array({2, 3}, Shape{2}), w = nd::array({1.5}, Shape{1});
  x.attach_grad();
  w.attach_grad();
  NDArray y;
  {
    autograd::record r;
    const auto [outs, states] = nd::contrib::foreach(
        [](const Arrays& xi, const Arrays& s) { return std::pair{Arrays{xi[0] * s[0]}, Arrays{s[0] * xi[0]}}; }, {x}, {w});
    y = nd::sum(outs[0]);
  }
  y.backward();
  test::check_array(w.grad(), {1}, {8});
  test::check_array(x.grad(), {2}, {6, 3});
}

TEST_CASE("while_loop steps while cond holds, padding the outputs to max_iterations") {
  // MXNet's example: cond i <= 5, func (i + s; i + 1, s + i) from i = 0, s = 1.
  const auto [outs, vars] = nd::contrib::while_loop(
      [](const Arrays& v) { return v[0] <= 5.0; },
      [](const Arrays& v) { return std::pair{Arrays{v[0] + v[1]}, Arrays{v[0] + 1.0, v[1] + v[0]}}; },
      {nd::array({0}, Shape{1}), nd::array({1}, Shape{1})}, 10);
  REQUIRE(outs.size() == 1);
  test::check_array(outs[0], {10, 1}, {1, 2, 4, 7, 11, 16, 0, 0, 0, 0});
  test::check_array(vars[0], {1}, {6});
  test::check_array(vars[1], {1}, {16});

  const auto [capped, capped_vars] = nd::contrib::while_loop(
      [](const Arrays&) { return nd::ones({1}); }, [](const Arrays& v) { return std::pair{Arrays{v[0]}, Arrays{v[0] * 2.0}}; },
      {nd::array({1}, Shape{1})}, 3);
  test::check_array(capped[0], {3, 1}, {1, 2, 4});
  test::check_array(capped_vars[0], {1}, {8});

  const auto [none, unchanged] = nd::contrib::while_loop(
      [](const Arrays&) { return nd::zeros({1}); }, [](const Arrays& v) { return std::pair{Arrays{v[0]}, v}; }, {nd::ones({2})}, 4);
  CHECK(none.empty());
  test::check_array(unchanged[0], {2}, {1, 1});

  CHECK_THROWS_WITH(nd::contrib::while_loop([](const Arrays&) { return nd::ones({1}); },
                                            [](const Arrays& v) { return std::pair{v, v}; }, {nd::ones({1})}, 0),
                    Contains("max_iterations"));
  CHECK_THROWS_WITH(nd::contrib::while_loop([](const Arrays&) { return nd::ones({2}); },
                                            [](const Arrays& v) { return std::pair{v, v}; }, {nd::ones({1})}, 2),
                    Contains("cond's result must be one value"));
}

TEST_CASE("cond runs the branch its predicate picks, and isinf, isfinite and isnan test each element") {
  // MXNet's example: a * b < 5 gives (a + 5) * (b + 5) = 42.
  const NDArray a = nd::array({1}, Shape{1}), b = nd::array({2}, Shape{1});
  const Arrays picked = nd::contrib::cond(
      a * b < 5.0, [&] { return Arrays{(a + 5.0) * (b + 5.0)}; }, [&] { return Arrays{(a - 5.0) * (b - 5.0)}; });
  test::check_array(picked[0], {1}, {42});
  const Arrays other = nd::contrib::cond(
      a * b > 5.0, [&] { return Arrays{(a + 5.0) * (b + 5.0)}; }, [&] { return Arrays{(a - 5.0) * (b - 5.0)}; });
  test::check_array(other[0], {1}, {12});

  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const NDArray x = nd::array({inf, -inf, nan, -1}, Shape{4});
  test::check_array(nd::contrib::isinf(x), {4}, {1, 1, 0, 0});
  test::check_array(nd::contrib::isfinite(x), {4}, {0, 0, 0, 1});
  test::check_array(nd::contrib::isnan(x), {4}, {0, 0, 1, 0});
}
