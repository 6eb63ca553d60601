// SyncBatchNorm: each device normalizes its slice with the whole batch's statistics. Checked against the
// statistics written out by hand over the whole batch, finite differences of the loss summed over every device,
// BatchNorm on one device with the whole batch through a Trainer step, the hybridized layer, and its failures.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
namespace nn = gluon::nn;
namespace cnn = gluon::contrib::nn;

namespace {

constexpr double kEps = 1e-3;

// Random float64 values and the slices of them each device holds (rows split unevenly: 2 and 4 of 6).
struct Batch {
  Shape shape{6, 3, 2, 2};
  std::vector<double> values;
  std::vector<std::int64_t> rows = {2, 4};
  std::vector<Context> ctx = {cpu(0), cpu(1)};

  Batch() {
    random::seed(11);
    values = nd::random::uniform(-2, 3, shape, cpu(0), DType::kFloat64).asnumpy<double>();
  }
  std::int64_t row_size() const { return shape.size() / shape[0]; }
  NDArray slice(std::size_t device, const std::vector<double>& from) const {
    std::int64_t first = 0;
    for (std::size_t d = 0; d < device; ++d) first += rows[d];
    const std::vector<double> part(from.begin() + first * row_size(), from.begin() + (first + rows[device]) * row_size());
    return nd::array(part, Shape{rows[device], shape[1], shape[2], shape[3]}, ctx[device], DType::kFloat64);
  }
};

struct DeviceState {
  NDArray gamma, beta, moving_mean, moving_var;
};

DeviceState state_on(Context ctx) {
  return {nd::array({1.5, -0.5, 2.0}, std::nullopt, ctx, DType::kFloat64), nd::array({0.1, 0.2, -0.3}, std::nullopt, ctx, DType::kFloat64),
          nd::array({0.5, -1.0, 0.0}, std::nullopt, ctx, DType::kFloat64), nd::array({1.0, 2.0, 0.5}, std::nullopt, ctx, DType::kFloat64)};
}

double states_initial_mean(int c) { return std::vector<double>{0.5, -1.0, 0.0}[static_cast<std::size_t>(c)]; }

nd::contrib::SyncBatchNormOptions options(const std::string& key, int ndev = 2) {
  return {.eps = kEps, .momentum = 0.9, .fix_gamma = false, .ndev = ndev, .key = key, .timeout_s = 30};
}

// Every device's output of one training call, in batch order.
std::vector<double> run_all(const Batch& b, const std::vector<double>& values, std::vector<DeviceState>& states,
                            const std::string& key) {
  std::vector<NDArray> outs;
  {
    autograd::train_mode train;
    for (std::size_t d = 0; d < b.ctx.size(); ++d) {
      outs.push_back(nd::contrib::SyncBatchNorm(b.slice(d, values), states[d].gamma, states[d].beta,
                                                states[d].moving_mean, states[d].moving_var, options(key)));
    }
  }
  std::vector<double> all;
  for (const NDArray& out : outs) {
    const std::vector<double> part = out.asnumpy<double>();
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace

TEST_CASE("SyncBatchNorm normalizes each device's slice by the whole batch's statistics", "[gluon][sync_batch_norm]") {
  Batch b;
  std::vector<DeviceState> states = {state_on(cpu(0)), state_on(cpu(1))};
  const std::vector<double> got = run_all(b, b.values, states, "stats");

  // By hand: per channel over all 6 x 2 x 2 values of the batch.
  const std::int64_t channels = 3, inner = 4, n = 6;
  const double gamma[] = {1.5, -0.5, 2.0}, beta[] = {0.1, 0.2, -0.3}, mean0[] = {0.5, -1.0, 0.0}, var0[] = {1.0, 2.0, 0.5};
  for (std::int64_t c = 0; c < channels; ++c) {
    double sum = 0, sq = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t k = 0; k < inner; ++k) sum += b.values[static_cast<std::size_t>((i * channels + c) * inner + k)];
    }
    const double mean = sum / (n * inner);
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t k = 0; k < inner; ++k) {
        const double v = b.values[static_cast<std::size_t>((i * channels + c) * inner + k)] - mean;
        sq += v * v;
      }
    }
    const double var = sq / (n * inner);
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t k = 0; k < inner; ++k) {
        const std::size_t at = static_cast<std::size_t>((i * channels + c) * inner + k);
        CHECK(got[at] == Approx((b.values[at] - mean) / std::sqrt(var + kEps) * gamma[c] + beta[c]).epsilon(1e-12));
      }
    }
    // Every device's moving statistics took the batch's, alike.
    for (const DeviceState& s : states) {
      CHECK(s.moving_mean.asnumpy<double>()[static_cast<std::size_t>(c)] == Approx(0.9 * mean0[c] + 0.1 * mean).epsilon(1e-12));
      CHECK(s.moving_var.asnumpy<double>()[static_cast<std::size_t>(c)] == Approx(0.9 * var0[c] + 0.1 * var).epsilon(1e-12));
    }
  }
  CHECK(states[0].moving_var.asnumpy<double>() == states[1].moving_var.asnumpy<double>());

  // Outside training: the moving statistics, per device, with no exchange.
  const NDArray x = b.slice(1, b.values);
  const NDArray y = nd::contrib::SyncBatchNorm(x, states[1].gamma, states[1].beta, states[1].moving_mean,
                                               states[1].moving_var, options("stats"));
  const std::vector<double> xv = x.asnumpy<double>(), yv = y.asnumpy<double>();
  const std::vector<double> mm = states[1].moving_mean.asnumpy<double>(), mv = states[1].moving_var.asnumpy<double>();
  for (std::size_t i = 0; i < xv.size(); ++i) {
    const std::size_t c = (i / 4) % 3;
    CHECK(yv[i] == Approx((xv[i] - mm[c]) / std::sqrt(mv[c] + kEps) * gamma[c] + beta[c]).epsilon(1e-12));
  }
}

TEST_CASE("SyncBatchNorm's gradients are the whole batch's (finite differences across devices)", "[gluon][sync_batch_norm]") {
  Batch b;
  random::seed(5);
  const std::vector<double> weights = nd::random::uniform(-1, 1, b.shape, cpu(0), DType::kFloat64).asnumpy<double>();
  // The loss: sum over every device of its outputs times fixed weights.
  auto loss_of = [&](const std::vector<double>& values, const std::vector<double>& gamma) {
    std::vector<DeviceState> states = {state_on(cpu(0)), state_on(cpu(1))};
    for (DeviceState& s : states) s.gamma = nd::array(gamma, std::nullopt, s.gamma.context()).astype(DType::kFloat64);
    const std::vector<double> out = run_all(b, values, states, "fd");
    double loss = 0;
    for (std::size_t i = 0; i < out.size(); ++i) loss += out[i] * weights[i];
    return loss;
  };
  const std::vector<double> gamma = {1.5, -0.5, 2.0};

  std::vector<DeviceState> states = {state_on(cpu(0)), state_on(cpu(1))};
  std::vector<NDArray> xs, losses;
  for (std::size_t d = 0; d < 2; ++d) {
    xs.push_back(b.slice(d, b.values));
    xs.back().attach_grad();
    states[d].gamma.attach_grad();
    states[d].beta.attach_grad();
  }
  {
    autograd::record r;
    for (std::size_t d = 0; d < 2; ++d) {
      const NDArray y = nd::contrib::SyncBatchNorm(xs[d], states[d].gamma, states[d].beta, states[d].moving_mean,
                                                   states[d].moving_var, options("fd"));
      losses.push_back((y * b.slice(d, weights)).sum());
    }
  }
  autograd::backward(losses);
  std::vector<double> grad = xs[0].grad().asnumpy<double>();
  const std::vector<double> grad1 = xs[1].grad().asnumpy<double>();
  grad.insert(grad.end(), grad1.begin(), grad1.end());

  const double h = 1e-5;
  for (std::size_t i = 0; i < b.values.size(); ++i) {
    std::vector<double> up = b.values, down = b.values;
    up[i] += h;
    down[i] -= h;
    const double expected = (loss_of(up, gamma) - loss_of(down, gamma)) / (2 * h);
    INFO("element " << i);
    CHECK(grad[i] == Approx(expected).epsilon(1e-6).margin(1e-8));
  }
  // gamma's gradient, summed over the devices as a Trainer sums it.
  const std::vector<double> g0 = states[0].gamma.grad().asnumpy<double>(), g1 = states[1].gamma.grad().asnumpy<double>();
  for (std::size_t c = 0; c < 3; ++c) {
    std::vector<double> up = gamma, down = gamma;
    up[c] += h;
    down[c] -= h;
    CHECK(g0[c] + g1[c] == Approx((loss_of(b.values, up) - loss_of(b.values, down)) / (2 * h)).epsilon(1e-6));
  }
}

TEST_CASE("a step with SyncBatchNorm on two contexts equals BatchNorm's on one with the whole batch", "[gluon][sync_batch_norm]") {
  const std::vector<Context> one = {cpu(0)}, two = {cpu(0), cpu(1)};
  random::seed(3);
  const NDArray x = nd::random::normal(1, 2, {8, 4, 3, 3});
  const NDArray target = nd::random::normal(0, 1, {8, 4, 3, 3});
  auto build = [](bool sync, const std::vector<Context>& ctx, bool hybridize) {
    auto net = std::make_unique<nn::HybridSequential>();
    if (sync) {
      net->add(nn::Conv2D(4, {3, 3}, {.padding = {1, 1}}), cnn::SyncBatchNorm());
    } else {
      net->add(nn::Conv2D(4, {3, 3}, {.padding = {1, 1}}), nn::BatchNorm());
    }
    random::seed(9);
    net->initialize(init::Xavier(), ctx);
    (*net)(nd::zeros({1, 4, 3, 3}, ctx[0]));  // shapes known, values drawn (predicting: no exchange)
    if (hybridize) net->hybridize();
    return net;
  };
  for (bool hybridize : {false, true}) {
    INFO("hybridized: " << hybridize);
    auto reference = build(false, one, false);
    auto parallel = build(true, two, hybridize);
    gluon::Trainer ref_trainer(reference->collect_params(), "sgd", {{"learning_rate", 0.1}});
    gluon::Trainer par_trainer(parallel->collect_params(), "sgd", {{"learning_rate", 0.1}});
    gluon::loss::L2Loss loss_fn;
    for (int step = 0; step < 2; ++step) {
      {
        autograd::record r;
        autograd::backward({loss_fn((*reference)(x), target)});
      }
      ref_trainer.step(8);
      const auto xs = gluon::utils::split_and_load(x, two);
      const auto ts = gluon::utils::split_and_load(target, two);
      std::vector<NDArray> losses;
      {
        autograd::record r;
        for (std::size_t d = 0; d < 2; ++d) losses.push_back(loss_fn((*parallel)(xs[d]), ts[d]));
      }
      autograd::backward(losses);
      par_trainer.step(8);
    }
    auto ref = reference->collect_params(), par = parallel->collect_params();
    REQUIRE(ref.size() == par.size());
    auto r = ref.begin();
    for (auto p = par.begin(); p != par.end(); ++p, ++r) {
      INFO(p->first << " against " << r->first);
      const std::vector<float> expected = r->second.list_data()[0].asnumpy<float>();
      for (Context c : two) {
        const std::vector<float> got = p->second.data(c).asnumpy<float>();
        REQUIRE(got.size() == expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).margin(1e-5).epsilon(1e-4));
      }
      CHECK(p->second.data(cpu(0)).asnumpy<float>() == p->second.data(cpu(1)).asnumpy<float>());
    }
    // Predicting, each device alone gives what BatchNorm gives its slice.
    const auto xs = gluon::utils::split_and_load(x, two);
    const std::vector<float> expected = (*reference)(x).asnumpy<float>();
    std::vector<float> got = (*parallel)(xs[0]).asnumpy<float>();
    const std::vector<float> second = (*parallel)(xs[1]).asnumpy<float>();
    got.insert(got.end(), second.begin(), second.end());
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).margin(1e-5).epsilon(1e-4));
  }
}

TEST_CASE("a hybridized SyncBatchNorm exports MXNet's node and imports for prediction", "[gluon][sync_batch_norm]") {
  const std::vector<Context> two = {cpu(0), cpu(1)};
  cnn::SyncBatchNorm layer({.in_channels = 3});
  layer.initialize(init::Uniform(), two);
  layer.hybridize();
  random::seed(4);
  const NDArray x = nd::random::normal(0, 1, {4, 3, 2});
  const auto xs = gluon::utils::split_and_load(x, two);
  {
    autograd::train_mode train;
    const NDArray a = layer(xs[0]), b = layer(xs[1]);
    a.wait_to_read();
    b.wait_to_read();
  }
  const std::string prefix = (std::filesystem::temp_directory_path() / "mxpp_sync_bn").string();
  layer.export_(prefix, 0);
  const std::string json = [&] {
    std::ifstream in(prefix + "-symbol.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  CHECK(json.find("\"_contrib_SyncBatchNorm\"") != std::string::npos);
  CHECK(json.find("\"ndev\": \"2\"") != std::string::npos);
  auto imported = gluon::SymbolBlock::imports(prefix + "-symbol.json", {"data"}, prefix + "-0000.params", {cpu(0)});
  const std::vector<float> expected = layer(xs[0]).asnumpy<float>(), got = (*imported)(xs[0]).asnumpy<float>();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).margin(1e-6));
  std::filesystem::remove(prefix + "-symbol.json");
  std::filesystem::remove(prefix + "-0000.params");
}

TEST_CASE("SyncBatchNorm: a long forward on one device before the next device's call does not stall the pushes",
          "[gluon][sync_batch_norm]") {
  // Past the engine's max_pending (1024) operations waiting on the exchange, a throttled push would wait for work
  // that needs the second device's call, which only this thread can make.
  const std::vector<Context> two = {cpu(0), cpu(1)};
  std::vector<DeviceState> states = {state_on(cpu(0)), state_on(cpu(1))};
  const NDArray x0 = nd::ones({2, 3}, cpu(0), DType::kFloat64), x1 = nd::zeros({2, 3}, cpu(1), DType::kFloat64);
  autograd::train_mode train;
  NDArray y0 = nd::contrib::SyncBatchNorm(x0, states[0].gamma, states[0].beta, states[0].moving_mean, states[0].moving_var,
                                          options("long"));
  for (int i = 0; i < 3000; ++i) y0 = y0 + 1.0;
  const NDArray y1 = nd::contrib::SyncBatchNorm(x1, states[1].gamma, states[1].beta, states[1].moving_mean,
                                                states[1].moving_var, options("long"));
  // The batch is 1 on cpu(0), 0 on cpu(1): mean 0.5, variance 0.25.
  const double normalized = 0.5 / std::sqrt(0.25 + kEps);
  CHECK(y0.asnumpy<double>()[0] == Approx(normalized * 1.5 + 0.1 + 3000));
  CHECK(y1.asnumpy<double>()[1] == Approx(-normalized * -0.5 + 0.2));
}

TEST_CASE("SyncBatchNorm: a device missing or calling twice fails the step with a clear error", "[gluon][sync_batch_norm]") {
  std::vector<DeviceState> states = {state_on(cpu(0)), state_on(cpu(1))};
  const NDArray x = nd::ones({2, 3}, cpu(0), DType::kFloat64);
  auto opts = options("errors");
  opts.timeout_s = 0.3;
  autograd::train_mode train;
  const NDArray first = nd::contrib::SyncBatchNorm(x, states[0].gamma, states[0].beta, states[0].moving_mean,
                                                   states[0].moving_var, opts);
  const NDArray again = nd::contrib::SyncBatchNorm(x, states[0].gamma, states[0].beta, states[0].moving_mean,
                                                   states[0].moving_var, opts);
  CHECK_THROWS_WITH(first.wait_to_read(), Catch::Contains("'errors'") && Catch::Contains("cpu(0) called again before all 2 devices"));
  // The second call waits alone, then times out.
  CHECK_THROWS_WITH(again.wait_to_read(), Catch::Contains("1 of 2 devices called within") && Catch::Contains("cpu(0)"));
  // The engine goes on: the next step, on both devices, works. (cpu(0)'s moving statistics hold the failed
  // steps' error, as any array written from a failed one does, so this step starts from fresh ones.)
  opts.timeout_s = 30;
  states = {state_on(cpu(0)), state_on(cpu(1))};
  const NDArray a = nd::contrib::SyncBatchNorm(x, states[0].gamma, states[0].beta, states[0].moving_mean, states[0].moving_var, opts);
  const NDArray b = nd::contrib::SyncBatchNorm(nd::zeros({2, 3}, cpu(1), DType::kFloat64), states[1].gamma, states[1].beta,
                                               states[1].moving_mean, states[1].moving_var, opts);
  CHECK(a.asnumpy<double>()[0] == Approx(0.5 / std::sqrt(0.25 + kEps) * 1.5 + 0.1));
  CHECK_NOTHROW(b.wait_to_read());

  CHECK_THROWS_WITH(nd::contrib::SyncBatchNorm(x, states[0].gamma, states[0].beta, states[0].moving_mean, states[0].moving_var,
                                               {.key = ""}),
                    Catch::Contains("needs a key"));
  // A second device with other channel counts under the same key is refused at its call; the first device's
  // step then fails by the timeout rather than waiting for ever.
  opts.timeout_s = 0.3;
  std::vector<DeviceState> fresh = {state_on(cpu(0)), state_on(cpu(1))};
  const NDArray lone = nd::contrib::SyncBatchNorm(x, fresh[0].gamma, fresh[0].beta, fresh[0].moving_mean, fresh[0].moving_var, opts);
  const NDArray four = nd::ones({2, 4}, cpu(1), DType::kFloat64);
  const NDArray p4 = nd::ones({4}, cpu(1), DType::kFloat64);
  NDArray m4 = nd::zeros({4}, cpu(1), DType::kFloat64), v4 = nd::ones({4}, cpu(1), DType::kFloat64);
  CHECK_THROWS_WITH(nd::contrib::SyncBatchNorm(four, p4, p4, m4, v4, opts), Catch::Contains("exchanges 9 values"));
  CHECK_THROWS_WITH(lone.wait_to_read(), Catch::Contains("1 of 2 devices called within"));
  CHECK_THROWS_WITH(nd::contrib::SyncBatchNorm(nd::ones({2, 4}, cpu(0), DType::kFloat64), states[0].gamma, states[0].beta,
                                               states[0].moving_mean, states[0].moving_var, opts),
                    Catch::Contains("gamma must be (4,)"));
}

TEST_CASE("SyncBatchNorm: a device with no samples takes the others' statistics", "[gluon][sync_batch_norm]") {
  // split_and_load of fewer samples than devices leaves some empty.
  std::vector<DeviceState> states = {state_on(cpu(0)), state_on(cpu(1))};
  const NDArray empty = nd::zeros({0, 3}, cpu(0), DType::kFloat64);
  const NDArray x = nd::array({1.0, 2.0, 3.0, 3.0, 6.0, 9.0}, Shape{2, 3}, cpu(1), DType::kFloat64);
  autograd::train_mode train;
  const NDArray none = nd::contrib::SyncBatchNorm(empty, states[0].gamma, states[0].beta, states[0].moving_mean,
                                                  states[0].moving_var, options("empty"));
  const NDArray y = nd::contrib::SyncBatchNorm(x, states[1].gamma, states[1].beta, states[1].moving_mean,
                                               states[1].moving_var, options("empty"));
  CHECK(none.shape() == Shape{0, 3});
  // Channel c holds (c + 1) and 3 (c + 1): mean 2 (c + 1), variance (c + 1)^2.
  const double gamma[] = {1.5, -0.5, 2.0}, beta[] = {0.1, 0.2, -0.3};
  const std::vector<double> got = test::values(y);
  for (int c = 0; c < 3; ++c) {
    const double sd = std::sqrt((c + 1.0) * (c + 1.0) + kEps);
    CHECK(got[static_cast<std::size_t>(c)] == Approx(-(c + 1.0) / sd * gamma[c] + beta[c]));
    CHECK(states[0].moving_mean.asnumpy<double>()[static_cast<std::size_t>(c)] ==
          Approx(0.9 * states_initial_mean(c) + 0.1 * 2 * (c + 1.0)));
  }
}
