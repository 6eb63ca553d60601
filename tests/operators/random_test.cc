// Random distributions: moments and Pearson's chi-square goodness of fit against each distribution's own CDF, at
// fixed seeds (so each check is deterministic; the thresholds are those a correct sampler fails once in a
// thousand seeds). Reproducibility under seed, per device; parameter errors.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <numeric>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;

namespace {

constexpr std::int64_t kDraws = 200000;

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }
double variance_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double total = 0;
  for (double x : v) total += (x - m) * (x - m);
  return total / static_cast<double>(v.size() - 1);
}

// The chi-square quantile at 1 - 0.001 for `dof` degrees of freedom (Wilson and Hilferty's approximation).
double chi_square_critical(int dof) {
  const double k = dof, z = 3.0902;
  const double t = 1 - 2 / (9 * k) + z * std::sqrt(2 / (9 * k));
  return k * t * t * t;
}

// Pearson's test over the bins (-inf, e0], (e0, e1], ..., (e_last, inf), expected from `cdf`.
void check_fit(const std::vector<double>& samples, const std::vector<double>& edges,
               const std::function<double(double)>& cdf) {
  std::vector<double> observed(edges.size() + 1, 0);
  for (double x : samples) {
    observed[static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin())] += 1;
  }
  const double n = static_cast<double>(samples.size());
  double statistic = 0, previous = 0;
  for (std::size_t b = 0; b < observed.size(); ++b) {
    const double upto = b < edges.size() ? cdf(edges[b]) : 1.0;
    const double expected = n * (upto - previous);
    previous = upto;
    INFO("bin " << b << " observed " << observed[b] << " expected " << expected);
    REQUIRE(expected >= 5);  // the test's own validity: enough per bin
    statistic += (observed[b] - expected) * (observed[b] - expected) / expected;
  }
  INFO("chi-square " << statistic << " over " << observed.size() - 1 << " degrees of freedom");
  CHECK(statistic < chi_square_critical(static_cast<int>(observed.size()) - 1));
}

// Edges k + 0.5 for k in [first, last) and the CDF summed from a probability mass function on 0, 1, ...
std::vector<double> integer_edges(int first, int last) {
  std::vector<double> edges;
  for (int k = first; k < last; ++k) edges.push_back(k + 0.5);
  return edges;
}
std::function<double(double)> discrete_cdf(std::function<double(int)> pmf) {
  return [pmf](double x) {
    double total = 0;
    for (int k = 0; k <= static_cast<int>(std::floor(x)); ++k) total += pmf(k);
    return total;
  };
}
std::vector<double> linear_edges(double low, double high, int count) {
  std::vector<double> edges;
  for (int i = 0; i <= count; ++i) edges.push_back(low + (high - low) * i / count);
  return edges;
}

// |sample mean - mean| within 5 standard errors, and the variance within `variance_tolerance` (relative).
void check_moments(const std::vector<double>& v, double mean, double variance, double variance_tolerance = 0.03) {
  CHECK(std::abs(mean_of(v) - mean) < 5 * std::sqrt(variance / static_cast<double>(v.size())));
  CHECK(variance_of(v) == Approx(variance).epsilon(variance_tolerance));
}

double log_pmf_poisson(double lam, int k) { return k * std::log(lam) - lam - std::lgamma(k + 1.0); }

}  // namespace

TEST_CASE("continuous distributions fit their CDFs", "[operators][random]") {
  random::seed(2026);
  const auto uniform = test::values(nd::random::uniform(-1, 3, {kDraws}));
  check_moments(uniform, 1, 16.0 / 12);
  check_fit(uniform, linear_edges(-0.8, 2.8, 12), [](double x) { return std::clamp((x + 1) / 4, 0.0, 1.0); });

  const auto normal = test::values(nd::random::normal(3, 2, {kDraws}, cpu(), DType::kFloat64));
  check_moments(normal, 3, 4);
  check_fit(normal, linear_edges(-2, 8, 20), [](double x) { return 0.5 * std::erfc(-(x - 3) / (2 * std::sqrt(2.0))); });

  const auto exponential = test::values(nd::random::exponential(2, {kDraws}));
  check_moments(exponential, 2, 4, 0.04);
  check_fit(exponential, linear_edges(0.2, 10, 20), [](double x) { return 1 - std::exp(-x / 2); });
  check_moments(test::values(nd::random_exponential(4, {kDraws})), 0.25, 1.0 / 16, 0.04);  // MXNet's rate form

  // Gamma on both of its sampler's paths: shape >= 1 (here 3, a closed-form CDF) and shape < 1 (0.5 with scale 2
  // is chi-square with one degree of freedom).
  const auto gamma3 = test::values(nd::random::gamma(3, 2, {kDraws}));
  check_moments(gamma3, 6, 12, 0.04);
  check_fit(gamma3, linear_edges(1, 16, 15), [](double x) {
    const double y = x / 2;
    return 1 - std::exp(-y) * (1 + y + y * y / 2);
  });
  const auto gamma_half = test::values(nd::random::gamma(0.5, 2, {kDraws}, cpu(), DType::kFloat64));
  check_moments(gamma_half, 1, 2, 0.06);
  check_fit(gamma_half, linear_edges(0.05, 5, 15), [](double x) { return std::erf(std::sqrt(x / 2)); });

  // Cauchy has no moments: its median, and the fit.
  auto cauchy = test::values(nd::random::cauchy(1, 2, {kDraws}));
  check_fit(cauchy, linear_edges(-15, 17, 16), [](double x) { return 0.5 + std::atan((x - 1) / 2) / std::numbers::pi; });
  std::nth_element(cauchy.begin(), cauchy.begin() + kDraws / 2, cauchy.end());
  CHECK(std::abs(cauchy[kDraws / 2] - 1) < 0.05);
}

TEST_CASE("discrete distributions fit their probability mass functions", "[operators][random]") {
  random::seed(7);
  // Poisson on both sampler paths: products of uniforms (rate 4) and transformed rejection (rate 50).
  const auto small = test::values(nd::random::poisson(4, {kDraws}));
  check_moments(small, 4, 4);
  check_fit(small, integer_edges(0, 11), discrete_cdf([](int k) { return std::exp(log_pmf_poisson(4, k)); }));
  const auto large = test::values(nd::random::poisson(50, {kDraws}));
  check_moments(large, 50, 50);
  check_fit(large, integer_edges(35, 66), discrete_cdf([](int k) { return std::exp(log_pmf_poisson(50, k)); }));

  // Negative binomial: failures before 3 successes of probability 0.4.
  const auto negbin = test::values(nd::random::negative_binomial(3, 0.4, {kDraws}));
  check_moments(negbin, 3 * 0.6 / 0.4, 3 * 0.6 / (0.4 * 0.4), 0.04);
  check_fit(negbin, integer_edges(0, 15), discrete_cdf([](int k) {
              return std::exp(std::lgamma(k + 3.0) - std::lgamma(3.0) - std::lgamma(k + 1.0) + 3 * std::log(0.4) +
                              k * std::log(0.6));
            }));

  // Geometric: trials up to the first success, from 1.
  const auto geometric = test::values(nd::random::geometric(0.3, {kDraws}));
  CHECK(*std::min_element(geometric.begin(), geometric.end()) == 1);
  check_moments(geometric, 1 / 0.3, 0.7 / 0.09, 0.04);
  check_fit(geometric, integer_edges(1, 14), discrete_cdf([](int k) { return k < 1 ? 0.0 : std::pow(0.7, k - 1) * 0.3; }));

  const auto coin = test::values(nd::random::bernoulli(0.3, {kDraws}));
  check_moments(coin, 0.3, 0.21);
  check_fit(coin, {0.5}, [](double x) { return x < 0 ? 0 : 0.7; });

  const NDArray dice = nd::random::randint(-3, 5, {kDraws});
  CHECK(dice.dtype() == DType::kInt32);
  const auto faces = test::values(dice);
  CHECK(*std::min_element(faces.begin(), faces.end()) == -3);
  CHECK(*std::max_element(faces.begin(), faces.end()) == 4);
  check_fit(faces, integer_edges(-3, 4), [](double x) { return std::clamp((std::floor(x) + 4) / 8, 0.0, 1.0); });
}

TEST_CASE("multinomial draws categories by weight, shuffle permutes rows", "[operators][random]") {
  random::seed(11);
  const NDArray weights = nd::array({1, 0, 3, 6, 5, 5, 0, 0}, Shape{2, 4});
  const NDArray drawn = nd::random::multinomial(weights, {kDraws / 2});
  REQUIRE(drawn.shape() == Shape{2, kDraws / 2});
  CHECK(drawn.dtype() == DType::kInt32);
  const auto values = test::values(drawn);
  const std::vector<double> first(values.begin(), values.begin() + kDraws / 2), second(values.begin() + kDraws / 2, values.end());
  CHECK(std::count(first.begin(), first.end(), 1.0) == 0);  // zero weight: never drawn
  check_fit(first, {0.5, 2.5}, [](double x) { return x < 1 ? 0.1 : 0.4; });
  check_fit(second, {0.5}, [](double x) { return x < 1 ? 0.5 : 1.0; });

  const NDArray rows = nd::arange(20).reshape({10, 2});
  const auto shuffled = test::values(nd::random::shuffle(rows));
  std::vector<double> firsts;
  for (std::size_t r = 0; r < 10; ++r) {
    CHECK(shuffled[2 * r + 1] == shuffled[2 * r] + 1);  // rows move whole
    firsts.push_back(shuffled[2 * r]);
  }
  CHECK(firsts != std::vector<double>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18});
  std::sort(firsts.begin(), firsts.end());
  CHECK(firsts == std::vector<double>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18});
  // Every position is equally likely: the first row of 3 lands in each place a third of the time.
  std::vector<double> positions;
  for (int trial = 0; trial < 3000; ++trial) {
    const auto order = test::values(nd::random::shuffle(nd::arange(3)));
    positions.push_back(static_cast<double>(std::find(order.begin(), order.end(), 0.0) - order.begin()));
  }
  check_fit(positions, {0.5, 1.5}, [](double x) { return x < 1 ? 1.0 / 3 : 2.0 / 3; });
}

TEST_CASE("sample_* draw from one distribution per parameter element", "[operators][random]") {
  random::seed(3);
  auto halves = [](const NDArray& a) {
    const auto v = test::values(a);
    const std::size_t n = v.size() / 2;
    return std::pair{std::vector<double>(v.begin(), v.begin() + n), std::vector<double>(v.begin() + n, v.end())};
  };
  const std::int64_t n = kDraws / 2;
  const NDArray u = nd::sample_uniform(nd::array({0, 10}), nd::array({1, 20}), {n});
  REQUIRE(u.shape() == Shape{2, n});
  auto [u0, u1] = halves(u);
  check_moments(u0, 0.5, 1.0 / 12);
  check_moments(u1, 15, 100.0 / 12);
  auto [n0, n1] = halves(nd::sample_normal(nd::array({0, 5}), nd::array({1, 3}), {n}));
  check_moments(n0, 0, 1);
  check_moments(n1, 5, 9);
  auto [e0, e1] = halves(nd::sample_exponential(nd::array({1, 4}), {n}));
  check_moments(e0, 1, 1, 0.05);
  check_moments(e1, 0.25, 1.0 / 16, 0.05);
  auto [g0, g1] = halves(nd::sample_gamma(nd::array({2, 0.5}), nd::array({1, 3}), {n}));
  check_moments(g0, 2, 2, 0.05);
  check_moments(g1, 1.5, 4.5, 0.08);
  auto [p0, p1] = halves(nd::sample_poisson(nd::array({1, 30}), {n}));
  check_moments(p0, 1, 1, 0.04);
  check_moments(p1, 30, 30, 0.04);
  auto [b0, b1] = halves(nd::sample_negative_binomial(nd::array({2, 5}), nd::array({0.5, 0.8}), {n}));
  check_moments(b0, 2, 4, 0.05);
  check_moments(b1, 5 * 0.2 / 0.8, 5 * 0.2 / 0.64, 0.05);
  // PyTorch's x.bernoulli(): one probability per element, in x's shape.
  const NDArray probs = nd::full({n}, 0.8);
  check_moments(test::values(nd::random::bernoulli(probs)), 0.8, 0.16);
  const auto edges = test::values(nd::random::bernoulli(nd::array({0, 1, 0, 1})));
  CHECK(edges == std::vector<double>{0, 1, 0, 1});
}

TEST_CASE("random streams repeat after seed, per device", "[operators][random]") {
  random::seed(5);
  const auto a = test::values(nd::random::gamma(0.7, 1, {1000}));
  const auto b = test::values(nd::random::poisson(40, {1000}));
  random::seed(5);
  CHECK(test::values(nd::random::gamma(0.7, 1, {1000})) == a);
  CHECK(test::values(nd::random::poisson(40, {1000})) == b);
  // Seeding one device restarts that device's streams only.
  random::seed(9, cpu());
  const auto c = test::values(nd::random::uniform(0, 1, {100}));
  random::seed(9, cpu());
  CHECK(test::values(nd::random::uniform(0, 1, {100})) == c);
  random::seed(10, cpu());
  CHECK(test::values(nd::random::uniform(0, 1, {100})) != c);
}

TEST_CASE("random parameters are checked: numbers at the call, arrays at the sync point", "[operators][random][errors]") {
  CHECK_THROWS_WITH(nd::random::exponential(0, {2}), Contains("exponential") && Contains("scale"));
  CHECK_THROWS_WITH(nd::random::gamma(-1, 1, {2}), Contains("gamma") && Contains("-1"));
  CHECK_THROWS_WITH(nd::random::poisson(-2, {2}), Contains("poisson"));
  CHECK_THROWS_WITH(nd::random::negative_binomial(2, 1.5, {2}), Contains("negative_binomial") && Contains("1.5"));
  CHECK_THROWS_WITH(nd::random::cauchy(0, 0, {2}), Contains("cauchy"));
  CHECK_THROWS_WITH(nd::random::geometric(0, {2}), Contains("geometric"));
  CHECK_THROWS_WITH(nd::random::bernoulli(1.2, {2}), Contains("bernoulli"));
  CHECK_THROWS_WITH(nd::random::randint(3, 3, {2}), Contains("randint"));
  CHECK_THROWS_AS(nd::random::gamma(1, 1, {2}, cpu(), DType::kInt32), DTypeError);
  CHECK_THROWS_WITH(nd::sample_uniform(nd::zeros({2}), nd::ones({3})), Contains("_sample_uniform") && Contains("(3,)"));
  CHECK_THROWS_WITH(nd::random::multinomial(nd::zeros({2, 0})), Contains("multinomial"));
  NDArray bad = nd::sample_gamma(nd::array({1, -1}), nd::ones({2}));
  CHECK_THROWS_WITH(bad.wait_to_read(), Contains("_sample_gamma") && Contains("parameter 1"));
  NDArray negative = nd::random::multinomial(nd::array({1, -1}));
  CHECK_THROWS_WITH(negative.wait_to_read(), Contains("multinomial") && Contains("negative"));
}
