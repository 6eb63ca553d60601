// clip, one_hot, pick, softmax, log_softmax and softmax_cross_entropy against hand-computed values.
#include <cmath>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("clip limits values", "[operators][nn]") {
  check_array(nd::array({-2, 0.5, 3}).clip(-1, 1), {3}, {-1, 0.5, 1});
  CHECK_THROWS_WITH(nd::clip(nd::ones({1}), 2, 1), Contains("clip"));
}

TEST_CASE("one_hot and pick", "[operators][nn]") {
  check_array(nd::one_hot(nd::array({0, 2, 5}), 3), {3, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0});
  check_array(nd::array({1}).one_hot(2, 5, -1), {1, 2}, {-1, 5});
  NDArray x = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  check_array(nd::pick(x, nd::array({2, 0})), {2}, {3, 4});
  check_array(nd::pick(x, nd::array({1, 1, 0}), 0), {3}, {4, 5, 3});
  check_array(nd::pick(x, nd::array({9, -3}), 1, true), {2, 1}, {3, 4});  // clipped into range
  CHECK_THROWS_WITH(nd::pick(x, nd::array({1, 2, 3})), Contains("pick") && Contains("(3,)"));
}

TEST_CASE("softmax and log_softmax are stable for large inputs", "[operators][nn]") {
  const double e = std::exp(1.0);
  NDArray x = nd::array({0, 1, 1000, 1001}, Shape{2, 2});
  check_array(x.softmax(), {2, 2}, {1 / (1 + e), e / (1 + e), 1 / (1 + e), e / (1 + e)});
  check_array(x.log_softmax(), {2, 2},
              {-std::log(1 + e), 1 - std::log(1 + e), -std::log(1 + e), 1 - std::log(1 + e)});
  check_array(nd::softmax(nd::array({0, 0, 1, 1}, Shape{2, 2}), 0), {2, 2},
              {1 / (1 + e), 1 / (1 + e), e / (1 + e), e / (1 + e)});
  CHECK_THROWS_AS(nd::softmax(nd::ones({2}, cpu(), DType::kInt32)), DTypeError);
}

TEST_CASE("softmax_cross_entropy sums -log softmax at the labels", "[operators][nn]") {
  NDArray logits = nd::array({0, 0, 0, 1, 2, 3}, Shape{2, 3});
  const double row0 = std::log(3.0), row1 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  check_array(nd::softmax_cross_entropy(logits, nd::array({1, 2})), {1}, {row0 + row1});
  CHECK_THROWS_WITH(nd::softmax_cross_entropy(logits, nd::array({1})),
                    Contains("softmax_cross_entropy") && Contains("(2, 3)") && Contains("(1,)"));
}
