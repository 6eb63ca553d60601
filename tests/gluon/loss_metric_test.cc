// Losses and metrics against hand-computed values.
#include <catch2/catch.hpp>

#include <cmath>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;
namespace loss = gluon::loss;

TEST_CASE("SoftmaxCrossEntropyLoss: sparse, dense and from logits", "[gluon][loss]") {
  const NDArray pred = nd::array({0, 0, 1, 2, 0, 0}, Shape{2, 3});
  const double lse0 = std::log(2 + std::exp(1.0)), lse1 = std::log(std::exp(2.0) + 2);
  check_array(loss::SoftmaxCrossEntropyLoss()(pred, nd::array({2, 1})), {2}, {lse0 - 1, lse1}, 1e-6);
  check_array(loss::SoftmaxCrossEntropyLoss({.sparse_label = false})(pred, nd::array({0, 0, 1, 0.5, 0.5, 0}, Shape{2, 3})),
              {2}, {lse0 - 1, lse1 - 1}, 1e-6);
  check_array(loss::SoftmaxCrossEntropyLoss({.from_logits = true})(pred, nd::array({2, 0})), {2}, {-1, -2});
  // Weights: the loss's own, and per sample.
  check_array(loss::SoftmaxCrossEntropyLoss({.weight = 2})(pred, nd::array({2, 1}), nd::array({1, 0}, Shape{2, 1})),
              {2}, {2 * (lse0 - 1), 0}, 1e-6);
}

TEST_CASE("regression and margin losses", "[gluon][loss]") {
  const NDArray pred = nd::array({1, 2, 3, 4}, Shape{2, 2}), label = nd::array({1, 0, 5, 4}, Shape{2, 2});
  check_array(loss::L2Loss()(pred, label), {2}, {(0 + 2) / 2.0, (2 + 0) / 2.0});
  check_array(loss::L1Loss()(pred, label), {2}, {1, 1});
  check_array(loss::HuberLoss(1)(pred, label), {2}, {(0 + 1.5) / 2, (1.5 + 0) / 2});
  const NDArray score = nd::array({0.5, -2}), sign = nd::array({1, 1});
  check_array(loss::HingeLoss()(score, sign), {2}, {0.5, 3});
  check_array(loss::SquaredHingeLoss()(score, sign), {2}, {0.25, 9});
  check_array(loss::LogisticLoss()(score, nd::array({1, -1})), {2}, {std::log1p(std::exp(-0.5)), std::log1p(std::exp(-2.0))}, 1e-6);
  check_array(loss::LogisticLoss("binary")(score, nd::array({1, 0})), {2}, {std::log1p(std::exp(-0.5)), std::log1p(std::exp(-2.0))}, 1e-6);
  check_array(loss::SigmoidBinaryCrossEntropyLoss()(nd::array({0, 2}), nd::array({1, 0})), {2},
              {std::log(2.0), 2 + std::log1p(std::exp(-2.0))}, 1e-6);
  check_array(loss::SigmoidBinaryCrossEntropyLoss(true)(nd::array({0.5, 0.25}), nd::array({1, 0})), {2},
              {-std::log(0.5), -std::log(0.75)}, 1e-6);
  // KL divergence of (0.5, 0.5) from log-probabilities log(0.25), log(0.75): mean over the two classes.
  const NDArray log_q = nd::log(nd::array({0.25, 0.75}, Shape{1, 2}));
  const double kl = 0.5 * std::log(0.5 / 0.25) + 0.5 * std::log(0.5 / 0.75);
  check_array(loss::KLDivLoss()(log_q, nd::array({0.5, 0.5}, Shape{1, 2})), {1}, {kl / 2}, 1e-6);
  check_array(loss::CosineEmbeddingLoss(0.1)(nd::array({1, 0, 1, 1}, Shape{2, 2}), nd::array({1, 0, 1, 0}, Shape{2, 2}),
                                             nd::array({1, -1})),
              {2}, {0, 1 / std::sqrt(2.0) - 0.1}, 1e-6);
  CHECK_THROWS_WITH(loss::L2Loss()(pred, nd::ones({3})), Contains("L2Loss") && Contains("(3,)"));
}

TEST_CASE("TripletLoss and PoissonNLLLoss against hand-computed values", "[gluon][loss]") {
  // Sample 0: |p - a|^2 = 1, |n - a|^2 = 4: max(0, 1 - 4 + 1) = 0. Sample 1: 4 + 0 - (0 + 1) + 1 = 4.
  const NDArray anchor = nd::array({0, 0, 1, 1}, Shape{2, 2});
  const NDArray positive = nd::array({1, 0, 3, 1}, Shape{2, 2}), negative = nd::array({0, 2, 1, 2}, Shape{2, 2});
  check_array(loss::TripletLoss()(anchor, positive, negative), {2}, {0, 4});
  check_array(loss::TripletLoss(4)(anchor, positive, negative, nd::array({1, 0.5})), {2}, {1, 3.5});
  CHECK_THROWS_WITH(loss::TripletLoss()(anchor, nd::ones({3}), negative), Contains("TripletLoss") && Contains("(3,)"));

  // From logits: exp(pred) - target pred, averaged over all four values.
  const NDArray log_rate = nd::array({0, 1, -1, 2}, Shape{2, 2}), counts = nd::array({1, 0, 2, 3}, Shape{2, 2});
  const double from_logits = (1 - 0 + std::exp(1.0) - 0 + std::exp(-1.0) + 2 + std::exp(2.0) - 6) / 4;
  check_array(loss::PoissonNLLLoss()(log_rate, counts), {1}, {from_logits}, 1e-6);
  // Rates: pred - target log(pred + 1e-8); with Stirling's term for the targets above 1 (2 and 3 here).
  const NDArray rate = nd::array({1, 0.5, 2, 4}, Shape{2, 2});
  const auto log_eps = [](double x) { return std::log(x + 1e-8); };
  const double plain = (1 - log_eps(1) + 0.5 + 2 - 2 * log_eps(2) + 4 - 3 * log_eps(4)) / 4;
  const auto stirling = [](double t) { return t * std::log(t) - t + 0.5 * std::log(2 * M_PI * t); };
  check_array(loss::PoissonNLLLoss({.from_logits = false})(rate, counts), {1}, {plain}, 1e-6);
  check_array(loss::PoissonNLLLoss({.from_logits = false, .compute_full = true})(rate, counts), {1},
              {plain + (stirling(2) + stirling(3)) / 4}, 1e-6);
}

TEST_CASE("classification metrics", "[gluon][metric]") {
  metric::Accuracy accuracy;
  CHECK(std::isnan(accuracy.get().second));
  accuracy.update(nd::array({0, 1, 1}), nd::array({0.9, 0.1, 0.3, 0.7, 0.6, 0.4}, Shape{3, 2}));
  accuracy.update({nd::array({1})}, {nd::array({0.2, 0.8}, Shape{1, 2})});
  CHECK(accuracy.get() == std::pair<std::string, double>{"accuracy", 0.75});
  accuracy.reset();
  accuracy.update(nd::array({2}), nd::array({2}));  // classes given directly
  CHECK(accuracy.get().second == 1);

  metric::TopKAccuracy top2(2);
  top2.update(nd::array({2, 0}), nd::array({0.1, 0.5, 0.4, 0.2, 0.3, 0.5}, Shape{2, 3}));
  CHECK(top2.get().second == 0.5);

  // labels 1 1 0 0 1, predictions 1 0 0 1 1: tp 2, fn 1, fp 1, tn 1.
  const NDArray labels = nd::array({1, 1, 0, 0, 1}), probs = nd::array({0.9, 0.2, 0.1, 0.7, 0.8});
  metric::F1 f1("micro");
  f1.update(labels, probs);
  CHECK(f1.get().second == Approx(2.0 / 3));
  metric::MCC mcc("micro");
  mcc.update(labels, probs);
  CHECK(mcc.get().second == Approx((2.0 * 1 - 1.0 * 1) / std::sqrt(3.0 * 3 * 2 * 2)));
  CHECK(mcc.get().first == "mcc");

  metric::CrossEntropy ce;
  ce.update(nd::array({1}), nd::array({0.25, 0.75}, Shape{1, 2}));
  CHECK(ce.get().second == Approx(-std::log(0.75)));
  metric::Perplexity perplexity(0);
  perplexity.update(nd::array({1, 0}), nd::array({0.25, 0.75, 0.5, 0.5}, Shape{2, 2}));
  CHECK(perplexity.get().second == Approx(1 / 0.75));
  metric::NegativeLogLikelihood nll;
  nll.update(nd::array({0, 1}), nd::array({0.5, 0.5, 0.2, 0.8}, Shape{2, 2}));
  CHECK(nll.get().first == "nll-loss");
  CHECK(nll.get().second == Approx((-std::log(0.5) - std::log(0.8)) / 2));
  CHECK_THROWS_WITH(accuracy.update(nd::array({1, 2}), nd::ones({3, 3})), Contains("accuracy"));
}

TEST_CASE("CustomMetric averages a function's values over the pairs, or its sums over its counts", "[gluon][metric]") {
  // The largest absolute error of each pair, averaged over the pairs.
  metric::CustomMetric worst([](const NDArray& label, const NDArray& pred) {
    return (label - pred).abs().max().asscalar<double>();
  }, "max-error");
  worst.update({nd::array({1, 2}), nd::array({0})}, {nd::array({1.5, 1}), nd::array({0.25})});
  CHECK(worst.get() == std::pair<std::string, double>{"max-error", (1 + 0.25) / 2});
  // Samples exactly right, counted per sample.
  metric::CustomMetric exact([](const NDArray& label, const NDArray& pred) {
    return std::pair<double, double>{(label == pred).sum().asscalar<double>(), static_cast<double>(label.size())};
  });
  exact.update(nd::array({1, 2, 3}), nd::array({1, 0, 3}));
  exact.update(nd::array({4}), nd::array({4}));
  CHECK(exact.get().second == Approx(0.75));
  auto copy = exact.clone();
  CHECK(std::isnan(copy->get().second));
  copy->update(nd::array({1}), nd::array({0}));
  CHECK(copy->get().second == 0);
  CHECK_THROWS_WITH(metric::CustomMetric(metric::CustomMetric::Value{}), Contains("CustomMetric"));
}

TEST_CASE("LSTMBias opens the forget gate, Mixed picks an initializer by name", "[gluon][init]") {
  gluon::rnn::LSTMCell cell(3, {.input_size = 2, .i2h_bias_initializer = init::LSTMBias(2.0)});
  cell.initialize(init::Zero());
  const std::vector<float> bias = cell.collect_params()["i2h_bias"].data().asnumpy<float>();
  CHECK(bias == std::vector<float>{0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0});

  gluon::nn::Sequential net;
  // (Dense's bias has an initializer of its own, zeros, unless told to take initialize()'s.)
  net.add(gluon::nn::Dense(2, "", {.bias_initializer = {}, .in_units = 3}), gluon::nn::Dense(1, "", {.in_units = 2}));
  net.initialize(init::Mixed({".*1\\.weight", ".*"}, {init::Constant(0.5), init::One()}));
  auto params = net.collect_params();
  CHECK(params["0.weight"].data().asnumpy<float>() == std::vector<float>(6, 1));
  CHECK(params["1.weight"].data().asnumpy<float>() == std::vector<float>(2, 0.5));
  // The chosen initializer keeps MXNet's name rules: a bias is zero whichever it is.
  CHECK(params["0.bias"].data().asnumpy<float>() == std::vector<float>(2, 0));
  gluon::nn::Dense lone(2, "", {.in_units = 2});
  CHECK_THROWS_WITH(lone.initialize(init::Mixed({".*bias"}, {init::Zero()})), Contains("matches none") && Contains("weight"));
  CHECK_THROWS_WITH(init::Mixed({"("}, {init::Zero()}), Contains("not a valid pattern"));
  CHECK_THROWS_WITH(init::Mixed({".*"}, {}), Contains("one initializer per pattern"));
}

TEST_CASE("regression metrics and composites", "[gluon][metric]") {
  const NDArray label = nd::array({1, 2, 3, 4}), pred = nd::array({2, 2, 1, 4});
  metric::MAE mae;
  mae.update(label, pred);
  CHECK(mae.get().second == 0.75);
  metric::MSE mse;
  mse.update(label, pred);
  CHECK(mse.get().second == 1.25);
  metric::RMSE rmse;
  rmse.update(label, pred);
  CHECK(rmse.get() == std::pair<std::string, double>{"rmse", std::sqrt(1.25)});
  metric::PearsonCorrelation r;
  r.update(label, nd::array({2, 4, 6, 8}));
  CHECK(r.get().second == Approx(1));
  metric::CompositeEvalMetric both;
  both.add(metric::MAE());
  both.add(metric::MSE());
  both.update(label, pred);
  const auto values = both.get_name_value();
  REQUIRE(values.size() == 2);
  CHECK(values[1] == std::pair<std::string, double>{"mse", 1.25});
  CHECK_THROWS_AS(mae.update(label, nd::ones({3})), ShapeError);
}

TEST_CASE("PCC is the multiclass Matthews correlation of the confusion matrix, MCC's value for two classes", "[gluon][metric]") {
  // Labels 0 0 1 1 2 2, predictions 0 1 1 1 2 0: by hand n = 6, 4 correct, t = (2, 2, 2), p = (2, 3, 1):
  // (6 * 4 - (4 + 6 + 2)) / sqrt((36 - 14) (36 - 12)) = 12 / sqrt(528).
  metric::PCC pcc;
  pcc.update(nd::array({0.0f, 0, 1, 1, 2, 2}, Shape{6}), nd::array({0.0f, 1, 1, 1, 2, 0}, Shape{6}));
  CHECK(pcc.get().first == "pcc");
  CHECK(pcc.get().second == Approx(12 / std::sqrt(528.0)));
  // Gathered over updates: the same samples in two batches, the second as scores (argmax per row).
  metric::PCC split;
  split.update(nd::array({0.0f, 0, 1}, Shape{3}), nd::array({0.0f, 1, 1}, Shape{3}));
  split.update(nd::array({1.0f, 2, 2}, Shape{3}),
               nd::array({0.1f, 0.8f, 0.1f, 0.0f, 0.2f, 0.7f, 0.6f, 0.3f, 0.1f}, Shape{3, 3}));
  CHECK(split.get().second == Approx(12 / std::sqrt(528.0)));
  // Two classes: tp 2, fn 1, fp 1, tn 1, so (2 * 1 - 1 * 1) / sqrt(3 * 3 * 2 * 2) = 1/6, as MCC.
  metric::PCC binary;
  metric::MCC mcc;
  const NDArray y = nd::array({1.0f, 0, 1, 1, 0}, Shape{5}), p = nd::array({1.0f, 0, 0, 1, 1}, Shape{5});
  binary.update(y, p);
  mcc.update(y, p);
  CHECK(binary.get().second == Approx(1.0 / 6));
  CHECK(mcc.get().second == Approx(1.0 / 6));
  binary.reset();
  CHECK(std::isnan(binary.get().second));
}

TEST_CASE("SDMLLoss pulls each pair's softmax over the batch towards the smoothed pairing", "[gluon][loss]") {
  // x1 = (0, 1), x2 = (0, 2) as (2, 1): distances (0, 4; 1, 1); smoothing 0.3 gives targets (0.7, 0.3; 0.3, 0.7).
  const NDArray x1 = nd::array({0.0f, 1.0f}, Shape{2, 1}), x2 = nd::array({0.0f, 2.0f}, Shape{2, 1});
  const NDArray loss = gluon::loss::SDMLLoss(0.3)(x1, x2);
  REQUIRE(loss.shape() == Shape{2});
  const double z0 = std::log(1 + std::exp(-4.0));  // row 0: log p = (-z0, -4 - z0); row 1: (-log 2, -log 2)
  auto kl = [](double t, double log_p) { return t * (std::log(t + 1e-12) - log_p); };
  const double row0 = kl(0.7, -z0) + kl(0.3, -4 - z0), row1 = kl(0.3, -std::log(2.0)) + kl(0.7, -std::log(2.0));
  test::check_array(loss, {2}, {row0, row1}, 1e-5);
  CHECK_THROWS_WITH(gluon::loss::SDMLLoss()(x1, nd::zeros({3, 1})), Contains("SDMLLoss") && Contains("(3, 1)"));
  CHECK_THROWS_WITH(gluon::loss::SDMLLoss(1.5), Contains("smoothing_parameter"));
}

TEST_CASE("metric::create makes MXNet's metrics by name", "[gluon][metric]") {
  CHECK(metric::create("acc")->name() == "accuracy");
  CHECK(metric::create("ce")->name() == "cross-entropy");
  CHECK(metric::create("nll_loss")->name() == "nll-loss");
  const auto both = metric::create(std::vector<std::string>{"acc", "ce"});
  both->update({nd::array({1, 0})}, {nd::array({0.2, 0.8, 0.6, 0.4}, Shape{2, 2})});
  const auto values = both->get_name_value();
  REQUIRE(values.size() == 2);
  CHECK(values[0] == std::pair<std::string, double>{"accuracy", 1.0});
  CHECK(values[1].first == "cross-entropy");
  CHECK(values[1].second == Approx(-(std::log(0.8) + std::log(0.6)) / 2).epsilon(1e-6));
  CHECK_THROWS_WITH(metric::create("accuracy2"), Contains("accuracy2") && Contains("top_k_accuracy"));
}
