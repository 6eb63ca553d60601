// Creation, copies and conversions, and reproducible random streams.
#include <cmath>
#include <cstdint>
#include <limits>

#include <mx/operators/registry.h>
#include <mx/operators/symbolic.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("creation functions fill, count and convert", "[operators][creation]") {
  check_array(nd::zeros({2, 2}), {2, 2}, {0, 0, 0, 0});
  check_array(nd::ones({3}), {3}, {1, 1, 1});
  check_array(nd::full({2}, 7.5), {2}, {7.5, 7.5});
  check_array(nd::arange(5), {5}, {0, 1, 2, 3, 4});
  check_array(nd::arange(1, 2, 0.25), {4}, {1, 1.25, 1.5, 1.75});
  check_array(nd::arange(3, 0.0, -1), {3}, {3, 2, 1});
  check_array(nd::arange(0, 3.0, 1, 2), {6}, {0, 0, 1, 1, 2, 2});
  NDArray i = nd::ones({2}, cpu(), DType::kInt64);
  CHECK(nd::zeros_like(i).dtype() == DType::kInt64);
  check_array(nd::ones_like(nd::zeros({1, 2})), {1, 2}, {1, 1});
  CHECK(nd::ones({2}, cpu(1)).context() == cpu(1));
  CHECK_THROWS_WITH(nd::arange(0, 1.0, 0), Contains("arange") && Contains("step"));
  CHECK_THROWS_AS(nd::zeros({2, -1}), ShapeError);
  // A size past 64 bits, in elements or in bytes, is refused at the call, before anything is allocated.
  CHECK_THROWS_WITH(nd::zeros({std::numeric_limits<std::int64_t>::max() / 2, 4}),
                    Contains("(4611686018427387903, 4)") && Contains("more elements than 64 bits count"));
  CHECK_THROWS_WITH(nd::zeros({std::numeric_limits<std::int64_t>::max() / 2}),
                    Contains("NDArray") && Contains("float32 is too large to allocate"));
  CHECK(nd::zeros({std::numeric_limits<std::int64_t>::max(), 0}).size() == 0);
}

TEST_CASE("MXNet's creation nodes _zeros, _ones and _full are called by name", "[operators][creation]") {
  const auto call = [](const std::string& op, op::Attrs attrs) {
    const std::vector<NDArray> out = op::call_symbol_op(op, attrs, std::vector<NDArray>{});
    REQUIRE(out.size() == 1);
    return out[0];
  };
  const NDArray z = call("_zeros", {{"shape", "(2, 3)"}, {"dtype", "float64"}, {"__layout__", "LNC"}});
  CHECK(z.dtype() == DType::kFloat64);
  check_array(z, {2, 3}, {0, 0, 0, 0, 0, 0});
  check_array(call("_ones", {{"shape", "(2,)"}, {"ctx", "cpu(0)"}}), {2}, {1, 1});
  check_array(call("_full", {{"shape", "(1, 2)"}, {"value", "2.5"}}), {1, 2}, {2.5, 2.5});
  CHECK(call("_zeros", {{"shape", "(4, 0, 3)"}}).shape() == Shape{4, 0, 3});  // MXNet's unknown extent
  CHECK_THROWS_WITH(call("_zeros", {{"shape", "(2, -1)"}}), Contains("negative"));
  CHECK_THROWS_WITH(call("_ones", {{"shape", "(2, 2)"}, {"value", "3"}}), Contains("_ones") && Contains("value"));
}

TEST_CASE("astype converts as NumPy, copy is independent of its source", "[operators][copy]") {
  NDArray x = nd::array({-1.7, 0, 2.9});
  CHECK(x.astype(DType::kInt32).asnumpy<int>() == std::vector<int>{-1, 0, 2});
  CHECK(x.astype(DType::kBool).asnumpy<int>() == std::vector<int>{1, 0, 1});
  CHECK(x.astype(DType::kFloat16).dtype() == DType::kFloat16);
  NDArray c = x.copy();
  c += 1;
  check_array(x, {3}, {-1.7, 0, 2.9});
  check_array(c, {3}, {-0.7, 1, 3.9});
}

TEST_CASE("floats beyond an integer type's range saturate and NaN becomes 0, as CUDA converts them",
          "[operators][copy]") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (DType from : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    INFO(dtype_name(from));
    // float16 holds at most 65504: 3e9 becomes inf there, which saturates the same way.
    const NDArray x =
        nd::array({nan, inf, -inf, 3e9, -3e9, 2.9, -2.9, 300, -300}, Shape{9}, cpu(), DType::kFloat64).astype(from);
    CHECK(x.astype(DType::kInt32).asnumpy<std::int32_t>() ==
          std::vector<std::int32_t>{0, 2147483647, -2147483647 - 1, 2147483647, -2147483647 - 1, 2, -2, 300, -300});
    CHECK(x.astype(DType::kInt8).asnumpy<std::int32_t>() ==
          std::vector<std::int32_t>{0, 127, -128, 127, -128, 2, -2, 127, -128});
    CHECK(x.astype(DType::kUint8).asnumpy<std::int32_t>() ==
          std::vector<std::int32_t>{0, 255, 0, 255, 0, 2, 0, 255, 0});
    using Int64 = std::numeric_limits<std::int64_t>;
    const std::int64_t max64 = Int64::max(), min64 = Int64::min();
    const bool half = from == DType::kFloat16;
    const std::int64_t big = half ? max64 : 3000000000, small = half ? min64 : -3000000000;
    CHECK(x.astype(DType::kInt64).asnumpy<std::int64_t>() ==
          std::vector<std::int64_t>{0, max64, min64, big, small, 2, -2, 300, -300});
  }
  // At the edges: 2^31 - 1 is a double, not a float (which rounds it up to 2^31).
  CHECK(nd::array({2147483647.0, 2147483646.5, -2147483648.5}, Shape{3}, cpu(), DType::kFloat64)
            .astype(DType::kInt32)
            .asnumpy<std::int32_t>() == std::vector<std::int32_t>{2147483647, 2147483646, -2147483647 - 1});
  CHECK(nd::array({2147483520.0, 2147483648.0}, Shape{2}).astype(DType::kInt32).asnumpy<std::int32_t>() ==
        std::vector<std::int32_t>{2147483520, 2147483647});
  // Filling an integer array with a float beyond it, and bool from a double too small for a float.
  CHECK(nd::full({2}, 1e20, cpu(), DType::kInt32).asnumpy<std::int32_t>() == std::vector<std::int32_t>(2, 2147483647));
  CHECK(nd::array({1e-50, 0.0, nan}, Shape{3}, cpu(), DType::kFloat64).astype(DType::kBool).asnumpy<int>() ==
        std::vector<int>{1, 0, 1});
}

TEST_CASE("copyto and as_in_context move values between contexts", "[operators][copy]") {
  NDArray x = nd::arange(4);
  NDArray y = x.as_in_context(cpu(1));
  CHECK(y.context() == cpu(1));
  CHECK(x.as_in_context(cpu()).shares_storage_with(x));
  check_array(y * 2, {4}, {0, 2, 4, 6});
  NDArray target = nd::zeros({4}, cpu(2), DType::kFloat64);
  x.copyto(target);
  check_array(target, {4}, {0, 1, 2, 3});
  NDArray wrong = nd::zeros({3});
  CHECK_THROWS_WITH(x.copyto(wrong), Contains("copyto") && Contains("(4,)") && Contains("(3,)"));
  CHECK_THROWS_WITH(x.as_in_context(gpu(0)), Contains("gpu(0)"));
}

TEST_CASE("random streams repeat after seed and have the right moments", "[operators][random]") {
  random::seed(42);
  const std::vector<double> first = test::values(nd::random::uniform(-1, 1, {100000}));
  const std::vector<double> normal = test::values(nd::random::normal(3, 2, {100000}));
  random::seed(42);
  CHECK(test::values(nd::random::uniform(-1, 1, {100000})) == first);
  CHECK(test::values(nd::random::normal(3, 2, {100000})) == normal);
  CHECK(test::values(nd::random::uniform(-1, 1, {100000})) != first);  // the next stream differs

  double mean = 0, var = 0, lo = 1, hi = -1;
  for (double v : first) { mean += v; lo = std::min(lo, v); hi = std::max(hi, v); }
  mean /= first.size();
  CHECK(std::abs(mean) < 0.01);  // standard error 0.0018
  CHECK(lo >= -1);
  CHECK(hi < 1);
  mean = 0;
  for (double v : normal) mean += v;
  mean /= normal.size();
  for (double v : normal) var += (v - mean) * (v - mean);
  var /= normal.size();
  CHECK(mean == Approx(3).margin(0.03));  // standard error 0.0063
  CHECK(std::sqrt(var) == Approx(2).margin(0.03));
  CHECK_THROWS_AS(nd::random::uniform(0, 1, {2}, cpu(), DType::kInt32), DTypeError);
}

TEST_CASE("the registry lists every operator once", "[operators][registry]") {
  for (const char* name : {"broadcast_add", "_plus_scalar", "sum", "dot", "FullyConnected", "softmax", "Cast",
                           "_random_normal", "SliceChannel", "Concat"}) {
    INFO(name);
    CHECK(op::find_operator(name) != nullptr);
  }
  CHECK(op::find_operator("no_such_operator") == nullptr);
  CHECK(op::list_operators().size() > 50);
}
