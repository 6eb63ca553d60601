// Elementwise operators: hand-computed values, broadcasting, scalars on either side, in place, dtypes, errors.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include <mx/operators/optimizer_updates.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("arithmetic between arrays and with scalars on either side", "[operators][elemwise]") {
  NDArray a = nd::array({1, 2, 3, 4}, Shape{2, 2});
  NDArray b = nd::array({4, 3, 2, 1}, Shape{2, 2});
  check_array(a + b, {2, 2}, {5, 5, 5, 5});
  check_array(a - b, {2, 2}, {-3, -1, 1, 3});
  check_array(a * b, {2, 2}, {4, 6, 6, 4});
  check_array(a / b, {2, 2}, {0.25, 2.0 / 3, 1.5, 4});
  check_array(nd::power(a, b), {2, 2}, {1, 8, 9, 4});
  check_array(nd::maximum(a, b), {2, 2}, {4, 3, 3, 4});
  check_array(nd::minimum(a, b), {2, 2}, {1, 2, 2, 1});
  check_array(a + 1, {2, 2}, {2, 3, 4, 5});
  check_array(10 - a, {2, 2}, {9, 8, 7, 6});
  check_array(a - 10, {2, 2}, {-9, -8, -7, -6});
  check_array(2 * a, {2, 2}, {2, 4, 6, 8});
  check_array(1 / a, {2, 2}, {1, 0.5, 1.0 / 3, 0.25});
  check_array(a / 2, {2, 2}, {0.5, 1, 1.5, 2});
  check_array(-a, {2, 2}, {-1, -2, -3, -4});
}

TEST_CASE("modulo takes the divisor's sign, as NumPy's", "[operators][elemwise]") {
  NDArray a = nd::array({7, -7, 7, -7, 5.5});
  NDArray b = nd::array({3, 3, -3, -3, 2});
  check_array(a % b, {5}, {1, 2, -2, -1, 1.5});
  check_array(a % 3, {5}, {1, 2, 1, 2, 2.5});
  check_array(8 % nd::array({3, -3}), {2}, {2, -1});
  NDArray ai = nd::array(std::vector<std::int32_t>{7, -7, 7, -7});
  NDArray bi = nd::array(std::vector<std::int32_t>{3, 3, -3, 0});
  CHECK((ai % bi).asnumpy<std::int32_t>() == std::vector<std::int32_t>{1, 2, -2, 0});
  CHECK((ai / bi).asnumpy<std::int32_t>() == std::vector<std::int32_t>{2, -2, -2, 0});  // x/0 is 0, as NumPy
}

TEST_CASE("comparisons give 1 and 0 in the inputs' dtype", "[operators][elemwise]") {
  NDArray a = nd::array({1, 2, 3});
  NDArray b = nd::array({3, 2, 1});
  check_array(a == b, {3}, {0, 1, 0});
  check_array(a != b, {3}, {1, 0, 1});
  check_array(a > b, {3}, {0, 0, 1});
  check_array(a >= b, {3}, {0, 1, 1});
  check_array(a < b, {3}, {1, 0, 0});
  check_array(a <= b, {3}, {1, 1, 0});
  check_array(a > 1, {3}, {0, 1, 1});
  check_array(2 > a, {3}, {1, 0, 0});
  check_array(2 <= a, {3}, {0, 1, 1});
  check_array(a == 3, {3}, {0, 0, 1});
  CHECK((a == b).dtype() == DType::kFloat32);
}

TEST_CASE("broadcasting follows NumPy's rules", "[operators][elemwise][broadcast]") {
  NDArray m = nd::arange(6).reshape({2, 3});
  check_array(m + nd::array({10, 20, 30}), {2, 3}, {10, 21, 32, 13, 24, 35});
  check_array(m + nd::array({100, 200}, Shape{2, 1}), {2, 3}, {100, 101, 102, 203, 204, 205});
  check_array(nd::array({1, 2}, Shape{2, 1}) * nd::array({1, 10, 100}, Shape{1, 3}), {2, 3},
              {1, 10, 100, 2, 20, 200});
  NDArray cube = nd::arange(8).reshape({2, 2, 2});
  check_array(cube - nd::array({1, 2}, Shape{2, 1, 1}), {2, 2, 2}, {-1, 0, 1, 2, 2, 3, 4, 5});
  check_array(cube * nd::array({1, -1}, Shape{1, 2, 1}), {2, 2, 2}, {0, 1, -2, -3, 4, 5, -6, -7});
  check_array(nd::full({}, 5) + m, {2, 3}, {5, 6, 7, 8, 9, 10});
  check_array(nd::zeros({0, 3}) + nd::ones({3}), {0, 3}, {});
  CHECK_THROWS_WITH(m + nd::ones({2}), Contains("broadcast_add") && Contains("(2, 3)") && Contains("(2,)"));
  CHECK_THROWS_AS(m * nd::ones({3, 3}), ShapeError);
}

TEST_CASE("large broadcasts split across workers give the same values", "[operators][elemwise][broadcast]") {
  NDArray m = nd::ones({300, 400});
  NDArray col = nd::arange(300).reshape({300, 1});
  std::vector<double> got = test::values(m * col);
  for (std::size_t i = 0; i < got.size(); i += 997) CHECK(got[i] == static_cast<double>(i / 400));
  std::vector<double> sum = test::values(nd::arange(200000) + nd::arange(200000));
  for (std::size_t i = 0; i < sum.size(); i += 9973) CHECK(sum[i] == 2.0 * static_cast<double>(i));
}

TEST_CASE("in-place forms write the existing array and check its shape", "[operators][elemwise][inplace]") {
  NDArray a = nd::ones({2, 2});
  NDArray before = a;
  a += nd::array({1, 2});
  a *= 2;
  a -= 1;
  a /= nd::full({2, 2}, 2);
  check_array(before, {2, 2}, {1.5, 2.5, 1.5, 2.5});  // the same storage, written four times
  NDArray small = nd::ones({2});
  CHECK_THROWS_WITH(small += nd::ones({2, 2}), Contains("broadcast_add") && Contains("(2,)") && Contains("(2, 2)"));
  CHECK(small.asnumpy<float>() == std::vector<float>{1, 1});  // untouched by the rejected call
}

TEST_CASE("unary math against hand-computed values", "[operators][elemwise][unary]") {
  NDArray x = nd::array({-2, -0.5, 0, 0.5, 2});
  check_array(nd::abs(x), {5}, {2, 0.5, 0, 0.5, 2});
  check_array(nd::sign(x), {5}, {-1, -1, 0, 1, 1});
  check_array(nd::square(x), {5}, {4, 0.25, 0, 0.25, 4});
  check_array(nd::relu(x), {5}, {0, 0, 0, 0.5, 2});
  check_array(nd::floor(x), {5}, {-2, -1, 0, 0, 2});
  check_array(nd::ceil(x), {5}, {-2, -0, 0, 1, 2});
  check_array(nd::sigmoid(x), {5}, {0.11920292, 0.37754067, 0.5, 0.62245933, 0.88079708});
  check_array(nd::tanh(x), {5}, {-0.96402758, -0.46211716, 0, 0.46211716, 0.96402758});
  check_array(nd::exp(x), {5}, {0.13533528, 0.60653066, 1, 1.64872127, 7.3890561});
  NDArray p = nd::array({0.25, 1, 4});
  check_array(nd::sqrt(p), {3}, {0.5, 1, 2});
  check_array(nd::rsqrt(p), {3}, {2, 1, 0.5});
  check_array(nd::log(p), {3}, {-1.38629436, 0, 1.38629436});
  check_array(nd::reciprocal(p), {3}, {4, 1, 0.25});
  check_array(nd::sin(nd::array({0, M_PI / 2})), {2}, {0, 1});
  check_array(nd::cos(nd::array({0, M_PI})), {2}, {1, -1});
  CHECK(std::isnan(nd::log(nd::array({-1})).asscalar<float>()));
}

TEST_CASE("every dtype computes, 16-bit floats round to their precision", "[operators][elemwise][dtype]") {
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16, DType::kInt8,
                      DType::kUint8, DType::kInt32, DType::kInt64}) {
    INFO(dtype_name(dtype));
    NDArray a = nd::array({1, 2, 3}, std::nullopt, cpu(), dtype);
    NDArray r = (a + a) * 2 - 1;
    CHECK(r.dtype() == dtype);
    CHECK(r.asnumpy<double>() == std::vector<double>{3, 7, 11});
  }
  CHECK((nd::array({1, 0}, std::nullopt, cpu(), DType::kBool) + nd::array({1, 0}, std::nullopt, cpu(), DType::kBool))
            .asnumpy<int>() == std::vector<int>{1, 0});
  NDArray h = nd::array({1.0 / 3}, std::nullopt, cpu(), DType::kFloat16);
  CHECK(h.asscalar<double>() == Approx(0.333251953125));  // the nearest binary16
  NDArray bf = nd::array({1.0 / 3}, std::nullopt, cpu(), DType::kBFloat16) * 3;
  CHECK(bf.asscalar<double>() == Approx(1.0).epsilon(0.01));
  CHECK((nd::array(std::vector<std::int8_t>{100}) + 100).asscalar<int>() == -56);  // wraps, as NumPy's int8
}

TEST_CASE("integer math: negative, abs and square wrap around as NumPy's, the rest saturate",
          "[operators][elemwise][dtype]") {
  const auto int8 = nd::array(std::vector<std::int8_t>{-128, -3, 0, 127});
  CHECK(nd::negative(int8).asnumpy<int>() == std::vector<int>{-128, 3, 0, -127});
  CHECK(nd::abs(int8).asnumpy<int>() == std::vector<int>{-128, 3, 0, 127});
  CHECK(nd::square(int8).asnumpy<int>() == std::vector<int>{0, 9, 0, 1});  // 16129 = 63 * 256 + 1
  const auto int64 = nd::array(std::vector<std::int64_t>{3037000499, (std::int64_t{1} << 53) + 1});
  CHECK(nd::square(int64).asnumpy<std::int64_t>()[0] == 9223372030926249001);  // exact, beyond a double's 2^53
  CHECK(nd::negative(int64).asnumpy<std::int64_t>()[1] == -(std::int64_t{1} << 53) - 1);
  // Through double and back: NaN becomes 0, what leaves the type saturates.
  const auto int32 = nd::array(std::vector<std::int32_t>{-4, 100, 0});
  CHECK(nd::sqrt(int32).asnumpy<int>() == std::vector<int>{0, 10, 0});
  CHECK(nd::exp(int32).asnumpy<int>() == std::vector<int>{0, 2147483647, 1});
  CHECK(nd::log(int32).asnumpy<int>() == std::vector<int>{0, 4, -2147483647 - 1});
  CHECK(nd::abs(nd::array(std::vector<std::uint8_t>{0, 255})).asnumpy<int>() == std::vector<int>{0, 255});
}

TEST_CASE("mixing dtypes or contexts is an error at the call", "[operators][elemwise][errors]") {
  NDArray f = nd::ones({2});
  NDArray d = nd::ones({2}, cpu(), DType::kFloat64);
  CHECK_THROWS_AS(f + d, DTypeError);
  CHECK_THROWS_WITH(f * d, Contains("broadcast_mul") && Contains("float32") && Contains("float64"));
  NDArray other = nd::ones({2}, cpu(1));
  CHECK_THROWS_WITH(f + other, Contains("cpu(0)") && Contains("cpu(1)"));
  CHECK_THROWS_WITH(f + NDArray(), Contains("empty"));
}

TEST_CASE("the math library's edges: domains, halves, bitwise on floats", "[operators][elemwise][math]") {
  const std::vector<double> special = nd::erfinv(nd::array({-1, 1, 2, 0})).asnumpy<double>();
  CHECK(std::isinf(special[0]));
  CHECK(special[0] < 0);
  CHECK(std::isinf(special[1]));
  CHECK(std::isnan(special[2]));  // outside (-1, 1)
  CHECK(special[3] == 0);
  CHECK(std::isnan(nd::digamma(nd::array({-2})).asscalar<double>()));  // a pole
  CHECK(nd::gammaln(nd::array({-0.5})).asscalar<double>() == Approx(std::log(2 * std::sqrt(M_PI))));
  CHECK(nd::round(nd::array({0.5, -0.5})).asnumpy<double>() == std::vector<double>{1, -1});
  CHECK(nd::rint(nd::array({0.5, 1.5})).asnumpy<double>() == std::vector<double>{0, 2});
  CHECK(nd::arctan2(nd::array({1}), nd::array({-1})).asscalar<double>() == Approx(3 * M_PI / 4));
  CHECK_THROWS_AS(nd::bitwise_and(nd::ones({2}), nd::ones({2})), DTypeError);
  CHECK_THROWS_WITH(nd::bitwise_or(nd::ones({2}), nd::ones({2})), Contains("bitwise_or") && Contains("float32"));
  const auto b = nd::array(std::vector<std::int32_t>{12, -1});
  CHECK(nd::bitwise_xor(b, nd::array(std::vector<std::int32_t>{10, 1})).asnumpy<int>() == std::vector<int>{6, -2});
}

// The float kernels run in copies built for AVX-512, AVX2 and baseline x86-64 (operators/simd_clones.h); each
// copy's vector loop and scalar tail must give the plain loop's values at every length, split or not.
TEST_CASE("vectorized kernels give a plain loop's values at every length", "[operators][elemwise][simd]") {
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    for (std::int64_t n : {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 1000, 32769, 65537, 100003}) {
      std::vector<double> xs(static_cast<std::size_t>(n)), ys(xs.size());
      for (std::int64_t i = 0; i < n; ++i) {
        xs[static_cast<std::size_t>(i)] = static_cast<double>((i * 37) % 101) - 50.25;
        ys[static_cast<std::size_t>(i)] = static_cast<double>((i * 13) % 29) + 0.5;
      }
      const NDArray x = nd::array(xs, Shape{n}, cpu(), dtype), y = nd::array(ys, Shape{n}, cpu(), dtype);
      const std::vector<double> relu = test::values(nd::relu(x)), scaled = test::values(x * 0.5),
                                difference = test::values(x - y), quotient = test::values(x / y);
      NDArray weight = x.copy();
      nd::UpdateHyperParams hyper;
      hyper.lr = 0.25;
      hyper.wd = 0.5;
      nd::optimizer_update(nd::UpdateRule::kSGD, weight, y, {}, hyper);
      const std::vector<double> updated = test::values(weight);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        INFO(dtype_name(dtype) << ", n = " << n << ", element " << i);
        // Inputs and results are small multiples of 1/32, exact in float32, except the quotient: rounded once in
        // the dtype (a double's quotient rounded to float is the float quotient).
        REQUIRE(relu[i] == std::max(xs[i], 0.0));
        REQUIRE(scaled[i] == xs[i] * 0.5);
        REQUIRE(difference[i] == xs[i] - ys[i]);
        const double exact_quotient = xs[i] / ys[i];
        REQUIRE(quotient[i] == (dtype == DType::kFloat32 ? static_cast<double>(static_cast<float>(exact_quotient))
                                                         : exact_quotient));
        REQUIRE(updated[i] == xs[i] - 0.25 * (ys[i] + 0.5 * xs[i]));
      }
    }
  }
}

TEST_CASE("float32 sigmoid and tanh stay within 2e-7 of the exact values over their range", "[operators][elemwise][unary]") {
  // float32 runs branch-free forms of its own (operators/float_math.h), not libm: checked here against double's
  // libm at 400,001 points through [-50, 50] (every vector tail and split across workers included), and at the
  // edges: the switch between tanh's two forms at 0.625, signed zeros, infinities, NaN, saturation.
  std::vector<float> x;
  for (int i = -200000; i <= 200000; ++i) x.push_back(static_cast<float>(i) * 2.5e-4f);
  for (float edge : {0.625f, std::nextafter(0.625f, 0.0f), -0.625f, 1e-30f, -1e-30f, 1e-45f, 9.0f, 44.0f, 88.0f, 89.0f,
                     -87.0f, -104.0f, 1e30f, -1e30f}) {
    x.push_back(edge);
  }
  const NDArray in = nd::array(x, Shape{static_cast<std::int64_t>(x.size())});
  const std::vector<float> sigmoid = nd::sigmoid(in).asnumpy<float>(), tanh = nd::tanh(in).asnumpy<float>();
  double worst_sigmoid = 0, worst_tanh = 0;  // relative errors, and where
  float at_sigmoid = 0, at_tanh = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double exact_sigmoid = 1 / (1 + std::exp(-static_cast<double>(x[i])));
    const double exact_tanh = std::tanh(static_cast<double>(x[i]));
    const double e_sigmoid = exact_sigmoid > 1e-37 ? std::fabs(sigmoid[i] - exact_sigmoid) / exact_sigmoid : 0;
    const double e_tanh = exact_tanh != 0 ? std::fabs(tanh[i] - exact_tanh) / std::fabs(exact_tanh)
                                          : (tanh[i] == 0 ? 0 : INFINITY);
    if (!(e_sigmoid <= worst_sigmoid)) worst_sigmoid = e_sigmoid, at_sigmoid = x[i];  // NaN counts as worst
    if (!(e_tanh <= worst_tanh)) worst_tanh = e_tanh, at_tanh = x[i];
  }
  INFO("sigmoid's worst at " << at_sigmoid << ", tanh's at " << at_tanh);
  CHECK(worst_sigmoid <= 2e-7);
  CHECK(worst_tanh <= 2e-7);
  const std::vector<float> specials = {0.0f, -0.0f, INFINITY, -INFINITY, NAN};
  const NDArray s = nd::array(specials, Shape{5});
  const std::vector<float> ts = nd::tanh(s).asnumpy<float>(), ss = nd::sigmoid(s).asnumpy<float>();
  CHECK((ts[0] == 0 && !std::signbit(ts[0])));
  CHECK((ts[1] == 0 && std::signbit(ts[1])));  // tanh(-0) is -0, as libm's
  CHECK(ts[2] == 1);
  CHECK(ts[3] == -1);
  CHECK(std::isnan(ts[4]));
  CHECK(std::vector<float>(ss.begin(), ss.begin() + 4) == std::vector<float>{0.5f, 0.5f, 1, 0});
  CHECK(std::isnan(ss[4]));
}
