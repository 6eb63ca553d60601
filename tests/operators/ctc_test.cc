// CTCLoss against hand-counted alignments and against the sum over every path of a small alphabet, its edges
// (repeated labels, labels too long for their sequence, lengths), and its errors. Its gradient is checked by
// finite differences in tests/autograd/gradient_check_test.cc.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

namespace {

// -log of the total probability of every path of length T over C classes (C - 1 the blank) that collapses to
// `label` (repeats merged, then blanks removed), each path's probability the product of the steps' softmaxes.
double brute_force(const std::vector<double>& scores, std::int64_t steps, std::int64_t classes,
                   const std::vector<std::int64_t>& label) {
  std::vector<std::vector<double>> y(static_cast<std::size_t>(steps), std::vector<double>(static_cast<std::size_t>(classes)));
  for (std::int64_t t = 0; t < steps; ++t) {
    double total = 0;
    for (std::int64_t k = 0; k < classes; ++k) total += std::exp(scores[t * classes + k]);
    for (std::int64_t k = 0; k < classes; ++k) y[t][k] = std::exp(scores[t * classes + k]) / total;
  }
  double p = 0;
  std::vector<std::int64_t> path(static_cast<std::size_t>(steps), 0);
  std::function<void(std::int64_t, double)> walk = [&](std::int64_t t, double prob) {
    if (t == steps) {
      std::vector<std::int64_t> collapsed;
      for (std::int64_t i = 0; i < steps; ++i) {
        if (path[i] != classes - 1 && (i == 0 || path[i] != path[i - 1])) collapsed.push_back(path[i]);
      }
      if (collapsed == label) p += prob;
      return;
    }
    for (std::int64_t k = 0; k < classes; ++k) {
      path[t] = k;
      walk(t + 1, prob * y[t][k]);
    }
  };
  walk(0, 1);
  return -std::log(p);
}

}  // namespace

TEST_CASE("CTCLoss counts the alignments by hand", "[operators][ctc]") {
  // Two classes: 0 and the blank. Uniform scores give each path of T steps probability 2^-T.
  const auto uniform = [](std::int64_t steps, std::int64_t batch, std::int64_t classes) {
    return nd::zeros({steps, batch, classes});
  };
  // T = 1, label "0": the path "0" alone.
  check_array(nd::CTCLoss(nd::array({2.0, 0.5}, Shape{1, 1, 2}), nd::array({0.0}, Shape{1, 1})), {1},
              {-std::log(std::exp(2.0) / (std::exp(2.0) + std::exp(0.5)))});
  // T = 2, label "0": "00", "0-", "-0" of four paths.
  check_array(nd::CTCLoss(uniform(2, 1, 2), nd::array({0.0}, Shape{1, 1})), {1}, {-std::log(0.75)});
  // T = 3, label "00": only "0-0" (a repeat needs a blank between), 1 path of 8; T = 2 has none: infinite.
  check_array(nd::CTCLoss(uniform(3, 1, 2), nd::array({0.0, 0.0}, Shape{1, 2})), {1}, {-std::log(1.0 / 8)});
  CHECK(nd::CTCLoss(uniform(2, 1, 2), nd::array({0.0, 0.0}, Shape{1, 2})).asscalar<double>() ==
        std::numeric_limits<double>::infinity());
  // Three classes (0, 1, blank), T = 3, label "01": 001, 011, 01-, 0-1, -01 of 27.
  check_array(nd::CTCLoss(uniform(3, 1, 3), nd::array({0.0, 1.0}, Shape{1, 2})), {1}, {-std::log(5.0 / 27)});
  // An empty label: only blanks.
  check_array(nd::CTCLoss(uniform(3, 1, 3), nd::array({-1.0, -1.0}, Shape{1, 2})), {1}, {-std::log(1.0 / 27)});
}

TEST_CASE("CTCLoss equals the sum over every path, with padding and lengths", "[operators][ctc]") {
  const std::int64_t T = 5, N = 3, C = 4;
  random::seed(5);
  const NDArray data = nd::random::uniform(-2, 2, {T, N, C}, cpu(), DType::kFloat64);
  const std::vector<double> x = data.asnumpy<double>();
  // Sequence 0: "0 1 1" (a repeat); 1: "2" padded with -1; 2: "1 0" over its first 4 steps only.
  const NDArray label = nd::array({0, 1, 1, 2, -1, -1, 1, 0, -1}, Shape{3, 3});
  const std::vector<std::vector<std::int64_t>> labels = {{0, 1, 1}, {2}, {1, 0}};
  const std::vector<std::int64_t> lengths = {5, 5, 4};
  std::vector<double> expected;
  for (std::int64_t n = 0; n < N; ++n) {
    std::vector<double> scores;
    for (std::int64_t t = 0; t < lengths[n]; ++t)
      for (std::int64_t k = 0; k < C; ++k) scores.push_back(x[(t * N + n) * C + k]);
    expected.push_back(brute_force(scores, lengths[n], C, labels[n]));
  }
  const NDArray data_lengths = nd::array({5, 5, 4});
  check_array(nd::CTCLoss(data, label, data_lengths), {3}, expected, 1e-10);
  // The same with label lengths given instead of the padding (the padding then unread), and in float32.
  const NDArray counts = nd::array({3, 1, 2});
  check_array(nd::CTCLoss(data, nd::array({0, 1, 1, 2, 7, 7, 1, 0, 7}, Shape{3, 3}), data_lengths, counts), {3},
              expected, 1e-10);
  check_array(nd::CTCLoss(data.astype(DType::kFloat32), label, data_lengths), {3}, expected, 1e-5);

  // Gluon's loss: (N, T, C) and labels (N, L), weighted per sample.
  gluon::loss::CTCLoss loss_fn;
  check_array(loss_fn(nd::swapaxes(data, 0, 1), label, data_lengths, {}, nd::array({1, 2, 0.5}, std::nullopt, cpu(), DType::kFloat64)),
              {3}, {expected[0], 2 * expected[1], 0.5 * expected[2]}, 1e-10);
  gluon::loss::CTCLoss time_major({.layout = "TNC", .label_layout = "TN"});
  check_array(time_major(data, nd::swapaxes(label, 0, 1), data_lengths), {3}, expected, 1e-10);
}

TEST_CASE("CTCLoss's gradient is zero past a sequence's length and where no alignment fits", "[operators][ctc]") {
  NDArray data = nd::random::uniform(-1, 1, {3, 2, 3}, cpu(), DType::kFloat64);
  data.attach_grad();
  {
    autograd::record r;
    // Sequence 0 over its first 2 steps; sequence 1's label "0 0" needs 3 steps, it has 2.
    nd::CTCLoss(data, nd::array({0, 1, 0, 0}, Shape{2, 2}), nd::array({2, 2})).backward(nd::array({1, 1}, std::nullopt, cpu(), DType::kFloat64));
  }
  const std::vector<double> g = data.grad().asnumpy<double>();
  for (std::int64_t k = 0; k < 3; ++k) {
    CHECK(g[(2 * 2 + 0) * 3 + k] == 0);  // step 2 of sequence 0
    for (std::int64_t t = 0; t < 3; ++t) CHECK(g[(t * 2 + 1) * 3 + k] == 0);  // sequence 1
  }
  // At each step the gradient sums to zero over the classes (softmax minus a posterior distribution).
  for (std::int64_t t = 0; t < 2; ++t) CHECK(g[t * 6] + g[t * 6 + 1] + g[t * 6 + 2] == Approx(0).margin(1e-12));
}

TEST_CASE("CTCLoss refuses bad shapes at the call and bad labels at the sync point", "[operators][ctc]") {
  const NDArray data = nd::zeros({4, 2, 3});
  CHECK_THROWS_WITH(nd::CTCLoss(nd::zeros({4, 3}), nd::zeros({2, 1})), Contains("CTCLoss") && Contains("(4, 3)"));
  CHECK_THROWS_WITH(nd::CTCLoss(data, nd::zeros({3, 1})), Contains("CTCLoss") && Contains("(3, 1)"));
  CHECK_THROWS_WITH(nd::CTCLoss(data, nd::array({0, 2}, Shape{2, 1})).wait_to_read(),
                    Contains("CTCLoss") && Contains("sequence 1") && Contains("blank"));
  CHECK_THROWS_WITH(nd::CTCLoss(data, nd::zeros({2, 1}), nd::array({5, 4})).wait_to_read(),
                    Contains("CTCLoss") && Contains("sequence 0") && Contains("data length"));
  CHECK_THROWS_WITH(gluon::loss::CTCLoss({.layout = "NCT"}), Contains("CTCLoss") && Contains("NCT"));
}
