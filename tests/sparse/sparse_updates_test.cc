// Optimizer updates with row-sparse gradients, against steps worked by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
namespace sp = mx::nd::sparse;

namespace {
NDArray weight() { return nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2}); }
// Only row 1 has a gradient: [10, 20].
RowSparseNDArray grad() { return sp::row_sparse_array({10, 20}, {1}, Shape{3, 2}); }
}  // namespace

TEST_CASE("a lazy SGD step touches only the rows the gradient stores, weight decay included") {
  NDArray w = weight();
  sp::optimizer_update(nd::UpdateRule::kSGD, w, grad(), {}, {.lr = 0.1, .wd = 0.1});
  // row 1: w - lr * (g + wd * w) = [3 - 0.1 * 10.3, 4 - 0.1 * 20.4]
  test::check_array(w, Shape{3, 2}, {1, 2, 1.97, 1.96, 5, 6}, 1e-5);
}

TEST_CASE("a step that is not lazy decays every row, as the dense update of the dense gradient") {
  NDArray w = weight();
  sp::optimizer_update(nd::UpdateRule::kSGD, w, grad(), {}, {.lr = 0.1, .wd = 0.1}, /*lazy_update=*/false);
  test::check_array(w, Shape{3, 2}, {0.99, 1.98, 1.97, 1.96, 4.95, 5.94}, 1e-5);
}

TEST_CASE("lazy momentum and Adam keep their states only for the rows stepped") {
  SECTION("momentum over two steps") {
    NDArray w = weight();
    std::vector<NDArray> states{nd::zeros({3, 2})};
    const nd::UpdateHyperParams h{.lr = 0.1, .wd = 0.1, .momentum = 0.9};
    sp::optimizer_update(nd::UpdateRule::kSGDMomentum, w, grad(), states, h);
    sp::optimizer_update(nd::UpdateRule::kSGDMomentum, w, grad(), states, h);
    // step 1: mom = -1.03, w = 1.97; step 2: mom = 0.9 * -1.03 - 0.1 * (10 + 0.197) = -1.9467, w = 0.0233
    // second column: mom = -2.04, w = 1.96; then 0.9 * -2.04 - 0.1 * (20 + 0.196) = -3.8556, w = -1.8956
    test::check_array(w, Shape{3, 2}, {1, 2, 0.0233, -1.8956, 5, 6}, 1e-5);
    test::check_array(states[0], Shape{3, 2}, {0, 0, -1.9467, -3.8556, 0, 0}, 1e-5);
  }
  SECTION("Adam") {
    NDArray w = weight();
    std::vector<NDArray> states{nd::zeros({3, 2}), nd::zeros({3, 2})};
    sp::optimizer_update(nd::UpdateRule::kAdam, w, grad(), states, {.lr = 0.01});
    // m = 0.1 g, v = 0.001 g^2: m / sqrt(v) = sqrt(10) for both columns
    const double step = 0.01 * std::sqrt(10.0);
    test::check_array(w, Shape{3, 2}, {1, 2, 3 - step, 4 - step, 5, 6}, 1e-5);
    test::check_array(states[0], Shape{3, 2}, {0, 0, 1, 2, 0, 0}, 1e-6);
    test::check_array(states[1], Shape{3, 2}, {0, 0, 0.1, 0.4, 0, 0}, 1e-5);
  }
}

TEST_CASE("sparse updates refuse what they cannot do, at the call") {
  NDArray w = weight();
  std::vector<NDArray> two{nd::zeros({3, 2}), nd::zeros({3, 2})};
  CHECK_THROWS_WITH(sp::optimizer_update(nd::UpdateRule::kLAMB, w, grad(), two, {}), Catch::Contains("LAMB"));
  CHECK_THROWS_WITH(sp::optimizer_update(nd::UpdateRule::kSGDMomentum, w, grad(), two, {}), Catch::Contains("takes 1 states"));
  NDArray narrow = nd::ones({3, 1});
  CHECK_THROWS_AS(sp::optimizer_update(nd::UpdateRule::kSGD, narrow, grad(), {}, {}), ShapeError);
  NDArray doubles = nd::ones({3, 2}, cpu(), DType::kFloat64);
  CHECK_THROWS_AS(sp::optimizer_update(nd::UpdateRule::kSGD, doubles, grad(), {}, {}), DTypeError);
  test::check_array(w, Shape{3, 2}, {1, 2, 3, 4, 5, 6});
}
