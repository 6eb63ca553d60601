// SequenceMask, SequenceLast and SequenceReverse against hand-written values, their gradients by finite
// differences, by name as a symbol file calls them, and their errors.
#include <mx/operators/sequence.h>
#include <mx/operators/symbolic.h>

#include "../autograd/gradient_check.h"
#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

namespace {
// Step t of sequence n holds 10 t + n: (T, N, 1) = (3, 2, 1); sequence 0 is 2 steps long, sequence 1 all 3.
NDArray time_major() { return nd::array({0, 1, 10, 11, 20, 21}, Shape{3, 2, 1}); }
NDArray batch_major() { return nd::array({0, 10, 20, 1, 11, 21}, Shape{2, 3, 1}); }
NDArray lengths() { return nd::array({2, 3}); }
}  // namespace

TEST_CASE("SequenceMask, SequenceLast and SequenceReverse follow each sequence's length", "[operators][sequence]") {
  check_array(nd::SequenceMask(time_major(), lengths(), -1), {3, 2, 1}, {0, 1, 10, 11, -1, 21});
  check_array(nd::SequenceMask(batch_major(), lengths(), -1, 1), {2, 3, 1}, {0, 10, -1, 1, 11, 21});
  check_array(nd::SequenceMask(time_major()), {3, 2, 1}, {0, 1, 10, 11, 20, 21});
  check_array(nd::SequenceLast(time_major(), lengths()), {2, 1}, {10, 21});
  check_array(nd::SequenceLast(batch_major(), lengths(), 1), {2, 1}, {10, 21});
  check_array(nd::SequenceLast(time_major()), {2, 1}, {20, 21});
  // Sequence 0 reversed over its two steps, its padding in place; sequence 1 over all three.
  check_array(nd::SequenceReverse(time_major(), lengths()), {3, 2, 1}, {10, 21, 0, 11, 20, 1});
  check_array(nd::SequenceReverse(time_major()), {3, 2, 1}, {20, 21, 10, 11, 0, 1});
  // Integer lengths, and several feature axes.
  const NDArray wide = nd::arange(12).reshape({3, 2, 2});
  check_array(nd::SequenceLast(wide, nd::array({1, 2}, std::nullopt, cpu(), DType::kInt32)), {2, 2}, {0, 1, 6, 7});
}

TEST_CASE("sequence operators are called by name with MXNet's attributes, and check their inputs",
          "[operators][sequence]") {
  const auto call = [](const std::string& op, op::Attrs attrs, std::vector<NDArray> inputs) {
    return op::call_symbol_op(op, attrs, inputs).at(0);
  };
  check_array(call("SequenceMask", {{"use_sequence_length", "True"}, {"value", "-1"}}, {time_major(), lengths()}),
              {3, 2, 1}, {0, 1, 10, 11, -1, 21});
  check_array(call("SequenceLast", {{"use_sequence_length", "True"}, {"axis", "1"}}, {batch_major(), lengths()}),
              {2, 1}, {10, 21});
  check_array(call("SequenceReverse", {{"use_sequence_length", "False"}}, {time_major()}), {3, 2, 1},
              {20, 21, 10, 11, 0, 1});
  CHECK_THROWS_WITH(call("SequenceLast", {{"use_sequence_length", "True"}}, {time_major()}),
                    Contains("SequenceLast") && Contains("takes 2"));
  CHECK_THROWS_WITH(nd::SequenceMask(time_major(), lengths(), 0, 2), Contains("SequenceMask") && Contains("axis"));
  CHECK_THROWS_WITH(nd::SequenceReverse(batch_major(), lengths(), 1), Contains("SequenceReverse") && Contains("axis must be 0"));
  CHECK_THROWS_WITH(nd::SequenceLast(time_major(), nd::array({1, 2, 3})),
                    Contains("SequenceLast") && Contains("(2,)") && Contains("(3,)"));
  CHECK_THROWS_WITH(nd::SequenceMask(nd::ones({3})), Contains("SequenceMask") && Contains("(3,)"));
}

TEST_CASE("gradients through the sequence operators match finite differences", "[operators][sequence][gradient]") {
  using In = const std::vector<NDArray>&;
  const NDArray length = nd::array({2, 3, 1}, std::nullopt, cpu(), DType::kFloat64);
  test::check_gradient({[&](In x) { return nd::SequenceMask(x[0], length, 5); }, {{3, 3, 2}}});
  test::check_gradient({[&](In x) { return nd::SequenceMask(x[0], length, 0, 1); }, {{3, 3, 2}}});
  test::check_gradient({[&](In x) { return nd::SequenceLast(x[0], length); }, {{3, 3, 2}}});
  test::check_gradient({[&](In x) { return nd::SequenceLast(x[0], length, 1); }, {{3, 4, 2}}});
  test::check_gradient({[&](In x) { return nd::SequenceReverse(x[0], length); }, {{3, 3, 2}}});
}
