// Recurrent cells and layers: one step against hand-computed values, whole layers (stacked, bidirectional, both
// layouts, zero and given states) against a plain-loop reference of the published equations, gradients by
// finite differences, hybridize and export, MXNet's parameter names, and the errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <mx/mx.h>

#include "../autograd/gradient_check.h"
#include "../operators/test_util.h"
#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;
namespace rnn = gluon::rnn;

namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

void set(gluon::Block& block, const std::string& name, const std::vector<double>& values, const Shape& shape) {
  block.collect_params()[name].set_data(nd::array(values, shape));
}

enum class Kind { kTanh, kRelu, kLSTM, kGRU };
int gates(Kind k) { return k == Kind::kLSTM ? 4 : k == Kind::kGRU ? 3 : 1; }

// The layer's weights and sizes, read from a block's parameters.
struct Reference {
  Kind kind;
  int layers, directions;
  std::int64_t hidden;
  std::vector<std::vector<double>> wi, wh, bi, bh;  // per layer and direction
  std::optional<std::pair<double, double>> clip = {};  // LSTM's cell state clipped to [first, second]
  std::int64_t projection = 0;                // LSTMP's P, 0 for none
  std::vector<std::vector<double>> wr = {};   // its (P, H) weights per layer and direction
};

Reference read_weights(Kind kind, gluon::Block& layer, int layers, int directions, std::int64_t hidden) {
  Reference r{kind, layers, directions, hidden, {}, {}, {}, {}};
  auto params = layer.collect_params();
  for (int l = 0; l < layers; ++l) {
    for (int d = 0; d < directions; ++d) {
      const std::string stem = (d == 0 ? "l" : "r") + std::to_string(l) + "_";
      r.wi.push_back(params[stem + "i2h_weight"].data().asnumpy<double>());
      r.wh.push_back(params[stem + "h2h_weight"].data().asnumpy<double>());
      r.bi.push_back(params[stem + "i2h_bias"].data().asnumpy<double>());
      r.bh.push_back(params[stem + "h2h_bias"].data().asnumpy<double>());
      if (params.contains(stem + "h2r_weight")) {
        r.wr.push_back(params[stem + "h2r_weight"].data().asnumpy<double>());
        r.projection = params[stem + "h2r_weight"].shape()[0];
      }
    }
  }
  return r;
}

// The equations in plain loops over time-major x (T, N, C). states: [h] or [h, c], each (L*D, N, H) flat, or
// empty for zeros. Returns the output (T, N, D*H) and fills `last` with the final states.
std::vector<double> reference_run(const Reference& r, std::vector<double> x, std::int64_t steps, std::int64_t batch,
                                  std::int64_t features, const std::vector<std::vector<double>>& states,
                                  std::vector<std::vector<double>>& last) {
  const std::int64_t H = r.hidden, G = gates(r.kind), R = r.projection > 0 ? r.projection : H;  // R: h's width
  const int count = r.kind == Kind::kLSTM ? 2 : 1;
  last.assign(static_cast<std::size_t>(count), {});
  last[0].resize(static_cast<std::size_t>(r.layers * r.directions * batch * R));
  if (count > 1) last[1].resize(static_cast<std::size_t>(r.layers * r.directions * batch * H));
  for (int l = 0; l < r.layers; ++l) {
    const std::int64_t in = l == 0 ? features : r.directions * R;
    std::vector<double> y(static_cast<std::size_t>(steps * batch * r.directions * R));
    for (int d = 0; d < r.directions; ++d) {
      const auto row = static_cast<std::size_t>(l * r.directions + d);
      const auto& wi = r.wi[row];
      const auto& wh = r.wh[row];
      for (std::int64_t n = 0; n < batch; ++n) {
        std::vector<double> h(static_cast<std::size_t>(R)), c(static_cast<std::size_t>(H));
        for (std::int64_t j = 0; j < R && !states.empty(); ++j) h[j] = states[0][(static_cast<std::int64_t>(row) * batch + n) * R + j];
        for (std::int64_t j = 0; j < H && states.size() > 1; ++j) c[j] = states[1][(static_cast<std::int64_t>(row) * batch + n) * H + j];
        for (std::int64_t s = 0; s < steps; ++s) {
          const std::int64_t t = d == 0 ? s : steps - 1 - s;
          std::vector<double> a(static_cast<std::size_t>(G * H)), b(static_cast<std::size_t>(G * H));
          for (std::int64_t g = 0; g < G * H; ++g) {
            a[g] = r.bi[row][g];
            for (std::int64_t k = 0; k < in; ++k) a[g] += wi[g * in + k] * x[(t * batch + n) * in + k];
            b[g] = r.bh[row][g];
            for (std::int64_t k = 0; k < R; ++k) b[g] += wh[g * R + k] * h[k];
          }
          std::vector<double> next(static_cast<std::size_t>(H));
          for (std::int64_t j = 0; j < H; ++j) {
            switch (r.kind) {
              case Kind::kTanh: next[j] = std::tanh(a[j] + b[j]); break;
              case Kind::kRelu: next[j] = std::max(0.0, a[j] + b[j]); break;
              case Kind::kLSTM: {
                const double i = sigmoid(a[j] + b[j]), f = sigmoid(a[H + j] + b[H + j]);
                const double g = std::tanh(a[2 * H + j] + b[2 * H + j]), o = sigmoid(a[3 * H + j] + b[3 * H + j]);
                c[j] = f * c[j] + i * g;
                if (r.clip) c[j] = std::clamp(c[j], r.clip->first, r.clip->second);
                next[j] = o * std::tanh(c[j]);
                break;
              }
              case Kind::kGRU: {
                const double reset = sigmoid(a[j] + b[j]), update = sigmoid(a[H + j] + b[H + j]);
                const double candidate = std::tanh(a[2 * H + j] + reset * b[2 * H + j]);
                next[j] = (1 - update) * candidate + update * h[j];
                break;
              }
            }
          }
          if (r.projection > 0) {  // h = W_h2r (o tanh(c))
            std::vector<double> projected(static_cast<std::size_t>(R));
            for (std::int64_t p = 0; p < R; ++p)
              for (std::int64_t j = 0; j < H; ++j) projected[p] += r.wr[row][p * H + j] * next[j];
            next = projected;
          }
          h = next;
          for (std::int64_t j = 0; j < R; ++j) y[((t * batch + n) * r.directions + d) * R + j] = h[j];
        }
        for (std::int64_t j = 0; j < R; ++j) last[0][(static_cast<std::int64_t>(row) * batch + n) * R + j] = h[j];
        for (std::int64_t j = 0; j < H && count > 1; ++j) last[1][(static_cast<std::int64_t>(row) * batch + n) * H + j] = c[j];
      }
    }
    x = std::move(y);
    features = r.directions * R;
  }
  return x;
}

// (N, T, C) values as (T, N, C).
std::vector<double> to_time_major(const std::vector<double>& v, std::int64_t batch, std::int64_t steps, std::int64_t c) {
  std::vector<double> out(v.size());
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::int64_t k = 0; k < c; ++k) out[(t * batch + n) * c + k] = v[(n * steps + t) * c + k];
  return out;
}

// MXNet's packing of a stack's parameters, written out here apart from the library's: every weight, layer by
// layer and the forward direction first, i2h then h2h (then h2r with a projection); then every bias in the
// same order, i2h then h2h.
std::vector<double> pack(const Reference& r) {
  std::vector<double> flat;
  const auto append = [&](const std::vector<double>& v) { flat.insert(flat.end(), v.begin(), v.end()); };
  for (std::size_t row = 0; row < r.wi.size(); ++row) {
    append(r.wi[row]);
    append(r.wh[row]);
    if (r.projection > 0) append(r.wr[row]);
  }
  for (std::size_t row = 0; row < r.bi.size(); ++row) {
    append(r.bi[row]);
    append(r.bh[row]);
  }
  return flat;
}

std::vector<double> uniform_values(std::mt19937_64& rng, std::int64_t count, double bound) {
  std::uniform_real_distribution<double> value(-bound, bound);
  std::vector<double> v(static_cast<std::size_t>(count));
  for (double& x : v) x = value(rng);
  return v;
}

// Random weights for a stack of `layers` over input size `features`.
Reference random_stack(std::mt19937_64& rng, Kind kind, int layers, int directions, std::int64_t features,
                       std::int64_t hidden, std::int64_t projection = 0) {
  Reference r{kind, layers, directions, hidden, {}, {}, {}, {}};
  r.projection = projection;
  const std::int64_t rows = gates(kind) * hidden, width = projection > 0 ? projection : hidden;
  for (int l = 0; l < layers; ++l) {
    for (int d = 0; d < directions; ++d) {
      r.wi.push_back(uniform_values(rng, rows * (l == 0 ? features : directions * width), 0.8));
      r.wh.push_back(uniform_values(rng, rows * width, 0.8));
      if (projection > 0) r.wr.push_back(uniform_values(rng, projection * hidden, 0.8));
      r.bi.push_back(uniform_values(rng, rows, 0.5));
      r.bh.push_back(uniform_values(rng, rows, 0.5));
    }
  }
  return r;
}

rnn::RecurrentLayerOptions float64_options(int layers, bool bidirectional, std::string layout) {
  return {.num_layers = layers, .layout = std::move(layout), .bidirectional = bidirectional, .dtype = DType::kFloat64,
          .i2h_bias_initializer = init::Uniform(0.5), .h2h_bias_initializer = init::Uniform(0.5)};
}

}  // namespace

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

TEST_CASE("MXNet's fused RNN operator runs its packed parameters to the equations", "[gluon][rnn]") {
  const std::int64_t T = 3, N = 2, C = 3, H = 2;
  std::mt19937_64 rng(11);
  const struct {
    Kind kind;
    const char* mode;
    std::int64_t projection;
  } modes[] = {{Kind::kTanh, "rnn_tanh", 0}, {Kind::kRelu, "rnn_relu", 0}, {Kind::kLSTM, "lstm", 0},
               {Kind::kLSTM, "lstm", 1}, {Kind::kGRU, "gru", 0}};
  for (const auto& [kind, mode, projection] : modes) {
    for (const bool bidirectional : {false, true}) {
      for (const bool given : {false, true}) {
        INFO(mode << (projection ? " projected" : "") << (bidirectional ? " bidirectional" : "") << (given ? " given states" : ""));
        const int D = bidirectional ? 2 : 1, count = kind == Kind::kLSTM ? 2 : 1;
        const std::int64_t R = projection ? projection : H;
        Reference r = random_stack(rng, kind, 2, D, C, H, projection);
        nd::RNNOptions options{.state_size = H, .num_layers = 2, .bidirectional = bidirectional, .mode = mode,
                               .state_outputs = true};
        if (projection) options.projection_size = projection;
        // A clip that bites, on the LSTM from given states.
        if (kind == Kind::kLSTM && given) {
          r.clip = {-0.3, 0.25};
          options.lstm_state_clip_min = -0.3;
          options.lstm_state_clip_max = 0.25;
        }
        const std::vector<double> packed = pack(r);
        REQUIRE(nd::rnn_param_size(options, C) == static_cast<std::int64_t>(packed.size()));
        const std::vector<double> x = uniform_values(rng, T * N * C, 1);
        std::vector<NDArray> states;
        std::vector<std::vector<double>> state_values;
        for (int k = 0; given && k < count; ++k) {
          const std::int64_t width = k == 0 ? R : H;
          state_values.push_back(uniform_values(rng, 2 * D * N * width, 1));
          states.push_back(nd::array(state_values.back(), Shape{2 * D, N, width}, cpu(), DType::kFloat64));
        }
        const NDArray data = nd::array(x, Shape{T, N, C}, cpu(), DType::kFloat64);
        const NDArray parameters = nd::array(packed, Shape{static_cast<std::int64_t>(packed.size())}, cpu(), DType::kFloat64);
        const std::vector<NDArray> got = nd::RNN(data, parameters, states, {}, options);
        std::vector<std::vector<double>> last;
        const std::vector<double> expected = reference_run(r, x, T, N, C, state_values, last);
        REQUIRE(got.size() == static_cast<std::size_t>(1 + count));
        check_array(got[0], {T, N, D * R}, expected, 1e-12);
        for (std::size_t k = 0; k < last.size(); ++k) check_array(got[1 + k], {2 * D, N, k == 0 ? R : H}, last[k], 1e-12);
        if (r.clip) {  // the clip changed the result
          Reference unclipped = r;
          unclipped.clip.reset();
          std::vector<std::vector<double>> unclipped_last;
          const std::vector<double> free = reference_run(unclipped, x, T, N, C, state_values, unclipped_last);
          double largest = 0;
          for (std::size_t i = 0; i < free.size(); ++i) largest = std::max(largest, std::abs(free[i] - expected[i]));
          CHECK(largest > 1e-3);
        }
        // Without state outputs, the output alone; MXNet's exported zero states (2D, 0, H) count as zeros.
        options.state_outputs = false;
        if (!given) {
          std::vector<NDArray> unknown_batch;
          for (int k = 0; k < count; ++k) unknown_batch.push_back(nd::zeros({2 * D, 0, k == 0 ? R : H}, cpu(), DType::kFloat64));
          const std::vector<NDArray> zeros = nd::RNN(data, parameters, unknown_batch, {}, options);
          REQUIRE(zeros.size() == 1);
          check_array(zeros[0], {T, N, D * R}, expected, 1e-12);
        }
      }
    }
  }
}

TEST_CASE("gradients through the fused RNN operator match finite differences", "[gluon][rnn]") {
  // A bidirectional LSTM with clipping and a projection: data, packed parameters and both states.
  nd::RNNOptions lstm{.state_size = 2, .bidirectional = true, .mode = "lstm", .state_outputs = true,
                      .lstm_state_clip_min = -0.6, .lstm_state_clip_max = 0.6, .projection_size = 1};
  const auto joined = [](const std::vector<NDArray>& outputs) {
    std::vector<NDArray> flat;
    for (const NDArray& o : outputs) flat.push_back(o.reshape({-1}));
    return nd::concat(flat, 0);
  };
  test::GradientCheck c;
  c.f = [&](const std::vector<NDArray>& in) { return joined(nd::RNN(in[0], in[1], {in[2], in[3]}, {}, lstm)); };
  c.shapes = {{3, 2, 2}, {nd::rnn_param_size(lstm, 2)}, {2, 2, 1}, {2, 2, 2}};
  c.low = -1;
  c.high = 1;
  c.both_signs = true;
  test::check_gradient(c);
  // A two-layer GRU over sequences of lengths 0 to 3.
  nd::RNNOptions gru{.state_size = 2, .num_layers = 2, .mode = "gru", .state_outputs = true};
  test::GradientCheck g;
  g.f = [&](const std::vector<NDArray>& in) { return joined(nd::RNN(in[0], in[1], {in[2]}, in[3], gru)); };
  g.shapes = {{3, 4, 2}, {nd::rnn_param_size(gru, 2)}, {2, 4, 2}, {4}};
  g.differentiable = {true, true, true, false};
  g.index_limit = 4;
  g.low = -1;
  g.high = 1;
  g.both_signs = true;
  test::check_gradient(g);
}

TEST_CASE("an LSTM with a projection (LSTMP) matches the equations, hybridizes and exports", "[gluon][rnn]") {
  const std::int64_t T = 4, N = 3, C = 5, H = 4, P = 2;
  gluon::nn::HybridSequential net;
  auto options = float64_options(2, true, "NTC");
  options.projection_size = P;
  net.add(rnn::LSTM(H, options));
  net.initialize(init::Uniform(0.6));
  auto& lstm = dynamic_cast<rnn::LSTM&>(*net.children().front().second);
  const NDArray x = nd::random::uniform(-1, 1, {N, T, C}, cpu(), DType::kFloat64);
  const std::vector<NDArray> begin = {nd::random::uniform(-1, 1, {4, N, P}, cpu(), DType::kFloat64),
                                      nd::random::uniform(-1, 1, {4, N, H}, cpu(), DType::kFloat64)};
  const rnn::RecurrentOutput got = lstm(x, begin);
  const Reference r = read_weights(Kind::kLSTM, lstm, 2, 2, H);
  REQUIRE(r.projection == P);
  std::vector<std::vector<double>> last;
  const std::vector<double> expected =
      reference_run(r, to_time_major(x.asnumpy<double>(), N, T, C), T, N, C, {begin[0].asnumpy<double>(), begin[1].asnumpy<double>()}, last);
  check_array(nd::swapaxes(got.output, 0, 1), {T, N, 2 * P}, expected, 1e-12);
  check_array(got.states[0], {4, N, P}, last[0], 1e-12);
  check_array(got.states[1], {4, N, H}, last[1], 1e-12);
  CHECK(lstm.begin_state(7)[0].shape() == Shape{4, 7, P});
  CHECK(lstm.collect_params().contains("l1_h2r_weight"));
  CHECK(lstm.collect_params()["l1_i2h_weight"].shape() == Shape{4 * H, 2 * P});
  CHECK(lstm.repr() == "LSTM(5 -> 4, NTC, num_layers=2, bidirectional, projection_size=2)");

  const NDArray imperative = net(x);
  net.hybridize();
  check_array(net(x), {N, T, 2 * P}, imperative.asnumpy<double>(), 1e-12);
  const std::string path = test::temp_path("lstmp");
  net.export_(path);
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  check_array((*loaded)(x), {N, T, 2 * P}, imperative.asnumpy<double>(), 1e-12);
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0000.params").c_str());
}

TEST_CASE("a symbol file MXNet wrote for a recurrent layer loads and runs as the layer", "[gluon][rnn]") {
  // What MXNet 1.9 exports for gluon.rnn.LSTM(3, num_layers=2, bidirectional=True, layout='NTC') under the
  // prefix lstm0_: the input swapped to TNC; every parameter reshaped to (-1,) and joined by
  // _rnn_param_concat (weights first); zero begin states of unknown batch; one RNN node with three outputs,
  // the first swapped back.
  std::vector<std::string> nodes = {R"({"op": "null", "name": "data", "inputs": []})",
                                    R"({"op": "SwapAxis", "name": "lstm0_swapaxes0", "attrs": {"dim1": "0", "dim2": "1"}, "inputs": [[0, 0, 0]]})"};
  std::vector<int> arg_nodes = {0};
  std::string concat_inputs;
  int reshapes = 0;
  for (const char* kind : {"weight", "bias"}) {
    for (const char* stem : {"l0_", "r0_", "l1_", "r1_"}) {
      for (const char* gate : {"i2h_", "h2h_"}) {
        const int variable = static_cast<int>(nodes.size());
        arg_nodes.push_back(variable);
        nodes.push_back(R"({"op": "null", "name": "lstm0_)" + std::string(stem) + gate + kind +
                        R"(", "attrs": {"__dtype__": "0", "__lr_mult__": "1.0", "__storage_type__": "0", "__wd_mult__": "1.0"}, "inputs": []})");
        nodes.push_back(R"({"op": "Reshape", "name": "lstm0_reshape)" + std::to_string(reshapes++) +
                        R"j(", "attrs": {"shape": "(-1,)"}, "inputs": [[)j" + std::to_string(variable) + ", 0, 0]]}");
        concat_inputs += (concat_inputs.empty() ? "[" : ", [") + std::to_string(variable + 1) + ", 0, 0]";
      }
    }
  }
  const int concat = static_cast<int>(nodes.size());
  nodes.push_back(R"({"op": "_rnn_param_concat", "name": "lstm0_rnn_param_concat0", "attrs": {"dim": "0", "num_args": "16"}, "inputs": [)" +
                  concat_inputs + "]}");
  for (int k = 0; k < 2; ++k) {
    nodes.push_back(R"({"op": "_zeros", "name": "lstm0_h0_)" + std::to_string(k) +
                    R"j(", "attrs": {"__layout__": "LNC", "dtype": "float32", "shape": "(4, 0, 3)"}, "inputs": []})j");
  }
  nodes.push_back(R"({"op": "RNN", "name": "lstm0_rnn0", "attrs": {"bidirectional": "True", "lstm_state_clip_max": "None", )"
                  R"("lstm_state_clip_min": "None", "lstm_state_clip_nan": "False", "mode": "lstm", "num_layers": "2", )"
                  R"("p": "0", "projection_size": "None", "state_outputs": "True", "state_size": "3", )"
                  R"("use_sequence_length": "False"}, "inputs": [[1, 0, 0], [)" +
                  std::to_string(concat) + ", 0, 0], [" + std::to_string(concat + 1) + ", 0, 0], [" +
                  std::to_string(concat + 2) + ", 0, 0]]}");
  const int rnn_node = static_cast<int>(nodes.size()) - 1;
  nodes.push_back(R"({"op": "SwapAxis", "name": "lstm0_swapaxes1", "attrs": {"dim1": "0", "dim2": "1"}, "inputs": [[)" +
                  std::to_string(rnn_node) + ", 0, 0]]}");
  std::string json = R"({"nodes": [)", row_ptr = "0", args;
  int rows = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    json += (i ? ",\n" : "") + nodes[i];
    rows += static_cast<int>(i) == rnn_node ? 3 : 1;
    row_ptr += ", " + std::to_string(rows);
  }
  for (const int a : arg_nodes) args += (args.empty() ? "" : ", ") + std::to_string(a);
  json += "], \"arg_nodes\": [" + args + "], \"node_row_ptr\": [" + row_ptr + "], \"heads\": [[" +
          std::to_string(rnn_node + 1) + R"(, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}})";

  // The same layer of ours, its parameters saved as MXNet's arg: entries.
  gluon::nn::Sequential holder;
  {
    auto scope = holder.name_scope();
    holder.add(rnn::LSTM(3, {.num_layers = 2, .layout = "NTC", .bidirectional = true, .input_size = 2,
                             .i2h_bias_initializer = init::Uniform(0.5), .h2h_bias_initializer = init::Uniform(0.5)}));
  }
  holder.initialize(init::Uniform(0.7));
  std::map<std::string, NDArray> saved;
  for (const auto& [name, p] : holder.collect_params()) {
    saved["arg:" + name.substr(holder.prefix().size())] = p.data();
  }
  REQUIRE(saved.contains("arg:lstm0_r1_h2h_bias"));
  const std::string symbol_file = test::temp_path("mxnet-lstm-symbol.json"), param_file = test::temp_path("mxnet-lstm-0000.params");
  std::ofstream(symbol_file) << json;
  nd::save(param_file, saved);
  auto loaded = gluon::SymbolBlock::imports(symbol_file, {"data"}, param_file);
  const NDArray x = nd::random::uniform(-1, 1, {4, 5, 2});
  const NDArray expected = holder(x);
  check_array((*loaded)(x), {4, 5, 6}, expected.asnumpy<double>(), 1e-6);
  // A batch of another size: the zero states' unknown batch follows the input's.
  const NDArray single = nd::random::uniform(-1, 1, {1, 3, 2});
  check_array((*loaded)(single), {1, 3, 6}, holder(single).asnumpy<double>(), 1e-6);
  std::remove(symbol_file.c_str());
  std::remove(param_file.c_str());
}

TEST_CASE("a hybridized recurrent layer exports MXNet's nodes: packed parameters and one RNN", "[gluon][rnn]") {
  gluon::nn::HybridSequential net;
  {
    auto scope = net.name_scope();
    net.add(rnn::GRU(3, {.num_layers = 2, .layout = "NTC", .i2h_bias_initializer = init::Uniform(0.5),
                         .h2h_bias_initializer = init::Uniform(0.5)}));
  }
  net.initialize(init::Xavier());
  const NDArray x = nd::random::uniform(-1, 1, {2, 4, 5});
  const NDArray imperative = net(x);
  net.hybridize();
  check_array(net(x), {2, 4, 3}, imperative.asnumpy<double>(), 1e-6);
  const std::string path = test::temp_path("gru-export");
  net.export_(path);
  std::ifstream file(path + "-symbol.json");
  const std::string json((std::istreambuf_iterator<char>(file)), {});
  const auto count = [&](const std::string& text) {
    std::size_t n = 0;
    for (std::size_t at = json.find(text); at != std::string::npos; at = json.find(text, at + 1)) ++n;
    return n;
  };
  CHECK(count(R"("op": "RNN")") == 1);
  CHECK(count(R"("op": "_rnn_param_concat")") == 1);
  CHECK(count(R"("mode": "gru")") == 1);
  CHECK(count(R"("op": "FullyConnected")") == 0);  // no step of the recurrence as nodes of its own
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  check_array((*loaded)(x), {2, 4, 3}, imperative.asnumpy<double>(), 1e-6);
  const NDArray other = nd::random::uniform(-1, 1, {3, 2, 5});
  check_array((*loaded)(other), {3, 2, 3}, net(other).asnumpy<double>(), 1e-6);
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0000.params").c_str());
}

TEST_CASE("the fused RNN operator refuses bad parameters by name", "[gluon][rnn]") {
  const NDArray data = nd::ones({3, 2, 4});
  nd::RNNOptions o{.state_size = 5, .mode = "lstm"};
  CHECK_THROWS_WITH(nd::RNN(data, nd::ones({7}), {}, {}, o),
                    Contains("RNN") && Contains("(7,)") && Contains("expected (" + std::to_string(nd::rnn_param_size(o, 4)) + ",)"));
  const NDArray parameters = nd::ones({nd::rnn_param_size(o, 4)});
  CHECK_THROWS_WITH(nd::RNN(data, parameters, {nd::zeros({1, 2, 5})}, {}, o), Contains("takes 2 state arrays"));
  CHECK_THROWS_WITH(nd::RNN(data, parameters, {nd::zeros({1, 3, 5}), nd::zeros({1, 3, 5})}, {}, o),
                    Contains("RNN") && Contains("(1, 3, 5)") && Contains("(1, 2, 5)"));
  CHECK_THROWS_WITH(nd::RNN(nd::ones({3, 4}), parameters, {}, {}, o), Contains("RNN") && Contains("(T, N, C)"));
  o.mode = "lstmp";
  CHECK_THROWS_WITH(nd::RNN(data, parameters, {}, {}, o), Contains("RNN") && Contains("lstmp"));
  o.mode = "gru";
  o.lstm_state_clip_min = -1;
  o.lstm_state_clip_max = 1;
  CHECK_THROWS_WITH(nd::RNN(data, nd::ones({nd::rnn_param_size(o, 4)}), {}, {}, o), Contains("mode lstm"));
  // Sizes past 64 bits, as a symbol file may give, are refused rather than wrapped.
  CHECK_THROWS_WITH(op::call_symbol_op("RNN", {{"state_size", "9223372036854775807"}, {"mode", "gru"}},
                                       std::vector<NDArray>{data, parameters, nd::zeros({1, 2, 5})}),
                    Contains("RNN") && Contains("overflow 64 bits"));
  // A projection is LSTM's alone, and whole.
  CHECK_THROWS_WITH(op::call_symbol_op("RNN", {{"state_size", "5"}, {"mode", "gru"}, {"projection_size", "2"}},
                                       std::vector<NDArray>{data, parameters, nd::zeros({1, 2, 5})}),
                    Contains("RNN") && Contains("projection_size"));
  CHECK_THROWS_WITH(op::call_symbol_op("RNN", {{"state_size", "5"}, {"mode", "lstm"}, {"projection_size", "2.5"}},
                                       std::vector<NDArray>{data, parameters, nd::zeros({1, 2, 5}), nd::zeros({1, 2, 5})}),
                    Contains("RNN") && Contains("whole number"));
}
