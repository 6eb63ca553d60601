// The cells that stack, wrap or modify others: each against the same cells driven by hand (sequences with
// lengths against each sequence run alone), and their training-only behaviour.
#include <catch2/catch.hpp>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace rnn = gluon::rnn;

namespace {

void check_same(const NDArray& got, const NDArray& expected, const char* what) {
  INFO(what);
  REQUIRE(got.shape() == expected.shape());
  const std::vector<double> g = test::values(got), e = test::values(expected);
  for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == Approx(e[i]).margin(1e-12));
}

// Sequence n of (N, T, C), its first `length` steps: (1, length, C).
NDArray sequence_of(const NDArray& x, std::int64_t n, std::int64_t length) {
  return nd::slice(x, {n, 0}, {n + 1, length});
}

const Shape kInput{3, 4, 5};  // N, T, C
const std::vector<double> kLengths = {4, 2, 1};

NDArray random_input() {
  random::seed(8);
  return nd::random::uniform(-1, 1, kInput, cpu(), DType::kFloat64);
}

template <class C>
C initialized(C cell) {
  cell.initialize(init::Uniform(0.5));
  cell.cast(DType::kFloat64);
  return cell;
}

}  // namespace

TEST_CASE("SequentialRNNCell steps its cells in turn and unrolls each over the sequence", "[gluon][rnn]") {
  rnn::LSTMCell lstm = initialized(rnn::LSTMCell(4, {.input_size = 5}));
  rnn::GRUCell gru = initialized(rnn::GRUCell(3, {.input_size = 4}));
  rnn::SequentialRNNCell stack;
  stack.add(lstm, gru);
  const NDArray x = random_input();
  const NDArray x0 = nd::slice(x, {0, 0}, {3, 1}).reshape({3, 5});
  // A step: the LSTM's output into the GRU, the states side by side ([h, c] then [h]).
  const std::vector<NDArray> begin = stack.begin_state(3, cpu());
  REQUIRE(begin.size() == 3);
  const auto [out, states] = stack(x0, begin);
  const auto first = lstm(x0, lstm.begin_state(3, cpu()));
  const auto second = gru(first.output, gru.begin_state(3, cpu()));
  check_same(out, second.output, "step output");
  check_same(states[1], first.states[1], "the LSTM's c");
  check_same(states[2], second.states[0], "the GRU's h");
  // Unrolled with lengths: each sequence as if run alone, zeros after its end, the states of its last step.
  const NDArray lengths = nd::array(std::span<const double>(kLengths), std::nullopt, cpu(), DType::kFloat64);
  const auto all = stack.unroll(4, x, {}, "NTC", lengths);
  REQUIRE(all.output.shape() == Shape{3, 4, 3});
  for (std::int64_t n = 0; n < 3; ++n) {
    const auto length = static_cast<std::int64_t>(kLengths[static_cast<std::size_t>(n)]);
    const auto alone = stack.unroll(length, sequence_of(x, n, length), {}, "NTC");
    check_same(nd::slice(all.output, {n, 0}, {n + 1, length}), alone.output, "outputs within the length");
    if (length < 4) CHECK(nd::slice(all.output, {n, length}, {n + 1, 4}).abs().sum().asscalar<double>() == 0);
    for (std::size_t k = 0; k < 3; ++k) check_same(nd::slice(all.states[k], {n}, {n + 1}), alone.states[k], "last states");
  }
  // Its forward (one step from zeros) hybridizes.
  const NDArray imperative = stack(x0);
  stack.hybridize();
  check_same(stack(x0), imperative, "hybridized step");
  CHECK_THROWS_WITH(stack(x0, {begin[0]}), Contains("SequentialRNNCell") && Contains("state arrays"));
}

TEST_CASE("BidirectionalCell runs one cell forwards and one backwards within each sequence's length", "[gluon][rnn]") {
  rnn::LSTMCell left = initialized(rnn::LSTMCell(3, {.input_size = 5}));
  rnn::GRUCell right = initialized(rnn::GRUCell(2, {.input_size = 5}));
  rnn::BidirectionalCell both(left, right);
  const NDArray x = random_input();
  const NDArray lengths = nd::array(std::span<const double>(kLengths), std::nullopt, cpu(), DType::kFloat64);
  for (bool with_lengths : {false, true}) {
    INFO("with lengths: " << with_lengths);
    const auto all = both.unroll(4, nd::swapaxes(x, 0, 1), {}, "TNC", with_lengths ? lengths : NDArray());
    REQUIRE(all.output.shape() == Shape{4, 3, 5});
    REQUIRE(all.states.size() == 3);
    for (std::int64_t n = 0; n < 3; ++n) {
      const std::int64_t length = with_lengths ? static_cast<std::int64_t>(kLengths[static_cast<std::size_t>(n)]) : 4;
      const NDArray alone = sequence_of(x, n, length);
      const auto forwards = left.unroll(length, alone, {}, "NTC");
      const auto backwards = right.unroll(length, nd::flip(alone, 1), {}, "NTC");
      const NDArray expected = nd::concat({forwards.output, nd::flip(backwards.output, 1)}, 2);  // (1, length, 5)
      check_same(nd::swapaxes(nd::slice(all.output, {0, n}, {length, n + 1}), 0, 1), expected, "outputs");
      check_same(nd::slice(all.states[0], {n}, {n + 1}), forwards.states[0], "left h");
      check_same(nd::slice(all.states[2], {n}, {n + 1}), backwards.states[0], "right h");
    }
  }
  CHECK_THROWS_WITH(both(nd::zeros({3, 5}, cpu(), DType::kFloat64), both.begin_state(3, cpu())), Contains("unroll"));
}

TEST_CASE("ResidualCell adds the input, DropoutCell drops it in training only", "[gluon][rnn]") {
  rnn::GRUCell gru = initialized(rnn::GRUCell(5, {.input_size = 5}));
  rnn::ResidualCell residual(gru);
  const NDArray x = random_input();
  const NDArray x0 = nd::slice(x, {0, 0}, {3, 1}).reshape({3, 5});
  check_same(residual(x0, residual.begin_state(3, cpu())).output, gru(x0, gru.begin_state(3, cpu())).output + x0, "step");
  const NDArray lengths = nd::array(std::span<const double>(kLengths), std::nullopt, cpu(), DType::kFloat64);
  const auto all = residual.unroll(4, x, {}, "NTC", lengths);
  const auto base = gru.unroll(4, x, {}, "NTC", lengths);
  check_same(all.output, base.output + nd::SequenceMask(x, lengths, 0, 1), "unrolled, zero past each length");

  rnn::DropoutCell dropout(0.5);
  CHECK(dropout.begin_state(3).empty());
  check_same(dropout(x0, {}).output, x0, "predicting");
  const NDArray ones = nd::ones({100, 100}, cpu(), DType::kFloat64);
  autograd::train_mode train;
  const std::vector<double> dropped = test::values(dropout(ones, {}).output);
  int zeros = 0;
  for (double v : dropped) {
    CHECK((v == 0 || v == 2));
    zeros += v == 0;
  }
  CHECK(zeros > 4500);
  CHECK(zeros < 5500);
  // Shared along the time axis of an unrolled (N, T, C): the same units dropped at every step; so does the
  // Dropout layer with the same axes.
  const NDArray sequence = nd::ones({8, 6, 20}, cpu(), DType::kFloat64);
  for (const NDArray& dropped_sequence : {rnn::DropoutCell(0.5, {1}).unroll(6, sequence, {}, "NTC").output,
                                          gluon::nn::Dropout(0.5, {1})(sequence)}) {
    const NDArray first_step = nd::slice(dropped_sequence, {0, 0}, {8, 1});
    for (std::int64_t t = 1; t < 6; ++t) check_same(nd::slice(dropped_sequence, {0, t}, {8, t + 1}), first_step, "shared mask");
    CHECK(first_step.sum().asscalar<double>() > 40);
    CHECK(first_step.sum().asscalar<double>() < 280);
  }
  CHECK_THROWS_WITH(rnn::DropoutCell(1), Contains("DropoutCell"));
}

TEST_CASE("ZoneoutCell keeps previous outputs and states in training, with the given probabilities", "[gluon][rnn]") {
  rnn::LSTMCell lstm = initialized(rnn::LSTMCell(4, {.input_size = 5}));
  const NDArray x = random_input();
  // Predicting, it is the cell itself.
  rnn::ZoneoutCell half(lstm, 0.5, 0.5);
  check_same(half.unroll(4, x, {}, "NTC").output, lstm.unroll(4, x, {}, "NTC").output, "predicting");
  autograd::train_mode train;
  // Always zoned out: every state stays at its begin value, every output at the zeros before the first step.
  rnn::ZoneoutCell frozen(lstm, 1, 1);
  const std::vector<NDArray> begin = {nd::full({3, 4}, 0.25, cpu(), DType::kFloat64), nd::full({3, 4}, -0.5, cpu(), DType::kFloat64)};
  const auto still = frozen.unroll(4, x, begin, "NTC");
  CHECK(still.output.abs().sum().asscalar<double>() == 0);
  check_same(still.states[1], begin[1], "c kept");
  // Half the time: each unit of a step's states is either the new value or the old one.
  const NDArray x0 = nd::slice(x, {0, 0}, {3, 1}).reshape({3, 5});
  random::seed(3);
  const auto step = half(x0, begin);
  const std::vector<double> fresh = test::values(lstm(x0, begin).states[1]), got = test::values(step.states[1]);
  int kept = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK((got[i] == Approx(fresh[i]) || got[i] == -0.5));
    kept += got[i] == -0.5;
  }
  CHECK(kept > 0);
  CHECK(kept < 12);
  CHECK_THROWS_WITH(rnn::ZoneoutCell(lstm, 1.5), Contains("ZoneoutCell"));
}

TEST_CASE("contrib VariationalDropoutCell draws one mask per sequence and keeps it at every step", "[gluon][rnn]") {
  namespace crnn = gluon::contrib::rnn;
  // Over a cell that passes its input through, the outputs are the input mask itself.
  crnn::VariationalDropoutCell cell(rnn::DropoutCell(0), /*drop_inputs=*/0.5);
  const NDArray ones = nd::ones({8, 6, 50}, cpu(), DType::kFloat64);
  check_same(cell.unroll(6, ones, {}, "NTC").output, ones, "predicting: no mask");
  autograd::train_mode train;
  random::seed(12);
  const NDArray first = cell.unroll(6, ones, {}, "NTC").output;
  const NDArray step0 = nd::slice(first, {0, 0}, {8, 1});
  for (std::int64_t t = 1; t < 6; ++t) check_same(nd::slice(first, {0, t}, {8, t + 1}), step0, "the same mask at every step");
  const std::vector<double> mask = test::values(step0);
  int zeros = 0;
  for (double v : mask) {
    CHECK((v == 0 || v == 2));
    zeros += v == 0;
  }
  CHECK(zeros > 120);
  CHECK(zeros < 280);
  // The next sequence draws anew.
  CHECK(test::values(nd::slice(cell.unroll(6, ones, {}, "NTC").output, {0, 0}, {8, 1})) != mask);
  // States: only h (the first) is masked before the step.
  rnn::LSTMCell lstm = initialized(rnn::LSTMCell(3, {.input_size = 2}));
  crnn::VariationalDropoutCell on_states(lstm, 0, 0.5);
  const NDArray x = nd::ones({4, 2}, cpu(), DType::kFloat64);
  const std::vector<NDArray> begin = {nd::full({4, 3}, 0.5, cpu(), DType::kFloat64), nd::full({4, 3}, 0.5, cpu(), DType::kFloat64)};
  random::seed(1);
  const auto got = on_states(x, begin);
  random::seed(1);
  const NDArray h_mask = nd::Dropout(nd::ones({4, 3}, cpu(), DType::kFloat64), 0.5);
  check_same(got.output, lstm(x, {begin[0] * h_mask, begin[1]}).output, "h masked, c not");
  CHECK_THROWS_WITH(crnn::VariationalDropoutCell(lstm, 1), Contains("VariationalDropoutCell"));
}

TEST_CASE("contrib LSTMPCell projects each step's output", "[gluon][rnn]") {
  namespace crnn = gluon::contrib::rnn;
  crnn::LSTMPCell cell(2, 1, {.input_size = 2});
  cell.initialize(init::Zero());
  cell.cast(DType::kFloat64);
  auto params = cell.collect_params();
  // i2h (8, 2), h2h (8, 1), h2r (1, 2), biases (8).
  const std::vector<double> w_i2h = {0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.2, 0.1, -0.3, 0.5, 0.4, -0.1, 0.6, 0.2};
  const std::vector<double> w_h2h = {0.3, -0.4, 0.5, 0.1, -0.2, 0.6, -0.7, 0.8};
  const std::vector<double> w_h2r = {1.5, -0.5}, b_i2h = {0.1, 0, -0.1, 0.2, 0, 0.3, -0.2, 0.1}, b_h2h(8, 0.05);
  params["i2h_weight"].set_data(nd::array(std::span<const double>(w_i2h), Shape{8, 2}, cpu(), DType::kFloat64));
  params["h2h_weight"].set_data(nd::array(std::span<const double>(w_h2h), Shape{8, 1}, cpu(), DType::kFloat64));
  params["h2r_weight"].set_data(nd::array(std::span<const double>(w_h2r), Shape{1, 2}, cpu(), DType::kFloat64));
  params["i2h_bias"].set_data(nd::array(std::span<const double>(b_i2h), Shape{8}, cpu(), DType::kFloat64));
  params["h2h_bias"].set_data(nd::array(std::span<const double>(b_h2h), Shape{8}, cpu(), DType::kFloat64));
  const std::vector<double> x = {0.5, -1.0}, r = {0.3}, c = {0.2, -0.4};
  const auto out = cell(nd::array(std::span<const double>(x), Shape{1, 2}, cpu(), DType::kFloat64),
                        {nd::array(std::span<const double>(r), Shape{1, 1}, cpu(), DType::kFloat64),
                         nd::array(std::span<const double>(c), Shape{1, 2}, cpu(), DType::kFloat64)});
  // By hand: gates i, f, g, o of 2 units each.
  const auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
  std::vector<double> gate(8);
  for (int k = 0; k < 8; ++k) gate[k] = w_i2h[2 * k] * x[0] + w_i2h[2 * k + 1] * x[1] + b_i2h[k] + w_h2h[k] * r[0] + b_h2h[k];
  std::vector<double> c_next(2), h(2);
  for (int u = 0; u < 2; ++u) {
    c_next[u] = sigmoid(gate[2 + u]) * c[u] + sigmoid(gate[u]) * std::tanh(gate[4 + u]);
    h[u] = sigmoid(gate[6 + u]) * std::tanh(c_next[u]);
  }
  const double r_next = w_h2r[0] * h[0] + w_h2r[1] * h[1];
  test::check_array(out.output, {1, 1}, {r_next}, 1e-12);
  test::check_array(out.states[0], {1, 1}, {r_next}, 1e-12);
  test::check_array(out.states[1], {1, 2}, c_next, 1e-12);
  CHECK(cell.begin_state(4, cpu())[0].shape() == Shape{4, 1});
  CHECK_THROWS_WITH(cell(nd::ones({1, 2}, cpu(), DType::kFloat64), cell.begin_state(2, cpu())), Contains("LSTMPCell"));
}
