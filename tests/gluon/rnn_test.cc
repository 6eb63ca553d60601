// Recurrent cells and layers: one step against hand-computed values, whole layers (stacked, bidirectional, both
// layouts, zero and given states) against a plain-loop reference of the published equations, gradients by
// finite differences, hybridize and export, MXNet's parameter names, and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <mx/mx.h>

#include "../autograd/gradient_check.h"
#include "../operators/test_util.h"
#include "../temp_path.h"
#include "rnn_reference.h"

using namespace mx;
using namespace mx::test::rnn_reference;
using Catch::Matchers::Contains;
using test::check_array;
namespace rnn = gluon::rnn;

TEST_CASE("recurrent cells take one step to hand-computed values", "[gluon][rnn]") {
  const NDArray x = nd::array({1.0}, Shape{1, 1}), h = nd::array({0.5}, Shape{1, 1});
  rnn::LSTMCell lstm(1, {.input_size = 1});
  lstm.initialize();
  set(lstm, "i2h_weight", {1, 2, -1, 0.5}, {4, 1});
  set(lstm, "h2h_weight", {0.5, -1, 2, 1}, {4, 1});
  set(lstm, "i2h_bias", {0, 0.5, 0, -0.5}, {4});
  // Gates for x = 1, h = 0.5: in 1 + 0.25 = 1.25, forget 2 - 0.5 + 0.5 = 2, candidate -1 + 1 = 0, out
  // 0.5 + 0.5 - 0.5 = 0.5. With c = 2: c' = sigmoid(2) 2 + sigmoid(1.25) tanh(0), h' = sigmoid(0.5) tanh(c').
  auto [out, states] = lstm(x, {h, nd::array({2.0}, Shape{1, 1})});
  const double c = 2 * sigmoid(2);
  check_array(out, {1, 1}, {sigmoid(0.5) * std::tanh(c)});
  REQUIRE(states.size() == 2);
  check_array(states[0], {1, 1}, {sigmoid(0.5) * std::tanh(c)});
  check_array(states[1], {1, 1}, {c});
  // From zero states (forward alone): in 1, candidate -1, out 0; c' = sigmoid(1) tanh(-1).
  check_array(lstm(x), {1, 1}, {sigmoid(0) * std::tanh(sigmoid(1) * std::tanh(-1.0))});

  rnn::GRUCell gru(1, {.input_size = 1});
  gru.initialize();
  set(gru, "i2h_weight", {1, -1, 2}, {3, 1});
  set(gru, "h2h_weight", {0.5, 1, -1}, {3, 1});
  set(gru, "i2h_bias", {0, 0, 0.5}, {3});
  set(gru, "h2h_bias", {0, 0, 1}, {3});
  // reset sigmoid(1 + 0.25), update sigmoid(-1 + 0.5), candidate tanh(2 + 0.5 + reset (-0.5 + 1)).
  const double reset = sigmoid(1.25), update = sigmoid(-0.5), candidate = std::tanh(2.5 + reset * 0.5);
  check_array(gru(x, {h}).output, {1, 1}, {(1 - update) * candidate + update * 0.5});
  // From zero: reset sigmoid(1), update sigmoid(-1), candidate tanh(2.5 + reset 1).
  check_array(gru(x), {1, 1}, {(1 - sigmoid(-1)) * std::tanh(2.5 + sigmoid(1))});

  rnn::RNNCell relu(1, "relu", {.input_size = 1});
  relu.initialize();
  set(relu, "i2h_weight", {2}, {1, 1});
  set(relu, "h2h_weight", {-1}, {1, 1});
  set(relu, "i2h_bias", {0.5}, {1});
  check_array(relu(x, {h}).output, {1, 1}, {2});                        // relu(2 + 0.5 - 0.5)
  check_array(relu(nd::array({-1.0}, Shape{1, 1}), {h}).output, {1, 1}, {0});  // relu(-2 + 0.5 - 0.5)
  rnn::RNNCell tanh_cell(1, {.input_size = 1});
  tanh_cell.initialize(init::One());
  check_array(tanh_cell(x, {h}).output, {1, 1}, {std::tanh(1 + 0.5)});  // biases zero
}

TEST_CASE("recurrent layers match the equations: stacked, bidirectional, both layouts, given states",
          "[gluon][rnn]") {
  const std::int64_t T = 4, N = 3, C = 5, H = 3;
  const struct {
    Kind kind;
    const char* name;
  } kinds[] = {{Kind::kTanh, "RNN tanh"}, {Kind::kRelu, "RNN relu"}, {Kind::kLSTM, "LSTM"}, {Kind::kGRU, "GRU"}};
  for (const auto& [kind, name] : kinds) {
    for (const bool bidirectional : {false, true}) {
      for (const std::string layout : {"TNC", "NTC"}) {
        for (const bool given : {false, true}) {
          INFO(name << (bidirectional ? " bidirectional " : " ") << layout << (given ? " given states" : ""));
          const auto options = float64_options(2, bidirectional, layout);
          std::unique_ptr<rnn::RecurrentLayer> layer;
          if (kind == Kind::kTanh) layer = std::make_unique<rnn::RNN>(H, options);
          if (kind == Kind::kRelu) layer = std::make_unique<rnn::RNN>(H, "relu", options);
          if (kind == Kind::kLSTM) layer = std::make_unique<rnn::LSTM>(H, options);
          if (kind == Kind::kGRU) layer = std::make_unique<rnn::GRU>(H, options);
          layer->initialize(init::Uniform(0.6));
          const int D = bidirectional ? 2 : 1;
          const Shape in_shape = layout == "TNC" ? Shape{T, N, C} : Shape{N, T, C};
          const NDArray x = nd::random::uniform(-1, 1, in_shape, cpu(), DType::kFloat64);
          std::vector<NDArray> states;
          std::vector<std::vector<double>> state_values;
          if (given) {
            for (int k = 0; k < (kind == Kind::kLSTM ? 2 : 1); ++k) {
              states.push_back(nd::random::uniform(-1, 1, {2 * D, N, H}, cpu(), DType::kFloat64));
              state_values.push_back(states.back().asnumpy<double>());
            }
          }
          rnn::RecurrentOutput got;
          if (given) got = (*layer)(x, states);
          else got.output = (*layer)(x);
          const Reference r = read_weights(kind, *layer, 2, D, H);  // after the first call fixed C
          std::vector<double> xs = x.asnumpy<double>();
          if (layout == "NTC") xs = to_time_major(xs, N, T, C);
          std::vector<std::vector<double>> last;
          std::vector<double> expected = reference_run(r, xs, T, N, C, state_values, last);
          if (layout == "NTC") {  // back to (N, T, D*H)
            std::vector<double> batch_major(expected.size());
            for (std::int64_t t = 0; t < T; ++t)
              for (std::int64_t n = 0; n < N; ++n)
                for (std::int64_t k = 0; k < D * H; ++k) batch_major[(n * T + t) * D * H + k] = expected[(t * N + n) * D * H + k];
            expected = batch_major;
          }
          const Shape out_shape = layout == "TNC" ? Shape{T, N, D * H} : Shape{N, T, D * H};
          check_array(got.output, out_shape, expected, 1e-12);
          if (given) {
            REQUIRE(got.states.size() == last.size());
            for (std::size_t k = 0; k < last.size(); ++k) check_array(got.states[k], {2 * D, N, H}, last[k], 1e-12);
          }
        }
      }
    }
  }
}

TEST_CASE("a cell unrolled, stepped by hand and as a one-layer layer give the same sequence", "[gluon][rnn]") {
  const std::int64_t N = 2, T = 5, C = 3, H = 4;
  rnn::LSTMCell cell(H, {.dtype = DType::kFloat64, .i2h_bias_initializer = init::Uniform(0.5)});
  cell.initialize(init::Uniform(0.5));
  rnn::LSTM layer(H, {.layout = "NTC", .input_size = C, .dtype = DType::kFloat64});
  layer.initialize();
  const NDArray x = nd::random::uniform(-1, 1, {N, T, C}, cpu(), DType::kFloat64);
  const std::vector<NDArray> begin = {nd::random::uniform(-1, 1, {N, H}, cpu(), DType::kFloat64),
                                      nd::random::uniform(-1, 1, {N, H}, cpu(), DType::kFloat64)};
  auto [unrolled, last] = cell.unroll(T, x, begin, "NTC");
  CHECK(unrolled.shape() == Shape{N, T, H});

  std::vector<NDArray> states = begin;
  for (std::int64_t t = 0; t < T; ++t) {
    auto step = cell(nd::squeeze(nd::slice_axis(x, 1, t, t + 1), {1}), states);
    check_array(step.output, {N, H}, nd::squeeze(nd::slice_axis(unrolled, 1, t, t + 1), {1}).asnumpy<double>(), 1e-12);
    states = step.states;
  }
  check_array(last[1], {N, H}, states[1].asnumpy<double>(), 1e-12);

  for (const char* name : {"i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"}) {
    layer.collect_params()[std::string("l0_") + name].set_data(cell.collect_params()[name].data());
  }
  auto from_layer = layer(x, {nd::expand_dims(begin[0], 0), nd::expand_dims(begin[1], 0)});
  check_array(from_layer.output, {N, T, H}, unrolled.asnumpy<double>(), 1e-12);
  check_array(from_layer.states[0], {1, N, H}, last[0].asnumpy<double>(), 1e-12);
  // unroll from zeros, in TNC.
  check_array(cell.unroll(T, nd::swapaxes(x, 0, 1), {}, "TNC").output, {T, N, H},
              nd::swapaxes(layer(x), 0, 1).asnumpy<double>(), 1e-12);
}

TEST_CASE("gradients through recurrent layers match finite differences", "[gluon][rnn]") {
  // Input and begin states, through a bidirectional two-layer LSTM and a GRU (weights fixed).
  rnn::LSTM lstm(2, float64_options(2, true, "TNC"));
  lstm.initialize(init::Uniform(0.6));
  test::check_gradient({.f = [&](const std::vector<NDArray>& in) {
                          auto [y, states] = lstm(in[0], {in[1], in[2]});
                          return nd::concat({y.reshape({-1}), states[0].reshape({-1}), states[1].reshape({-1})}, 0);
                        },
                        .shapes = {{3, 2, 3}, {4, 2, 2}, {4, 2, 2}}});
  rnn::GRU gru(3, float64_options(1, false, "NTC"));
  gru.initialize(init::Uniform(0.6));
  test::check_gradient({.f = [&](const std::vector<NDArray>& in) { return gru(in[0], {in[1]}).output; },
                        .shapes = {{2, 3, 2}, {1, 2, 3}}});
  rnn::RNN relu(2, "relu", float64_options(1, true, "TNC"));
  relu.initialize(init::Uniform(0.6));
  test::check_gradient({.f = [&](const std::vector<NDArray>& in) { return relu(in[0]); }, .shapes = {{3, 2, 2}}});

  // The weights' gradients: each element of every parameter of a bidirectional LSTM, from zero states.
  rnn::LSTM net(2, float64_options(1, true, "NTC"));
  net.initialize(init::Uniform(0.6));
  const NDArray x = nd::random::uniform(-1, 1, {2, 3, 2}, cpu(), DType::kFloat64);
  const NDArray weights = nd::random::uniform(-1, 1, {2, 3, 4}, cpu(), DType::kFloat64);
  const auto loss = [&] { return (net(x) * weights).sum().asscalar<double>(); };
  {
    autograd::record r;
    (net(x) * weights).sum().backward();
  }
  for (auto [name, p] : net.collect_params()) {
    const std::vector<double> analytic = p.grad().asnumpy<double>();
    std::vector<double> values = p.data().asnumpy<double>();
    for (std::size_t j = 0; j < values.size(); ++j) {
      const double saved = values[j], eps = 1e-6;
      values[j] = saved + eps;
      p.set_data(nd::array(values, p.shape(), cpu(), DType::kFloat64));
      const double up = loss();
      values[j] = saved - eps;
      p.set_data(nd::array(values, p.shape(), cpu(), DType::kFloat64));
      const double down = loss();
      values[j] = saved;
      p.set_data(nd::array(values, p.shape(), cpu(), DType::kFloat64));
      INFO(name << " element " << j);
      CHECK(analytic[j] == Approx((up - down) / (2 * eps)).epsilon(1e-6).margin(1e-6));
    }
  }
}

TEST_CASE("with sequence lengths each sequence runs as if alone over its own steps", "[gluon][rnn]") {
  const std::int64_t N = 3, T = 5, C = 2, H = 3;
  const std::vector<double> lengths = {5, 2, 3};
  const NDArray x = nd::random::uniform(-1, 1, {N, T, C}, cpu(), DType::kFloat64);
  const auto slice = [](const NDArray& a, int axis, std::int64_t begin, std::int64_t end) {
    return nd::slice_axis(a, axis, begin, end);
  };
  rnn::LSTM lstm(H, float64_options(2, true, "NTC"));
  lstm.initialize(init::Uniform(0.6));
  const std::vector<NDArray> begin = {nd::random::uniform(-1, 1, {4, N, H}, cpu(), DType::kFloat64),
                                      nd::random::uniform(-1, 1, {4, N, H}, cpu(), DType::kFloat64)};
  const auto got = lstm(x, begin, nd::array(lengths));
  for (std::int64_t n = 0; n < N; ++n) {
    INFO("sequence " << n);
    const auto length = static_cast<std::int64_t>(lengths[static_cast<std::size_t>(n)]);
    const auto alone = lstm(slice(slice(x, 0, n, n + 1), 1, 0, length),
                            {slice(begin[0], 1, n, n + 1), slice(begin[1], 1, n, n + 1)});
    const NDArray out = slice(got.output, 0, n, n + 1);
    check_array(slice(out, 1, 0, length), {1, length, 2 * H}, alone.output.asnumpy<double>(), 1e-12);
    if (length < T) check_array(slice(out, 1, length, T), {1, T - length, 2 * H}, std::vector<double>((T - length) * 2 * H, 0));
    for (int k = 0; k < 2; ++k) check_array(slice(got.states[k], 1, n, n + 1), {4, 1, H}, alone.states[k].asnumpy<double>(), 1e-12);
  }
  // From zero states, and a sequence of no steps: zero outputs, zero states.
  const auto empty = lstm(x, {}, nd::array({0, 5, 5}));
  check_array(slice(empty.output, 0, 0, 1), {1, T, 2 * H}, std::vector<double>(T * 2 * H, 0));
  check_array(slice(empty.states[1], 1, 0, 1), {4, 1, H}, std::vector<double>(4 * H, 0));
  CHECK_THROWS_WITH(lstm(x, {}, nd::array({1, 2})), Contains("LSTM") && Contains("(3,)") && Contains("(2,)"));

  // A cell's unroll with valid_length.
  rnn::GRUCell cell(H, {.dtype = DType::kFloat64, .i2h_bias_initializer = init::Uniform(0.5)});
  cell.initialize(init::Uniform(0.6));
  const auto unrolled = cell.unroll(T, x, {}, "NTC", nd::array(lengths));
  for (std::int64_t n = 0; n < N; ++n) {
    const auto length = static_cast<std::int64_t>(lengths[static_cast<std::size_t>(n)]);
    const auto alone = cell.unroll(length, slice(slice(x, 0, n, n + 1), 1, 0, length), {}, "NTC");
    check_array(slice(slice(unrolled.output, 0, n, n + 1), 1, 0, length), {1, length, H}, alone.output.asnumpy<double>(), 1e-12);
    check_array(slice(unrolled.states[0], 0, n, n + 1), {1, H}, alone.states[0].asnumpy<double>(), 1e-12);
  }
  // Gradients through the held steps, by finite differences.
  test::check_gradient({.f = [&](const std::vector<NDArray>& in) {
                          auto [y, states] = lstm(in[0], {in[1], in[2]}, nd::array({4, 1, 2}));
                          return nd::concat({y.reshape({-1}), states[0].reshape({-1}), states[1].reshape({-1})}, 0);
                        },
                        .shapes = {{3, 4, 2}, {4, 3, 3}, {4, 3, 3}}});
}

TEST_CASE("hybridized recurrent layers give the imperative outputs and gradients, and export", "[gluon][rnn]") {
  gluon::nn::HybridSequential net;
  {
    auto scope = net.name_scope();
    net.add(rnn::LSTM(4, {.num_layers = 2, .layout = "NTC", .bidirectional = true}), gluon::nn::Dense(3));
  }
  net.initialize(init::Xavier());
  const NDArray x = nd::random::uniform(-1, 1, {2, 5, 3});
  const auto run = [&] {
    NDArray y;
    {
      autograd::record r;
      y = net(x);
    }
    y.backward();
    std::vector<NDArray> grads;
    for (const auto& [name, p] : net.collect_params()) grads.push_back(p.grad().copy());
    return std::make_pair(y.copy(), grads);
  };
  const auto [imperative, imperative_grads] = run();
  net.hybridize();
  const auto [hybrid, hybrid_grads] = run();
  check_array(hybrid, {2, 3}, imperative.asnumpy<double>(), 1e-5);
  REQUIRE(hybrid_grads.size() == imperative_grads.size());
  for (std::size_t i = 0; i < hybrid_grads.size(); ++i) {
    check_array(hybrid_grads[i], imperative_grads[i].shape(), imperative_grads[i].asnumpy<double>(), 1e-5);
  }
  const NDArray predicted = net(x);  // outside record: one bulked engine operation
  CHECK(net.cache_info().bulked);
  check_array(predicted, {2, 3}, imperative.asnumpy<double>(), 1e-5);

  const std::string path = test::temp_path("lstm");
  net.export_(path);
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  check_array((*loaded)(x), {2, 3}, imperative.asnumpy<double>(), 1e-5);
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0000.params").c_str());
}

TEST_CASE("recurrent blocks name their parameters as MXNet 1.x does", "[gluon][rnn]") {
  gluon::nn::Sequential net;
  {
    auto scope = net.name_scope();
    net.add(rnn::LSTM(4, {.bidirectional = true}), rnn::GRUCell(2), rnn::RNN(3, {.num_layers = 2}));
  }
  std::vector<std::string> names;
  for (const auto& [name, p] : net.collect_params()) names.push_back(name);
  const std::string p = net.prefix();
  std::vector<std::string> expected;
  for (const char* stem : {"lstm0_l0_", "lstm0_r0_", "gru0_", "rnn0_l0_", "rnn0_l1_"}) {
    for (const char* what : {"i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"}) expected.push_back(p + stem + what);
  }
  CHECK(names == expected);
  // Outside a scope: paths, as every block's.
  rnn::GRU gru(5, {.num_layers = 2});
  std::vector<std::string> paths;
  for (const auto& [name, param] : gru.collect_params()) paths.push_back(name + " " + param.shape().str());
  CHECK(paths == std::vector<std::string>{"l0_i2h_weight (15, 0)", "l0_h2h_weight (15, 5)", "l0_i2h_bias (15,)",
                                          "l0_h2h_bias (15,)", "l1_i2h_weight (15, 5)", "l1_h2h_weight (15, 5)",
                                          "l1_i2h_bias (15,)", "l1_h2h_bias (15,)"});
  CHECK(gru.repr() == "GRU(None -> 5, TNC, num_layers=2)");
  CHECK(rnn::LSTMCell(7, {.input_size = 3}).repr() == "LSTMCell(3 -> 7)");
  CHECK(rnn::RNNCell(2, "relu").repr() == "RNNCell(None -> 2, relu)");
}

TEST_CASE("recurrent blocks refuse bad arguments and inputs by name", "[gluon][rnn]") {
  CHECK_THROWS_WITH(rnn::LSTM(0), Contains("LSTM") && Contains("hidden_size"));
  CHECK_THROWS_WITH(rnn::GRU(2, {.layout = "NCT"}), Contains("GRU") && Contains("NCT"));
  CHECK_THROWS_WITH(rnn::RNN(2, "sigmoid"), Contains("RNN") && Contains("sigmoid"));
  CHECK_THROWS_WITH(rnn::RNNCell(2, "gelu"), Contains("RNNCell") && Contains("gelu"));
  CHECK_THROWS_WITH(rnn::LSTM(2, {.dropout = 1}), Contains("dropout"));
  rnn::LSTM lstm(3, {.input_size = 4});
  lstm.initialize();
  CHECK_THROWS_WITH(lstm(nd::ones({2, 4})), Contains("LSTM") && Contains("three axes") && Contains("(2, 4)"));
  CHECK_THROWS_WITH(lstm(nd::ones({2, 2, 5})), Contains("LSTM") && Contains("5 features") && Contains("expects 4"));
  CHECK_THROWS_WITH(lstm(nd::ones({5, 2, 4}), {nd::zeros({1, 2, 3})}), Contains("expected 2 state arrays"));
  CHECK_THROWS_WITH(lstm(nd::ones({5, 2, 4}), {nd::zeros({1, 3, 3}), nd::zeros({1, 3, 3})}),
                    Contains("LSTM") && Contains("(1, 3, 3)") && Contains("(1, 2, 3)"));
  rnn::GRUCell cell(3);
  cell.initialize();
  CHECK_THROWS_WITH(cell(nd::ones({2, 4}), {nd::zeros({2, 4})}), Contains("GRUCell") && Contains("(2, 4)") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(cell.unroll(3, nd::ones({2, 4, 5}), {}, "NTC"), Contains("GRUCell") && Contains("3 steps"));
  CHECK_THROWS_WITH(cell(nd::ones({2, 1, 4})), Contains("GRUCell") && Contains("(N, C)"));
  CHECK_THROWS_WITH(rnn::GRU(2, {.state_clip_min = -1, .state_clip_max = 1}), Contains("GRU") && Contains("LSTM alone"));
  CHECK_THROWS_WITH(rnn::RNN(2, {.projection_size = 1}), Contains("RNN") && Contains("LSTM alone"));
  CHECK_THROWS_WITH(rnn::LSTM(2, {.state_clip_min = -1}), Contains("LSTM") && Contains("together"));
  CHECK_THROWS_WITH(rnn::LSTM(2, {.projection_size = 0}), Contains("LSTM") && Contains("projection_size"));
}

TEST_CASE("an LSTM learns to recall the first element of a sequence", "[gluon][rnn]") {
  // The label is the sign of the first of four random inputs, read from the last step's output: only a state
  // that carries it through three more steps can tell; a model without memory stays at chance.
  random::seed(3);
  gluon::nn::HybridSequential net;
  net.add(rnn::LSTM(8, {.layout = "NTC"}), gluon::nn::HybridLambda([](const NDArray& y) {
            return nd::squeeze(nd::slice_axis(y, 1, 3, 4), {1});
          }),
          gluon::nn::Dense(2));
  net.initialize(init::Xavier());
  gluon::Trainer trainer(net.collect_params(), "adam", {{"learning_rate", 0.02}});
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  const auto batch = [] {
    const NDArray x = nd::random::uniform(-1, 1, {64, 4, 1});
    return std::make_pair(x, nd::squeeze(nd::slice_axis(x, 1, 0, 1), {1, 2}) > 0);
  };
  for (int step = 0; step < 300; ++step) {
    auto [x, label] = batch();
    {
      autograd::record r;
      loss_fn(net(x), label).backward();
    }
    trainer.step(64);
  }
  auto [x, label] = batch();
  const double accuracy = (nd::argmax(net(x), 1) == label).mean().asscalar<double>();
  CHECK(accuracy > 0.95);
}
