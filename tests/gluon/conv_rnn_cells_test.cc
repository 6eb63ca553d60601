// The convolutional recurrent cells against their equations in plain float64 loops (convolutions with padding
// and dilation written out), their gradients by finite differences, MXNet's names and shapes, and bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace crnn = gluon::contrib::rnn;

namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

double activate(const std::string& act, double x) {
  if (act == "tanh") return std::tanh(x);
  if (act == "relu") return x > 0 ? x : 0;
  if (act == "softsign") return x / (1 + std::abs(x));
  FAIL("no reference for " << act);
  return 0;
}

// One sample's 1-D convolution: in (C, W) flat, weights (F, C, K), out (F, Wo) with Wo = W + 2 pad - dil (K - 1).
std::vector<double> conv1d(const std::vector<double>& in, std::int64_t channels, std::int64_t width,
                           const std::vector<double>& weight, const std::vector<double>& bias, std::int64_t filters,
                           std::int64_t kernel, std::int64_t pad, std::int64_t dilate) {
  const std::int64_t out_width = width + 2 * pad - dilate * (kernel - 1);
  std::vector<double> out(static_cast<std::size_t>(filters * out_width));
  for (std::int64_t f = 0; f < filters; ++f) {
    for (std::int64_t w = 0; w < out_width; ++w) {
      double sum = bias[static_cast<std::size_t>(f)];
      for (std::int64_t c = 0; c < channels; ++c) {
        for (std::int64_t k = 0; k < kernel; ++k) {
          const std::int64_t at = w + k * dilate - pad;
          if (at < 0 || at >= width) continue;
          sum += weight[static_cast<std::size_t>((f * channels + c) * kernel + k)] * in[static_cast<std::size_t>(c * width + at)];
        }
      }
      out[static_cast<std::size_t>(f * out_width + w)] = sum;
    }
  }
  return out;
}

// A Conv1D cell's step for one sample, from the equations: x (C, W), states (H, Wo) each.
struct Conv1DReference {
  std::string kind, activation;
  std::int64_t channels, width, hidden, i2h_kernel, i2h_pad, i2h_dilate, h2h_kernel, h2h_dilate;
  std::vector<double> wi, wh, bi, bh;

  std::vector<std::vector<double>> step(const std::vector<double>& x, const std::vector<std::vector<double>>& states) const {
    const std::int64_t gates = kind == "lstm" ? 4 : kind == "gru" ? 3 : 1, filters = gates * hidden;
    const std::vector<double> i2h = conv1d(x, channels, width, wi, bi, filters, i2h_kernel, i2h_pad, i2h_dilate);
    const std::int64_t out = width + 2 * i2h_pad - i2h_dilate * (i2h_kernel - 1);
    const std::vector<double> h2h = conv1d(states[0], hidden, out, wh, bh, filters, h2h_kernel,
                                           h2h_dilate * (h2h_kernel - 1) / 2, h2h_dilate);
    const std::size_t n = static_cast<std::size_t>(hidden * out);
    auto g = [&](const std::vector<double>& v, int gate, std::size_t i) { return v[static_cast<std::size_t>(gate) * n + i]; };
    std::vector<double> h(n), c(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (kind == "rnn") {
        h[i] = activate(activation, g(i2h, 0, i) + g(h2h, 0, i));
      } else if (kind == "lstm") {
        const double in = sigmoid(g(i2h, 0, i) + g(h2h, 0, i)), forget = sigmoid(g(i2h, 1, i) + g(h2h, 1, i));
        const double candidate = activate(activation, g(i2h, 2, i) + g(h2h, 2, i)), output = sigmoid(g(i2h, 3, i) + g(h2h, 3, i));
        c[i] = forget * states[1][i] + in * candidate;
        h[i] = output * activate(activation, c[i]);
      } else {
        const double reset = sigmoid(g(i2h, 0, i) + g(h2h, 0, i)), update = sigmoid(g(i2h, 1, i) + g(h2h, 1, i));
        const double candidate = activate(activation, g(i2h, 2, i) + reset * g(h2h, 2, i));
        h[i] = (1 - update) * candidate + update * states[0][i];
      }
    }
    if (kind == "lstm") return {h, c};
    return {h};
  }
};

std::vector<double> sample_of(const NDArray& a, std::int64_t n) { return a.at(n).template asnumpy<double>(); }

template <class Cell>
void check_against_reference(Cell cell, const std::string& kind, const std::string& activation) {
  INFO(kind << " " << activation);
  random::seed(3);
  cell.initialize(init::Uniform(0.4));
  cell.cast(DType::kFloat64);
  auto params = cell.collect_params();
  const std::string p;  // outside a name scope parameters go by their paths
  Conv1DReference ref{kind, activation, 2, 6, 3, 3, 2, 2, 3, 1,
                      params[p + "i2h_weight"].data().template asnumpy<double>(), params[p + "h2h_weight"].data().template asnumpy<double>(),
                      params[p + "i2h_bias"].data().template asnumpy<double>(), params[p + "h2h_bias"].data().template asnumpy<double>()};
  // Non-zero biases, so that their place in the sums shows.
  const NDArray x = nd::random::uniform(-1, 1, {2, 4, 2, 6}, cpu(), DType::kFloat64);  // N, T, C, W
  std::vector<NDArray> begin;
  for (NDArray s : cell.begin_state(2)) begin.push_back(nd::random::uniform(-1, 1, s.shape(), cpu(), DType::kFloat64));
  const auto [outputs, last] = cell.unroll(4, x, begin, "NTC");
  REQUIRE(outputs.shape() == Shape{2, 4, 3, 6});
  for (std::int64_t n = 0; n < 2; ++n) {
    std::vector<std::vector<double>> states;
    for (const NDArray& s : begin) states.push_back(sample_of(s, n));
    for (std::int64_t t = 0; t < 4; ++t) {
      states = ref.step(nd::slice(x, {n, t}, {n + 1, t + 1}).reshape({2, 6}).template asnumpy<double>(), states);
      const std::vector<double> got = nd::slice(outputs, {n, t}, {n + 1, t + 1}).template asnumpy<double>();
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(states[0][i]).margin(1e-12));
    }
    for (std::size_t k = 0; k < last.size(); ++k) {
      const std::vector<double> got = sample_of(last[k], n);
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(states[k][i]).margin(1e-12));
    }
  }
}

}  // namespace

TEST_CASE("convolutional RNN, LSTM and GRU cells step as their equations, with padding and dilation", "[gluon][rnn]") {
  // Input (2, 6); i2h kernel 3 dilated 2 and padded 2 (the width stays 6); h2h kernel 3, padded 1.
  const crnn::ConvCellOptions relu{.i2h_pad = {2}, .i2h_dilate = {2}, .activation = "relu"};
  const crnn::ConvCellOptions plain{.i2h_pad = {2}, .i2h_dilate = {2}};
  const crnn::ConvCellOptions softsign{.i2h_pad = {2}, .i2h_dilate = {2}, .activation = "softsign"};
  check_against_reference(crnn::Conv1DRNNCell({2, 6}, 3, {3}, {3}, relu), "rnn", "relu");
  check_against_reference(crnn::Conv1DLSTMCell({2, 6}, 3, {3}, {3}, plain), "lstm", "tanh");
  check_against_reference(crnn::Conv1DGRUCell({2, 6}, 3, {3}, {3}, softsign), "gru", "softsign");
}

TEST_CASE("convolutional cells name and shape their parameters and states as MXNet's", "[gluon][rnn]") {
  gluon::nn::Sequential net;
  {
    auto scope = net.name_scope();
    net.add(crnn::Conv2DLSTMCell({3, 8, 8}, 4, {3}, {5}, {.i2h_pad = {1}}), crnn::Conv1DGRUCell({2, 10}, 3, {3}, {5}),
            crnn::Conv3DRNNCell({1, 4, 5, 6}, 2, {1, 3, 3}, {3}));
  }
  std::vector<std::string> names;
  for (const auto& [name, param] : net.collect_params()) names.push_back(name.substr(net.prefix().size()) + " " + param.shape().str());
  CHECK(names == std::vector<std::string>{
                     "conv_lstm0_i2h_weight (16, 3, 3, 3)", "conv_lstm0_h2h_weight (16, 4, 5, 5)", "conv_lstm0_i2h_bias (16,)",
                     "conv_lstm0_h2h_bias (16,)", "conv_gru0_i2h_weight (9, 2, 3)", "conv_gru0_h2h_weight (9, 3, 5)",
                     "conv_gru0_i2h_bias (9,)", "conv_gru0_h2h_bias (9,)", "conv_rnn0_i2h_weight (2, 1, 1, 3, 3)",
                     "conv_rnn0_h2h_weight (2, 2, 3, 3, 3)", "conv_rnn0_i2h_bias (2,)", "conv_rnn0_h2h_bias (2,)"});
  crnn::Conv2DLSTMCell lstm({3, 8, 8}, 4, {3}, {5}, {.i2h_pad = {1}});
  CHECK(lstm.state_shape() == Shape{4, 8, 8});
  CHECK(lstm.num_states() == 2);
  CHECK(lstm.begin_state(5)[1].shape() == Shape{5, 4, 8, 8});
  CHECK(lstm.repr() == "Conv2DLSTMCell(3 -> 16, tanh, NCHW)");
  crnn::Conv1DGRUCell gru({2, 10}, 3, {3}, {5});
  CHECK(gru.state_shape() == Shape{3, 8});  // no padding: 10 - 2
}

TEST_CASE("a Conv2DLSTMCell unrolls with sequence lengths and hybridizes to the same values", "[gluon][rnn]") {
  random::seed(5);
  crnn::Conv2DLSTMCell cell({2, 4, 5}, 3, {3}, {3}, {.i2h_pad = {1}});
  cell.initialize(init::Uniform(0.4));
  cell.cast(DType::kFloat64);
  const NDArray x = nd::random::uniform(-1, 1, {3, 4, 2, 4, 5}, cpu(), DType::kFloat64);  // N, T, C, H, W
  const NDArray lengths = nd::array(std::vector<double>{4, 2, 1}, Shape{3}, cpu(), DType::kFloat64);
  const auto [outputs, last] = cell.unroll(4, x, {}, "NTC", lengths);
  // Each sequence alone, for its own length: the same outputs, zeros after its end, and its last step's states.
  for (std::int64_t n = 0; n < 3; ++n) {
    const auto length = static_cast<std::int64_t>(lengths.template asnumpy<double>()[static_cast<std::size_t>(n)]);
    const auto [alone, alone_last] = cell.unroll(length, nd::slice(x, {n, 0}, {n + 1, length}), {}, "NTC");
    const std::vector<double> got = nd::slice(outputs, {n, 0}, {n + 1, 4}).template asnumpy<double>(), expected = alone.template asnumpy<double>();
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(i < expected.size() ? expected[i] : 0.0).margin(1e-12));
    for (std::size_t k = 0; k < 2; ++k) {
      const std::vector<double> state = last[k].at(n).template asnumpy<double>(), alone_state = alone_last[k].template asnumpy<double>();
      for (std::size_t i = 0; i < state.size(); ++i) CHECK(state[i] == Approx(alone_state[i]).margin(1e-12));
    }
  }
  // TNC gives the same outputs, time-major.
  const auto [time_major, unused] = cell.unroll(4, nd::swapaxes(x, 0, 1), {}, "TNC");
  test::check_array(nd::swapaxes(time_major, 0, 1), outputs.shape(), test::values(cell.unroll(4, x, {}, "NTC").output), 1e-12);
  // One step from zero states, imperative and hybridized.
  const NDArray frame = nd::slice(x, {0, 0}, {3, 1}).reshape({3, 2, 4, 5});
  const std::vector<double> imperative = test::values(cell(frame));
  cell.hybridize();
  test::check_array(cell(frame), Shape{3, 3, 4, 5}, imperative, 1e-12);
}

TEST_CASE("a Conv2DGRUCell's gradients match finite differences", "[gluon][rnn]") {
  random::seed(11);
  crnn::Conv2DGRUCell cell({1, 3, 3}, 2, {3}, {3}, {.i2h_pad = {1}});
  cell.initialize(init::Uniform(0.5));
  cell.cast(DType::kFloat64);
  NDArray x = nd::random::uniform(-1, 1, {2, 2, 1, 3, 3}, cpu(), DType::kFloat64);
  const NDArray weights = nd::random::uniform(-1, 1, {2, 2, 2, 3, 3}, cpu(), DType::kFloat64);
  auto loss = [&] { return (cell.unroll(2, x, {}, "NTC").output * weights).sum(); };
  x.attach_grad();
  gluon::Parameter h2h = cell.collect_params()["h2h_weight"];
  {
    autograd::record r;
    loss().backward();
  }
  const std::vector<double> dx = x.grad().template asnumpy<double>(), dw = h2h.grad().template asnumpy<double>();
  const double eps = 1e-6;
  auto central = [&](NDArray array, std::int64_t i) {
    std::vector<double> v = array.template asnumpy<double>();
    const double saved = v[static_cast<std::size_t>(i)];
    v[static_cast<std::size_t>(i)] = saved + eps;
    nd::copyto(nd::array(v, array.shape(), cpu(), DType::kFloat64), array);
    const double up = loss().asscalar<double>();
    v[static_cast<std::size_t>(i)] = saved - eps;
    nd::copyto(nd::array(v, array.shape(), cpu(), DType::kFloat64), array);
    const double down = loss().asscalar<double>();
    v[static_cast<std::size_t>(i)] = saved;
    nd::copyto(nd::array(v, array.shape(), cpu(), DType::kFloat64), array);
    return (up - down) / (2 * eps);
  };
  for (std::int64_t i : {0, 7, 13, 25, 35}) CHECK(dx[static_cast<std::size_t>(i)] == Approx(central(x, i)).margin(1e-7));
  NDArray h2h_data = h2h.data();
  for (std::int64_t i : {0, 9, 40, 71, 107}) CHECK(dw[static_cast<std::size_t>(i)] == Approx(central(h2h_data, i)).margin(1e-7));
}

TEST_CASE("convolutional cells name themselves and the shapes on bad input", "[gluon][rnn]") {
  CHECK_THROWS_WITH(crnn::Conv2DLSTMCell({3, 8, 8}, 4, {3}, {4}), Contains("Conv2DLSTMCell") && Contains("odd") && Contains("(4,)"));
  CHECK_THROWS_WITH(crnn::Conv2DLSTMCell({3, 8, 8}, 4, {3}, {3}, {.conv_layout = "NHWC"}),
                    Contains("NHWC") && Contains("NCHW"));
  CHECK_THROWS_WITH(crnn::Conv2DGRUCell({3, 8}, 4, {3}, {3}), Contains("Conv2DGRUCell") && Contains("(C, H, W)") && Contains("(3, 8)"));
  CHECK_THROWS_WITH(crnn::Conv1DRNNCell({3, 8}, 4, {3, 3}, {3}), Contains("i2h_kernel") && Contains("(3, 3)"));
  CHECK_THROWS_WITH(crnn::Conv1DRNNCell({3, 2}, 4, {3}, {3}), Contains("input_shape (3, 2)"));
  CHECK_THROWS_WITH(crnn::Conv1DRNNCell({3, 8}, 4, {3}, {3}, {.activation = "gelu"}), Contains("gelu"));
  crnn::Conv1DLSTMCell cell({3, 8}, 4, {3}, {3}, {.i2h_pad = {1}});
  cell.initialize();
  CHECK_THROWS_WITH(cell(nd::ones({2, 3, 9})), Contains("Conv1DLSTMCell") && Contains("(N, 3, 8)") && Contains("(2, 3, 9)"));
  CHECK_THROWS_WITH(cell(nd::ones({2, 3, 8}), {nd::zeros({2, 4, 8})}), Contains("2 state arrays"));
  CHECK_THROWS_WITH(cell(nd::ones({2, 3, 8}), {nd::zeros({2, 4, 8}), nd::zeros({2, 4, 7})}),
                    Contains("(2, 4, 7)") && Contains("(2, 4, 8)"));
}

TEST_CASE("convolutional cells stack and run both ways inside the cell wrappers", "[gluon][rnn]") {
  random::seed(4);
  crnn::Conv1DLSTMCell lstm({2, 6}, 3, {3}, {3}, {.i2h_pad = {1}});
  crnn::Conv1DGRUCell gru({3, 6}, 2, {1}, {3});
  for (gluon::rnn::BaseCell* cell : std::initializer_list<gluon::rnn::BaseCell*>{&lstm, &gru}) {
    cell->initialize(init::Uniform(0.4));
    cell->cast(DType::kFloat64);
  }
  const NDArray x = nd::random::uniform(-1, 1, {2, 3, 2, 6}, cpu(), DType::kFloat64);  // N, T, C, W
  gluon::rnn::SequentialRNNCell stack;
  stack.add(lstm, gru);
  const auto stacked = stack.unroll(3, x, {}, "NTC");
  const auto first = lstm.unroll(3, x, {}, "NTC");
  test::check_array(stacked.output, Shape{2, 3, 2, 6}, test::values(gru.unroll(3, first.output, {}, "NTC").output), 1e-12);

  crnn::Conv1DGRUCell left({2, 6}, 2, {3}, {3}, {.i2h_pad = {1}}), right({2, 6}, 2, {3}, {3}, {.i2h_pad = {1}});
  for (crnn::Conv1DGRUCell* cell : {&left, &right}) {
    cell->initialize(init::Uniform(0.4));
    cell->cast(DType::kFloat64);
  }
  gluon::rnn::BidirectionalCell both(left, right);
  const auto out = both.unroll(3, x, {}, "NTC");
  REQUIRE(out.output.shape() == Shape{2, 3, 4, 6});  // the two cells' channels side by side
  // Its first channels are the left cell's run; the rest the right cell's run over the reversed sequence.
  test::check_array(nd::slice_axis(out.output, 2, 0, 2), Shape{2, 3, 2, 6}, test::values(left.unroll(3, x, {}, "NTC").output), 1e-12);
  const NDArray reversed = nd::flip(x, 1);
  test::check_array(nd::slice_axis(out.output, 2, 2, 4), Shape{2, 3, 2, 6},
                    test::values(nd::flip(right.unroll(3, reversed, {}, "NTC").output, 1)), 1e-12);
}
