// Each optimizer's update rule against its formula written out here over several steps, the Trainer's
// rescaling, stale-gradient checks, multi-context sums and saved states, and the learning-rate schedules.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <functional>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace opt = gluon::optimizer;

namespace {

constexpr int kSteps = 4;
const std::vector<double> kStart = {0.5, -1.0, 2.0};
// The gradient of step t (from 1): varied in sign and size, with a zero to exercise the edge cases.
std::vector<double> gradient(int t) { return {0.1 * t, -0.3, t % 2 ? 0.0 : 0.7}; }

// One element's rule: (w, g, state, t) updates w and state.
using Rule = std::function<void(double& w, double g, std::vector<double>& s, int t)>;

void check_rule(opt::Optimizer& optimizer, int states, const Rule& rule) {
  NDArray weight = nd::array(std::span<const double>(kStart), std::nullopt, cpu(), DType::kFloat64);
  std::vector<NDArray> state = optimizer.create_state(weight);
  REQUIRE(static_cast<int>(state.size()) == states);
  std::vector<double> expected = kStart;
  std::vector<std::vector<double>> expected_state(kStart.size(), std::vector<double>(static_cast<std::size_t>(states), 0));
  for (int t = 1; t <= kSteps; ++t) {
    const std::vector<double> g = gradient(t);
    optimizer.update(0, weight, nd::array(std::span<const double>(g), std::nullopt, cpu(), DType::kFloat64), state);
    for (std::size_t i = 0; i < expected.size(); ++i) rule(expected[i], g[i], expected_state[i], t);
  }
  INFO(optimizer.name());
  test::check_array(weight, {3}, expected, 1e-9);
}

}  // namespace

TEST_CASE("each optimizer applies its rule", "[gluon][optimizer]") {
  const double lr = 0.1, wd = 0.01;
  SECTION("SGD, with and without momentum") {
    opt::SGD plain({.learning_rate = lr, .wd = wd});
    check_rule(plain, 0, [&](double& w, double g, auto&, int) { w -= lr * (g + wd * w); });
    opt::SGD momentum({.learning_rate = lr, .wd = wd}, 0.9);
    check_rule(momentum, 1, [&](double& w, double g, auto& s, int) {
      s[0] = 0.9 * s[0] - lr * (g + wd * w);
      w += s[0];
    });
  }
  SECTION("NAG") {
    opt::NAG nag({.learning_rate = lr, .wd = wd}, 0.9);
    check_rule(nag, 1, [&](double& w, double g, auto& s, int) {
      const double d = g + wd * w;
      s[0] = 0.9 * s[0] + d;
      w -= lr * (d + 0.9 * s[0]);
    });
  }
  SECTION("Adam and AdamW with bias correction") {
    auto adam_step = [&](double& w, double g, std::vector<double>& s, int t, bool decoupled) {
      const double d = decoupled ? g : g + wd * w;
      s[0] = 0.9 * s[0] + 0.1 * d;
      s[1] = 0.999 * s[1] + 0.001 * d * d;
      // MXNet's: both bias corrections fold into the rate.
      const double lr_t = lr * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
      w -= lr_t * s[0] / (std::sqrt(s[1]) + 1e-8) + (decoupled ? lr * wd * w : 0);
    };
    opt::Adam adam({.learning_rate = lr, .wd = wd});
    check_rule(adam, 2, [&](double& w, double g, auto& s, int t) { adam_step(w, g, s, t, false); });
    opt::AdamW adamw({.learning_rate = lr, .wd = wd});
    check_rule(adamw, 2, [&](double& w, double g, auto& s, int t) { adam_step(w, g, s, t, true); });
  }
  SECTION("RMSProp, AdaGrad, AdaDelta, Adamax") {
    opt::RMSProp rmsprop({.learning_rate = lr}, 0.9, 1e-8);
    check_rule(rmsprop, 1, [&](double& w, double g, auto& s, int) {
      s[0] = 0.9 * s[0] + 0.1 * g * g;
      w -= lr * g / std::sqrt(s[0] + 1e-8);
    });
    opt::AdaGrad adagrad({.learning_rate = lr}, 1e-7);
    check_rule(adagrad, 1, [&](double& w, double g, auto& s, int) {
      s[0] += g * g;
      w -= lr * g / (std::sqrt(s[0]) + 1e-7);
    });
    opt::AdaDelta adadelta({.learning_rate = 1}, 0.9, 1e-5);
    check_rule(adadelta, 2, [&](double& w, double g, auto& s, int) {
      s[0] = 0.9 * s[0] + 0.1 * g * g;
      const double delta = std::sqrt(s[1] + 1e-5) / std::sqrt(s[0] + 1e-5) * g;
      s[1] = 0.9 * s[1] + 0.1 * delta * delta;
      w -= delta;
    });
    opt::Adamax adamax({.learning_rate = lr});
    check_rule(adamax, 2, [&](double& w, double g, auto& s, int t) {
      s[0] = 0.9 * s[0] + 0.1 * g;
      s[1] = std::max(0.999 * s[1], std::abs(g));
      w -= lr / (1 - std::pow(0.9, t)) * s[0] / (s[1] + 1e-8);
    });
  }
  SECTION("Signum and signSGD, Ftrl") {
    const auto sign = [](double v) { return static_cast<double>((v > 0) - (v < 0)); };
    opt::Signum signum({.learning_rate = lr, .wd = wd}, 0.9);
    check_rule(signum, 1, [&](double& w, double g, auto& s, int) {
      s[0] = 0.9 * s[0] - 0.1 * (g + wd * w);
      w += lr * sign(s[0]);
    });
    opt::Signum sign_sgd({.learning_rate = lr, .wd = wd}, 0);
    check_rule(sign_sgd, 1, [&](double& w, double g, auto&, int) { w -= lr * sign(g + wd * w); });
    opt::Ftrl ftrl({.learning_rate = lr, .wd = wd}, 0.05, 1.5);
    check_rule(ftrl, 2, [&](double& w, double g, auto& s, int) {
      s[0] += g - (std::sqrt(s[1] + g * g) - std::sqrt(s[1])) * w / lr;
      s[1] += g * g;
      w = std::abs(s[0]) > 0.05 ? (sign(s[0]) * 0.05 - s[0]) / ((1.5 + std::sqrt(s[1])) / lr + wd) : 0.0;
    });
  }
  SECTION("Nadam") {
    // Dozat's rule with MXNet's warming schedule, the running product of the momenta kept here.
    const auto mu = [](int t) { return 0.9 * (1 - 0.5 * std::pow(0.96, t * 0.004)); };
    opt::Nadam nadam({.learning_rate = lr, .wd = wd});
    check_rule(nadam, 2, [&](double& w, double g, auto& s, int t) {
      double product = 1;
      for (int i = 1; i <= t; ++i) product *= mu(i);
      const double d = g + wd * w;
      s[0] = 0.9 * s[0] + 0.1 * d;
      s[1] = 0.999 * s[1] + 0.001 * d * d;
      const double g_hat = d / (1 - product), m_hat = s[0] / (1 - product * mu(t + 1));
      const double v_hat = s[1] / (1 - std::pow(0.999, t));
      w -= lr * ((1 - mu(t)) * g_hat + mu(t + 1) * m_hat) / (std::sqrt(v_hat) + 1e-8);
    });
  }
  SECTION("centered RMSProp (Graves) and clipped weights") {
    opt::RMSProp centered({.learning_rate = lr, .wd = wd}, {.gamma1 = 0.8, .gamma2 = 0.7, .epsilon = 1e-6, .centered = true});
    check_rule(centered, 3, [&](double& w, double g, auto& s, int) {
      const double d = g + wd * w;
      s[0] = 0.8 * s[0] + 0.2 * d * d;
      s[1] = 0.8 * s[1] + 0.2 * d;
      s[2] = 0.7 * s[2] - lr * d / std::sqrt(s[0] - s[1] * s[1] + 1e-6);
      w += s[2];
    });
    opt::RMSProp clipped({.learning_rate = 1, .wd = wd}, {.clip_weights = 0.6});
    check_rule(clipped, 1, [&](double& w, double g, auto& s, int) {
      const double d = g + wd * w;
      s[0] = 0.9 * s[0] + 0.1 * d * d;
      w = std::clamp(w - d / std::sqrt(s[0] + 1e-8), -0.6, 0.6);
    });
  }
  SECTION("FTML") {
    opt::FTML ftml({.learning_rate = lr, .wd = wd});
    check_rule(ftml, 3, [&](double& w, double g, auto& s, int t) {
      // s: d of the previous step, v, z.
      const double d_grad = g + wd * w;
      s[1] = 0.999 * s[1] + 0.001 * d_grad * d_grad;
      const double d = (1 - std::pow(0.6, t)) / lr * (std::sqrt(s[1] / (1 - std::pow(0.999, t))) + 1e-8);
      s[2] = 0.6 * s[2] + 0.4 * d_grad - (d - 0.6 * s[0]) * w;
      s[0] = d;
      w = -s[2] / d;
    });
    // Decay is added before the gradient is clipped.
    opt::FTML clipped({.learning_rate = lr, .wd = 0.5, .clip_gradient = 0.2});
    check_rule(clipped, 3, [&](double& w, double g, auto& s, int t) {
      const double d_grad = std::clamp(g + 0.5 * w, -0.2, 0.2);
      s[1] = 0.999 * s[1] + 0.001 * d_grad * d_grad;
      const double d = (1 - std::pow(0.6, t)) / lr * (std::sqrt(s[1] / (1 - std::pow(0.999, t))) + 1e-8);
      s[2] = 0.6 * s[2] + 0.4 * d_grad - (d - 0.6 * s[0]) * w;
      s[0] = d;
      w = -s[2] / d;
    });
  }
  SECTION("DCASGD, its previous weight starting as the weight") {
    opt::DCASGD dcasgd({.learning_rate = lr, .wd = wd}, 0.9, 0.5);
    check_rule(dcasgd, 2, [&](double& w, double g, auto& s, int t) {
      if (t == 1) s[1] = w;
      s[0] = 0.9 * s[0] - lr * (g + wd * w + 0.5 * g * g * (w - s[1]));
      s[1] = w;
      w += s[0];
    });
    NDArray weight = nd::array(std::span<const double>(kStart), std::nullopt, cpu(), DType::kFloat64);
    CHECK(dcasgd.create_state(weight)[1].asnumpy<double>() == kStart);
  }
  SECTION("rescale_grad and clip_gradient come first") {
    opt::SGD clipped({.learning_rate = 1, .rescale_grad = 2, .clip_gradient = 0.5});
    check_rule(clipped, 0, [&](double& w, double g, auto&, int) { w -= std::clamp(2 * g, -0.5, 0.5); });
  }
}

TEST_CASE("LAMB scales Adam's step by the trust ratio of the whole weight", "[gluon][optimizer]") {
  opt::LAMB lamb({.learning_rate = 0.1, .wd = 0.01});
  NDArray weight = nd::array(std::span<const double>(kStart), std::nullopt, cpu(), DType::kFloat64);
  std::vector<NDArray> state = lamb.create_state(weight);
  std::vector<double> w = kStart, m(3, 0), v(3, 0);
  for (int t = 1; t <= kSteps; ++t) {
    const std::vector<double> g = gradient(t);
    lamb.update(0, weight, nd::array(std::span<const double>(g), std::nullopt, cpu(), DType::kFloat64), state);
    std::vector<double> r(3);
    double w_norm = 0, r_norm = 0;
    for (int i = 0; i < 3; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      r[i] = (m[i] / (1 - std::pow(0.9, t))) / (std::sqrt(v[i] / (1 - std::pow(0.999, t))) + 1e-6) + 0.01 * w[i];
      w_norm += w[i] * w[i];
      r_norm += r[i] * r[i];
    }
    const double ratio = std::sqrt(w_norm) / std::sqrt(r_norm);
    for (int i = 0; i < 3; ++i) w[i] -= 0.1 * ratio * r[i];
  }
  test::check_array(weight, {3}, w, 1e-9);
}

TEST_CASE("LARS scales each weight's rate by eta |w| / (|g| + wd |w|), biases excepted", "[gluon][optimizer]") {
  const double lr = 0.1, wd = 0.01, eta = 0.5;
  for (bool bias : {false, true}) {
    INFO("named a bias: " << bias);
    opt::LARS lars({.learning_rate = lr, .wd = wd, .rescale_grad = 0.5}, {.momentum = 0.9, .eta = eta, .epsilon = 1e-9});
    lars.set_param_info(0, {bias ? "dense0_bias" : "dense0_weight"});
    NDArray weight = nd::array(std::span<const double>(kStart), std::nullopt, cpu(), DType::kFloat64);
    std::vector<NDArray> state = lars.create_state(weight);
    REQUIRE(state.size() == 1);
    std::vector<double> w = kStart, m(3, 0);
    for (int t = 1; t <= kSteps; ++t) {
      const std::vector<double> g = gradient(t);
      lars.update(0, weight, nd::array(std::span<const double>(g), std::nullopt, cpu(), DType::kFloat64), state);
      double w_norm = 0, g_norm = 0;
      for (int i = 0; i < 3; ++i) {
        w_norm += w[i] * w[i];
        g_norm += 0.25 * g[i] * g[i];
      }
      w_norm = std::sqrt(w_norm);
      g_norm = std::sqrt(g_norm);
      const double rate = bias ? lr : lr * eta * w_norm / (g_norm + wd * w_norm + 1e-9);
      for (int i = 0; i < 3; ++i) {
        m[i] = 0.9 * m[i] - rate * (0.5 * g[i] + wd * w[i]);
        w[i] += m[i];
      }
    }
    test::check_array(weight, {3}, w, 1e-9);
  }
  // A zero weight keeps the plain rate (MXNet's: the ratio is then 1).
  opt::LARS plain({.learning_rate = lr}, {.eta = eta});
  NDArray zero = nd::zeros({2}, cpu(), DType::kFloat64);
  std::vector<NDArray> none = plain.create_state(zero);
  plain.update(0, zero, nd::array({1.0, -2.0}, std::nullopt, cpu(), DType::kFloat64), none);
  test::check_array(zero, {2}, {-0.1, 0.2}, 1e-12);
}

TEST_CASE("LARS's momentum follows a scheduled change of rate", "[gluon][optimizer]") {
  auto schedule = std::make_shared<lr_scheduler::FactorScheduler>(1, 0.5);  // halves the rate at every update
  opt::LARS lars({.learning_rate = 1, .lr_scheduler = schedule}, {.momentum = 0.9, .eta = 1});
  lars.set_param_info(0, {"bias"});  // the plain rate, so that only the correction is seen
  NDArray weight = nd::zeros({1}, cpu(), DType::kFloat64);
  std::vector<NDArray> state = lars.create_state(weight);
  double w = 0, m = 0, last = 0;
  for (int t = 1; t <= 3; ++t) {
    const double rate = std::pow(0.5, t - 1);
    lars.update(0, weight, nd::ones({1}, cpu(), DType::kFloat64), state);
    m = (t == 1 ? 0.9 : 0.9 * rate / last) * m - rate;
    last = rate;
    w += m;
  }
  test::check_array(weight, {1}, {w}, 1e-12);
}

TEST_CASE("SGLD takes half a gradient step plus noise of variance lr", "[gluon][optimizer]") {
  const double lr = 0.04;
  opt::SGLD sgld({.learning_rate = lr, .wd = 0.5});
  const std::int64_t n = 200000;
  NDArray weight = nd::ones({n}, cpu(), DType::kFloat64);
  std::vector<NDArray> none = sgld.create_state(weight);
  CHECK(none.empty());
  random::seed(1);
  sgld.update(0, weight, nd::full({n}, 3.0, cpu(), DType::kFloat64), none);
  const NDArray change = weight - 1.0;
  // Mean -lr / 2 (3 + 0.5): -0.07; standard deviation sqrt(lr): 0.2 (the mean's error about 0.0005).
  CHECK(change.mean().asscalar<double>() == Approx(-0.07).margin(0.002));
  CHECK(nd::std(change).asscalar<double>() == Approx(0.2).margin(0.002));
  // The seed repeats the noise.
  NDArray again = nd::ones({n}, cpu(), DType::kFloat64);
  random::seed(1);
  sgld.update(0, again, nd::full({n}, 3.0, cpu(), DType::kFloat64), none);
  CHECK(again.asnumpy<double>() == weight.asnumpy<double>());
}

TEST_CASE("LARS and SGLD leave every copy of a weight alike", "[gluon][optimizer]") {
  // LARS's momentum corrected once per update, not once per copy; SGLD's noise drawn once and added to each.
  auto schedule = std::make_shared<lr_scheduler::FactorScheduler>(1, 0.5);
  for (std::shared_ptr<opt::Optimizer> optimizer :
       {std::shared_ptr<opt::Optimizer>(std::make_shared<opt::LARS>(opt::OptimizerOptions{.learning_rate = 1, .lr_scheduler = schedule},
                                                                    opt::LARSParams{.momentum = 0.9, .eta = 0.1})),
        std::shared_ptr<opt::Optimizer>(std::make_shared<opt::SGLD>(opt::OptimizerOptions{.learning_rate = 0.1}))}) {
    INFO(optimizer->name());
    const std::vector<NDArray> copies = {nd::ones({5}, cpu(0)), nd::ones({5}, cpu(1))};
    const std::vector<NDArray> grads = {nd::full({5}, 0.5, cpu(0)), nd::full({5}, 0.5, cpu(1))};
    std::vector<std::vector<NDArray>> states = {optimizer->create_state(copies[0]), optimizer->create_state(copies[1])};
    for (int step = 0; step < 3; ++step) optimizer->update(0, copies, grads, states);
    CHECK(copies[0].asnumpy<float>() == copies[1].asnumpy<float>());
    CHECK(copies[0].asnumpy<float>() != nd::ones({5}).asnumpy<float>());
  }
}

TEST_CASE("create builds optimizers by name and rejects unknown names and options", "[gluon][optimizer]") {
  CHECK(opt::create("adam")->name() == "adam");
  CHECK(opt::create("signum", {{"momentum", 0.5}})->name() == "signum");
  CHECK(opt::create("nadam", {{"schedule_decay", 0.01}})->learning_rate() == 0.001);
  CHECK(opt::create("ftrl", {{"lamda1", 0.1}, {"beta", 2}})->learning_rate() == 0.1);  // MXNet's default rate
  CHECK(opt::create("sgd", {{"learning_rate", 0.5}})->learning_rate() == 0.5);
  CHECK(opt::create("ftml")->name() == "ftml");
  CHECK(opt::create("lars", {{"momentum", 0.9}, {"eta", 0.01}, {"momentum_correction", 0}})->name() == "lars");
  CHECK(opt::create("sgld")->learning_rate() == 0.01);
  CHECK(opt::create("dcasgd", {{"momentum", 0.9}, {"lamda", 0.1}})->learning_rate() == 0.01);
  NDArray weight = nd::ones({2});
  CHECK(opt::create("rmsprop", {{"centered", 1}, {"gamma2", 0.5}})->create_state(weight).size() == 3);
  CHECK(opt::create("rmsprop", {{"clip_weights", 1}})->create_state(weight).size() == 1);
  CHECK_THROWS_WITH(opt::create("rmsprop", {{"centered", 2}}), Contains("centered must be 0 or 1"));
  CHECK_THROWS_WITH(opt::create("sgdd"), Contains("sgdd") && Contains("adam"));
  CHECK_THROWS_WITH(opt::create("sgd", {{"beta1", 0.9}}), Contains("beta1") && Contains("momentum"));
}

namespace {
// A one-parameter "network": loss = sum(w * c), so dloss/dw = c.
struct Linear {
  gluon::Parameter w{"weight", {3}};
  gluon::ParameterDict params() const {
    gluon::ParameterDict d;
    d.add("weight", w);
    return d;
  }
  void backward(const std::vector<double>& c, Context ctx = cpu()) {
    NDArray loss;
    {
      autograd::record r;
      loss = (w.data(ctx) * nd::array(std::span<const double>(c), std::nullopt, ctx)).sum();
    }
    loss.backward();
  }
};
}  // namespace

TEST_CASE("Trainer rescales by the batch size and refuses stale gradients", "[gluon][trainer]") {
  Linear net;
  net.w.initialize(init::One());
  gluon::Trainer trainer(net.params(), "sgd", {{"learning_rate", 0.5}});
  net.backward({2, 4, 6});
  trainer.step(2);
  test::check_array(net.w.data(), {3}, {0.5, 0, -0.5});
  CHECK_THROWS_WITH(trainer.step(2), Contains("weight") && Contains("ignore_stale_grad"));
  trainer.step(2, /*ignore_stale_grad=*/true);  // skipped
  test::check_array(net.w.data(), {3}, {0.5, 0, -0.5});
  trainer.set_learning_rate(1);
  CHECK(trainer.learning_rate() == 1);
  net.backward({1, 1, 1});
  trainer.step(1);
  test::check_array(net.w.data(), {3}, {-0.5, -1, -1.5});
}

TEST_CASE("Trainer sums gradients over contexts and keeps the copies equal", "[gluon][trainer]") {
  Linear net;
  net.w.initialize(init::Zero(), {cpu(0), cpu(1)});
  gluon::Trainer trainer(net.params(), "sgd", {{"learning_rate", 1}});
  net.backward({1, 2, 3}, cpu(0));
  net.backward({3, 2, 1}, cpu(1));
  trainer.step(4);
  for (Context ctx : {cpu(0), cpu(1)}) test::check_array(net.w.data(ctx), {3}, {-1, -1, -1});
}

TEST_CASE("Trainer saves and loads its optimizer states", "[gluon][trainer]") {
  const std::string path = (std::filesystem::temp_directory_path() / "mxpp_trainer.states").string();
  Linear a, b;
  a.w.initialize(init::One());
  b.w.initialize(init::One());
  gluon::Trainer ta(a.params(), "adam", {{"learning_rate", 0.1}}), tb(b.params(), "adam", {{"learning_rate", 0.1}});
  for (int step = 0; step < 3; ++step) {
    a.backward({1, -1, 0.5});
    ta.step(1);
  }
  ta.save_states(path);
  b.w.set_data(a.w.data());
  tb.load_states(path);
  a.backward({0.3, 0.2, 0.1});
  ta.step(1);
  b.backward({0.3, 0.2, 0.1});
  tb.step(1);
  CHECK(b.w.data().asnumpy<float>() == a.w.data().asnumpy<float>());
  std::filesystem::remove(path);
}

TEST_CASE("learning-rate schedules", "[gluon][lr_scheduler]") {
  namespace lrs = gluon::lr_scheduler;
  lrs::FactorScheduler factor(10, 0.5, 0.1, 1.0);
  CHECK(factor(1) == 1.0);
  CHECK(factor(10) == 1.0);
  CHECK(factor(11) == 0.5);
  CHECK(factor(31) == 0.125);
  CHECK(factor(1000) == 0.1);  // never below stop_factor_lr
  lrs::MultiFactorScheduler multi({5, 8}, 0.1, 1.0);
  CHECK(multi(5) == 1.0);
  CHECK(multi(6) == Approx(0.1));
  CHECK(multi(9) == Approx(0.01));
  lrs::PolyScheduler poly(100, 1.0, 2, 0.0, {.warmup_steps = 10, .warmup_begin_lr = 0.0});
  CHECK(poly(5) == Approx(0.5));  // linear warm-up
  CHECK(poly(55) == Approx(0.25));
  lrs::CosineScheduler cosine(100, 1.0, 0.0);
  CHECK(cosine(50) == Approx(0.5));
  CHECK(cosine(100) == Approx(0).margin(1e-12));
  auto scheduled = std::make_shared<lrs::FactorScheduler>(1, 0.5);
  opt::SGD sgd({.learning_rate = 0.8, .lr_scheduler = scheduled});
  CHECK(sgd.learning_rate() == 0.8);
  CHECK_THROWS_WITH(sgd.set_learning_rate(0.1), Contains("lr_scheduler"));
}

TEST_CASE("Trainer scales each parameter's rate and decay by its lr_mult and wd_mult", "[gluon][trainer]") {
  // Two layers' worth: a weight with its rate halved, a bias without decay, and a frozen one (lr_mult 0).
  for (bool on_kvstore : {false, true}) {
    INFO("update on kvstore: " << on_kvstore);
    gluon::Parameter weight("weight", {2}, {.lr_mult = 0.5}), bias("bias", {2}), frozen("frozen", {2});
    gluon::ParameterDict params;
    params.add("dense.weight", weight);
    params.add("dense.bias", bias);
    params.add("frozen.weight", frozen);
    params.initialize(init::One(), {cpu(0), cpu(1)});
    bias.set_data(nd::ones({2}));  // initializers start biases at 0, where decay would not show
    params.select(".*bias").setattr("wd_mult", 0);
    frozen.set_lr_mult(0);
    CHECK(weight.lr_mult() == 0.5);
    CHECK(bias.wd_mult() == 0);
    gluon::Trainer trainer(params, "sgd", {{"learning_rate", 0.1}, {"wd", 0.2}}, "device", std::nullopt, on_kvstore);
    for (Context ctx : {cpu(0), cpu(1)}) {
      autograd::record r;
      autograd::backward({(weight.data(ctx) * 3.0 + bias.data(ctx) * 5.0 + frozen.data(ctx) * 7.0).sum()});
    }
    trainer.step(2);  // each gradient summed over both contexts and divided by 2: 3, 5 and 7
    for (Context ctx : {cpu(0), cpu(1)}) {
      test::check_array(weight.data(ctx), {2}, std::vector<double>(2, 1 - 0.05 * (3 + 0.2)), 1e-6);
      test::check_array(bias.data(ctx), {2}, std::vector<double>(2, 1 - 0.1 * 5), 1e-6);
      test::check_array(frozen.data(ctx), {2}, std::vector<double>(2, 1.0), 1e-6);
    }
  }
  gluon::ParameterDict params;
  CHECK_THROWS_WITH(params.setattr("momentum", 1), Contains("momentum") && Contains("lr_mult"));
}

TEST_CASE("multi_precision keeps a float32 copy of 16-bit weights, so that small steps add up", "[gluon][optimizer]") {
  // w = 1 in float16, 20 steps of lr 1 and gradient 2^-13. Each step alone is below float16's resolution at 1
  // (2^-11 below it): 1 - 2^-13 rounds back to 1, so without the copy w never moves. With it the copy reaches
  // 1 - 20 * 2^-13 = 0.99755859375 exactly, which is 1 - 5 * 2^-11, a float16 value.
  const NDArray grad = nd::full({2}, std::ldexp(1.0, -13), cpu(), DType::kFloat16);
  for (const bool multi : {false, true}) {
    INFO("multi_precision " << multi);
    auto sgd = optimizer::create("sgd", {{"learning_rate", 1.0}, {"momentum", 0.0}, {"multi_precision", multi ? 1.0 : 0.0}});
    NDArray weight = nd::ones({2}, cpu(), DType::kFloat16);
    std::vector<NDArray> states = sgd->create_state(weight);
    REQUIRE(states.size() == (multi ? 1u : 0u));
    for (int t = 0; t < 20; ++t) sgd->update(0, weight, grad, states);
    REQUIRE(weight.dtype() == DType::kFloat16);
    CHECK(weight.astype(DType::kFloat64).asnumpy<double>() == std::vector<double>(2, multi ? 0.99755859375 : 1.0));
    if (multi) {
      CHECK(states[0].dtype() == DType::kFloat32);
      CHECK(states[0].asnumpy<float>() == std::vector<float>(2, 0.99755859375f));
    }
  }
  // Adam on bfloat16 with multi_precision: states m, v and the copy; the weight is the copy rounded. One step
  // from w = 1 with gradient g moves the copy by lr * g / (|g| + eps') = 0.01 (bias-corrected, eps negligible).
  auto adam = optimizer::create("adam", {{"learning_rate", 0.01}, {"multi_precision", 1}});
  NDArray w = nd::ones({3}, cpu(), DType::kBFloat16);
  std::vector<NDArray> states = adam->create_state(w);
  REQUIRE(states.size() == 3);
  CHECK(states[0].dtype() == DType::kFloat32);
  adam->update(0, w, nd::array(std::vector<float>{0.5f, -2.0f, 0.25f}, Shape{3}).astype(DType::kBFloat16), states);
  const std::vector<double> copy = states[2].astype(DType::kFloat64).asnumpy<double>();
  CHECK(copy[0] == Approx(0.99).epsilon(1e-6));
  CHECK(copy[1] == Approx(1.01).epsilon(1e-6));
  CHECK(w.astype(DType::kFloat64).asnumpy<double>() == states[2].astype(DType::kBFloat16).astype(DType::kFloat64).asnumpy<double>());
  // States of another shape or precision are refused with the reason.
  std::vector<NDArray> wrong = {nd::zeros({3}, cpu(), DType::kBFloat16), nd::zeros({3}, cpu(), DType::kBFloat16)};
  CHECK_THROWS_WITH(adam->update(0, w, w, wrong), Contains("multi_precision") && Contains("float32"));
}

TEST_CASE("a Trainer over float16 parameters with multi_precision saves and loads the float32 copies", "[gluon][trainer]") {
  const std::string path = (std::filesystem::temp_directory_path() / "mxpp_trainer_mp.states").string();
  Linear a, b;
  for (Linear* l : {&a, &b}) {
    l->w.initialize(init::One(), {cpu(0), cpu(1)});
    l->w.cast(DType::kFloat16);
  }
  const std::map<std::string, double> options = {{"learning_rate", 0.5}, {"momentum", 0.9}, {"multi_precision", 1}};
  gluon::Trainer ta(a.params(), "sgd", options), tb(b.params(), "sgd", options);
  auto step = [](Linear& l, gluon::Trainer& t, const std::vector<double>& c) {
    for (Context ctx : {cpu(0), cpu(1)}) {
      const NDArray constants = nd::array(std::span<const double>(c), std::nullopt, ctx).astype(DType::kFloat16);
      NDArray loss;
      {
        autograd::record r;
        loss = (l.w.data(ctx) * constants).sum();
      }
      loss.backward();
    }
    t.step(2);
  };
  // By hand (momentum m = 0.9 m - lr g, w += m; g the mean over both contexts): g = (1, -1, 0.5): m = -0.5 g,
  // w = 1 - 0.5 g = (0.5, 1.5, 0.75).
  step(a, ta, {1, -1, 0.5});
  for (Context c : {cpu(0), cpu(1)}) {
    CHECK(a.w.data(c).astype(DType::kFloat64).asnumpy<double>() == std::vector<double>{0.5, 1.5, 0.75});
  }
  ta.save_states(path);
  b.w.set_data(a.w.data(cpu(0)));
  tb.load_states(path);
  step(a, ta, {0.25, 0.5, -1});
  step(b, tb, {0.25, 0.5, -1});
  CHECK(b.w.data(cpu(1)).astype(DType::kFloat64).asnumpy<double>() == a.w.data(cpu(1)).astype(DType::kFloat64).asnumpy<double>());
  // m = 0.9 (-0.5 g1) - 0.5 g2, w = w1 + m: (0.5 - 0.45 - 0.125, 1.5 + 0.45 - 0.25, 0.75 - 0.225 + 0.5).
  const std::vector<double> w = a.w.data(cpu(0)).astype(DType::kFloat64).asnumpy<double>();
  CHECK(w[0] == Approx(-0.075).margin(1e-3));  // float16 rounding of the copy
  CHECK(w[1] == Approx(1.7).margin(1e-3));
  CHECK(w[2] == Approx(1.025).margin(1e-3));
  std::filesystem::remove(path);
}
