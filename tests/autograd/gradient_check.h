#pragma once
// A finite-difference checker: the gradient autograd computes for f at random float64 inputs against central
// differences of the same f, for a random head gradient (so that each output element weighs differently).
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include <mx/mx.h>

namespace mx::test {

struct GradientCheck {
  std::function<NDArray(const std::vector<NDArray>&)> f;
  std::vector<Shape> shapes;
  double low = -2, high = 2;      // inputs are drawn from [low, high], or -[high, low] too with `both_signs`
  bool both_signs = false;
  std::vector<bool> differentiable;  // per input; empty: all. Others hold integer indices in [0, index_limit)
  std::int64_t index_limit = 1;
  double epsilon = 1e-6, tolerance = 1e-5;
};

inline double weighted_sum(const NDArray& y, const std::vector<double>& weights) {
  const std::vector<double> values = y.asnumpy<double>();
  double total = 0;
  for (std::size_t i = 0; i < values.size(); ++i) total += values[i] * weights[i];
  return total;
}

inline void check_gradient(const GradientCheck& c, std::uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> value(c.low, c.high), unit(-1, 1);
  std::uniform_int_distribution<std::int64_t> index(0, std::max<std::int64_t>(c.index_limit - 1, 0));
  const auto is_diff = [&](std::size_t i) { return c.differentiable.empty() || c.differentiable[i]; };

  std::vector<std::vector<double>> host(c.shapes.size());
  for (std::size_t i = 0; i < c.shapes.size(); ++i) {
    host[i].resize(static_cast<std::size_t>(c.shapes[i].size()));
    for (double& v : host[i]) {
      if (!is_diff(i)) v = static_cast<double>(index(rng));
      else v = value(rng) * (c.both_signs && unit(rng) < 0 ? -1 : 1);
    }
  }
  const auto make_inputs = [&] {
    std::vector<NDArray> inputs;
    for (std::size_t i = 0; i < host.size(); ++i) {
      inputs.push_back(nd::array(host[i], c.shapes[i], cpu(), DType::kFloat64));
    }
    return inputs;
  };

  // Autograd's gradient, for head gradient `weights`.
  std::vector<NDArray> inputs = make_inputs();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (is_diff(i)) inputs[i].attach_grad();
  }
  NDArray y;
  {
    autograd::record r;
    y = c.f(inputs);
  }
  std::vector<double> weights(static_cast<std::size_t>(y.size()));
  for (double& w : weights) w = unit(rng);
  y.backward(nd::array(weights, y.shape(), cpu(), DType::kFloat64));

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!is_diff(i)) continue;
    const std::vector<double> analytic = inputs[i].grad().asnumpy<double>();
    for (std::size_t j = 0; j < host[i].size(); ++j) {
      const double saved = host[i][j];
      host[i][j] = saved + c.epsilon;
      const double up = weighted_sum(c.f(make_inputs()), weights);
      host[i][j] = saved - c.epsilon;
      const double down = weighted_sum(c.f(make_inputs()), weights);
      host[i][j] = saved;
      const double numeric = (up - down) / (2 * c.epsilon);
      INFO("input " << i << " element " << j);
      CHECK(analytic[j] == Approx(numeric).epsilon(c.tolerance).margin(c.tolerance));
    }
  }
}

}  // namespace mx::test
