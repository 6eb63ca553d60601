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
