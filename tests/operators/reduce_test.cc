// Reductions with axis and keepdims, against hand-computed values.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("sum, mean, max and min over all axes or some", "[operators][reduce]") {
  NDArray x = nd::arange(24).reshape({2, 3, 4});
  check_array(x.sum(), {}, {276});
  check_array(x.mean(), {}, {11.5});
  check_array(x.max(), {}, {23});
  check_array(x.min(), {}, {0});
  check_array(x.sum({0}), {3, 4}, {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
  check_array(x.sum({2}), {2, 3}, {6, 22, 38, 54, 70, 86});
  check_array(x.sum({-1}, true), {2, 3, 1}, {6, 22, 38, 54, 70, 86});
  check_array(x.sum({1, 2}), {2}, {66, 210});
  check_array(x.sum({0, 2}), {3}, {60, 92, 124});  // axes apart in memory: the general path
  check_array(x.sum({0, 2}, true), {1, 3, 1}, {60, 92, 124});
  check_array(x.mean({1}), {2, 4}, {4, 5, 6, 7, 16, 17, 18, 19});
  check_array(x.max({1}), {2, 4}, {8, 9, 10, 11, 20, 21, 22, 23});
  check_array((-x).min({0, 2}), {3}, {-15, -19, -23});
}

// A reduction over `axes` of an array whose element at flat index i is value(i), summed (or maxed) element by
// element with each output's index worked out from scratch: the reference the strided kernels are held to.
std::vector<double> reference_reduce(const Shape& shape, const std::vector<int>& axes, bool is_max,
                                     double (*value)(std::int64_t)) {
  std::vector<bool> reduced(static_cast<std::size_t>(shape.ndim()), false);
  for (int a : axes) reduced[static_cast<std::size_t>(a)] = true;
  std::int64_t outputs = 1;
  for (int a = 0; a < shape.ndim(); ++a) outputs *= reduced[static_cast<std::size_t>(a)] ? 1 : shape[a];
  std::vector<double> out(static_cast<std::size_t>(outputs), is_max ? -INFINITY : 0.0);
  for (std::int64_t i = 0; i < shape.size(); ++i) {
    std::int64_t rest = i, o = 0, scale = 1;
    for (int a = shape.ndim() - 1; a >= 0; --a) {
      const std::int64_t index = rest % shape[a];
      rest /= shape[a];
      if (!reduced[static_cast<std::size_t>(a)]) {
        o += index * scale;
        scale *= shape[a];
      }
    }
    double& r = out[static_cast<std::size_t>(o)];
    r = is_max ? std::max(r, value(i)) : r + value(i);
  }
  return out;
}

TEST_CASE("reductions over axes apart in memory match element-by-element sums", "[operators][reduce]") {
  auto value = [](std::int64_t i) { return static_cast<double>((i * 7919) % 23) - 11; };  // exact in float32
  struct Case {
    Shape shape;
    std::vector<int> axes;
  };
  // A convolution's bias gradient (large enough to split across workers), the innermost axis kept, axes of
  // length 1 between reduced ones, and four reduced groups.
  for (const Case& c : {Case{{64, 20, 24, 24}, {0, 2, 3}}, Case{{6, 5, 4, 3}, {0, 2}}, Case{{6, 5, 4, 3}, {1, 3}},
                        Case{{3, 1, 4, 1, 5}, {0, 2, 4}}, Case{{2, 3, 2, 3, 2, 3, 2}, {0, 2, 4, 6}},
                        Case{{40, 3, 50, 7}, {0, 2}}, Case{{1, 1, 1}, {0, 2}}}) {
    CAPTURE(c.shape.str());
    std::vector<double> data(static_cast<std::size_t>(c.shape.size()));
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = value(static_cast<std::int64_t>(i));
    const NDArray x = nd::array(data, c.shape).astype(DType::kFloat32);
    CHECK(x.sum(c.axes).asnumpy<double>() == reference_reduce(c.shape, c.axes, false, value));
    CHECK(x.max(c.axes).asnumpy<double>() == reference_reduce(c.shape, c.axes, true, value));
    std::vector<double> mean = reference_reduce(c.shape, c.axes, false, value);
    const double count = static_cast<double>(c.shape.size()) / static_cast<double>(mean.size());
    for (double& m : mean) m /= count;
    const std::vector<double> got = x.mean(c.axes).asnumpy<double>();
    REQUIRE(got.size() == mean.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(mean[i]).epsilon(1e-6));
  }
}

TEST_CASE("sum writes into a given array of the result's shape and dtype", "[operators][reduce]") {
  const NDArray x = nd::arange(6).reshape({2, 3});
  NDArray out = nd::full({3}, 7);
  NDArray& written = nd::sum(x, {0}, false, out);
  CHECK(&written == &out);
  check_array(out, {3}, {3, 5, 7});
  NDArray wrong = nd::zeros({2});
  CHECK_THROWS_WITH(nd::sum(x, {0}, false, wrong), Contains("sum"));
  check_array(wrong, {2}, {0, 0});  // left as it was
}

TEST_CASE("large reductions split across workers agree with the closed form", "[operators][reduce]") {
  const std::int64_t n = 1 << 20;
  CHECK(nd::arange(static_cast<double>(n), std::nullopt, 1, 1, cpu(), DType::kFloat64).sum().asscalar<double>() ==
        static_cast<double>(n) * (n - 1) / 2);
  NDArray rows = nd::ones({1000, 1000}).sum({1});
  CHECK(rows.asnumpy<float>() == std::vector<float>(1000, 1000.0f));
  // Every piece counts, the last one's last element too; NaN in any piece wins.
  std::vector<float> values(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 1000);
  values.back() = 5000;
  values[values.size() / 2 + 3] = -7;
  const NDArray x = nd::array(values);
  CHECK(x.max().asscalar<float>() == 5000);
  CHECK(x.min().asscalar<float>() == -7);
  double total = 0;  // exact: integers far below 2^53
  for (const float v : values) total += v;
  CHECK(total == 523645727.0);  // 1048 * 499500 + (0 + ... + 575), then 575 -> 5000 and 291 -> -7
  CHECK(x.sum().asscalar<float>() == static_cast<float>(total));
  CHECK(x.mean().asscalar<float>() == static_cast<float>(total / static_cast<double>(n)));
  values[100] = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(nd::array(values).max().asscalar<float>()));
  // The pieces' partial results are merged in order: the same float sum every time.
  const NDArray noisy = nd::random::uniform(-1, 1, {n});
  const float first = noisy.sum().asscalar<float>();
  for (int run = 0; run < 5; ++run) CHECK(noisy.sum().asscalar<float>() == first);
}

TEST_CASE("rows reduced along their length: every position counts, NaN wins, remainders included", "[operators][reduce]") {
  // Rows of 37 (not a multiple of the kernel's interleaved accumulators): row i is 0..36 with its maximum moved
  // to position i, so each position of a row is the one that must win in some row.
  const std::int64_t rows = 37, length = 37;
  std::vector<double> data(static_cast<std::size_t>(rows * length));
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < length; ++j) data[static_cast<std::size_t>(i * length + j)] = static_cast<double>(j);
    std::swap(data[static_cast<std::size_t>(i * length + i)], data[static_cast<std::size_t>(i * length + length - 1)]);
  }
  const NDArray x = nd::array(data, Shape{rows, length});
  CHECK(x.max({1}).asnumpy<double>() == std::vector<double>(rows, 36.0));
  CHECK(x.min({1}).asnumpy<double>() == std::vector<double>(rows, 0.0));
  CHECK(x.sum({1}).asnumpy<double>() == std::vector<double>(rows, 36.0 * 37 / 2));
  CHECK(((-x).max({1})).asnumpy<double>() == std::vector<double>(rows, 0.0));
  // A NaN anywhere in a row, the last position included, makes its max, min and sum NaN; other rows keep theirs.
  for (std::int64_t at : {std::int64_t{0}, std::int64_t{5}, length - 1}) {
    std::vector<double> with_nan = data;
    with_nan[static_cast<std::size_t>(2 * length + at)] = std::nan("");
    const NDArray y = nd::array(with_nan, Shape{rows, length});
    for (const NDArray& r : {y.max({1}), y.min({1}), y.sum({1})}) {
      const std::vector<double> v = r.asnumpy<double>();
      CHECK(std::isnan(v[2]));
      CHECK_FALSE(std::isnan(v[1]));
      CHECK_FALSE(std::isnan(v[3]));
    }
  }
}

TEST_CASE("argmax gives float32 indices, the first on ties", "[operators][reduce]") {
  NDArray x = nd::array({1, 5, 5, 0, 2, 9}, Shape{2, 3});
  check_array(x.argmax(1), {2}, {1, 2});
  check_array(x.argmax(0), {3}, {0, 0, 1});
  check_array(nd::argmax(x, -1, true), {2, 1}, {1, 2});
  CHECK(x.argmax(1).dtype() == DType::kFloat32);
}

TEST_CASE("norm is L2 by default, L1 on request", "[operators][reduce]") {
  NDArray x = nd::array({3, -4, 0, 12}, Shape{2, 2});
  check_array(x.norm(), {}, {13});
  check_array(x.norm(2, {1}), {2}, {5, 12});
  check_array(x.norm(1), {}, {19});
  check_array(x.norm(1, {0}, true), {1, 2}, {3, 16});
}

TEST_CASE("reduction errors are raised at the call", "[operators][reduce][errors]") {
  NDArray x = nd::ones({2, 3});
  CHECK_THROWS_WITH(x.sum({2}), Contains("sum") && Contains("axis 2"));
  CHECK_THROWS_WITH(x.mean({0, -2}), Contains("twice"));
  CHECK_THROWS_WITH(nd::zeros({0, 3}).max({0}), Contains("max") && Contains("empty"));
  check_array(nd::zeros({0, 3}).sum({0}), {3}, {0, 0, 0});
  // The mean of nothing is 0 / 0: NaN in floating dtypes (NumPy's and PyTorch's answer), 0 in integer ones.
  for (const float v : nd::zeros({0, 3}).mean({0}).asnumpy<float>()) CHECK(std::isnan(v));
  CHECK(std::isnan(nd::zeros({0}, cpu(), DType::kFloat64).mean().asscalar<double>()));
  CHECK(nd::zeros({0}, cpu(), DType::kInt32).mean().asscalar<std::int32_t>() == 0);
}

TEST_CASE("prod, nan reductions, argmin, var, cumsum and where on small cases", "[operators][reduce]") {
  const double nan = std::nan("");
  NDArray x = nd::array({1, nan, 3, 4}, Shape{2, 2});
  check_array(nd::nansum(x, {1}), {2}, {1, 7});
  check_array(nd::nanprod(x), {}, {12});
  CHECK(std::isnan(nd::prod(x).asscalar<double>()));
  check_array(nd::argmin(nd::array({3, 1, 1, 2}), 0), {}, {1});  // the first of the ties
  check_array(nd::var(nd::array({1, 2, 3, 4}), {}, false, 1), {}, {5.0 / 3});
  check_array(nd::cumprod(nd::array({1, 2, 3, 4}, Shape{2, 2}), 0), {2, 2}, {1, 2, 3, 8});
  check_array(nd::where(nd::array({1, 0}), nd::array({5, 6}), nd::array({-1})), {2}, {5, -1});
  CHECK_THROWS_WITH(nd::cumsum(x, 2), Contains("cumsum") && Contains("axis"));
  CHECK_THROWS_WITH(nd::where(nd::ones({3}), x, x), Contains("where") && Contains("(3,)"));
  CHECK_THROWS_AS(nd::where(nd::ones({2}), nd::ones({2}), nd::ones({2}, cpu(), DType::kFloat64)), DTypeError);
}

TEST_CASE("integer sums, products, powers and running sums wrap around on overflow, as NumPy's", "[operators][reduce]") {
  constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
  constexpr std::int32_t kMax32 = std::numeric_limits<std::int32_t>::max();
  // Found by the operator fuzzer under UBSan: these were signed overflows, undefined in C++.
  CHECK(nd::sum(nd::array(std::vector<std::int64_t>{kMax64, 1})).asscalar<std::int64_t>() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(nd::prod(nd::array(std::vector<std::int64_t>{std::int64_t{1} << 32, std::int64_t{1} << 32})).asscalar<std::int64_t>() == 0);
  CHECK(nd::norm(nd::array(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min()}), 1).asscalar<std::int64_t>() ==
        std::numeric_limits<std::int64_t>::min());  // |min| wraps to itself, as np.abs
  // 2**31 and 3**21 in int32: 2147483648 - 2**32 and 10460353203 - 2 * 2**32.
  CHECK(nd::power(nd::array(std::vector<std::int32_t>{2, 3}), nd::array(std::vector<std::int32_t>{31, 21}))
            .asnumpy<std::int32_t>() == std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::min(), 1870418611});
  CHECK(nd::cumsum(nd::array(std::vector<std::int32_t>{kMax32, 1}), 0).asnumpy<std::int32_t>() ==
        std::vector<std::int32_t>{kMax32, std::numeric_limits<std::int32_t>::min()});
  // Empty arrays point at no memory; joining them must not hand memcpy a null pointer (UBSan caught it).
  CHECK(nd::concat({nd::zeros({0, 2}), nd::zeros({0, 3})}, 1).shape() == Shape{0, 5});
}

TEST_CASE("max and min of infinities are infinite in every float dtype, not the largest finite value", "[operators][reduce]") {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (const DType dtype : {DType::kFloat64, DType::kFloat32}) {
    // One value, a remainder of the interleaved accumulators, and enough to be split across workers; as one row
    // (the contiguous path) and as a column of two-wide rows (the strided one).
    for (const std::int64_t n : {std::int64_t{1}, std::int64_t{17}, std::int64_t{100003}}) {
      INFO(dtype_name(dtype) << ", " << n << " values");
      const NDArray lows = nd::full(Shape{n}, -kInf, cpu(), dtype), highs = nd::full(Shape{n}, kInf, cpu(), dtype);
      CHECK(lows.max().astype(DType::kFloat64).asscalar<double>() == -kInf);
      CHECK(highs.min().astype(DType::kFloat64).asscalar<double>() == kInf);
      const NDArray low_pairs = nd::full(Shape{n, 2}, -kInf, cpu(), dtype);
      CHECK(low_pairs.max({0}).astype(DType::kFloat64).asnumpy<double>() == std::vector<double>{-kInf, -kInf});
      CHECK(nd::full(Shape{n, 2}, kInf, cpu(), dtype).min({0}).astype(DType::kFloat64).asnumpy<double>() ==
            std::vector<double>{kInf, kInf});
    }
  }
  // Integers start from their own limits, which are values they can hold.
  const NDArray lowest = nd::full(Shape{3}, std::numeric_limits<std::int32_t>::lowest(), cpu(), DType::kInt32);
  CHECK(lowest.max().asscalar<std::int32_t>() == std::numeric_limits<std::int32_t>::lowest());
}
