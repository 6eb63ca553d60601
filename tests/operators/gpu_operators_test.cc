// Every GPU kernel against the CPU's result on the same random inputs, with a tolerance by dtype, and the
// gradients of a network's operators likewise. Numbers on the CPU are checked against hand values elsewhere.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <mx/mx.h>

using namespace mx;
using Catch::Matchers::Contains;

namespace {

using Fn = std::function<NDArray(const std::vector<NDArray>&)>;

double tolerance(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return 1e-12;
    case DType::kFloat16: return 2e-3;
    case DType::kBFloat16: return 1e-2;
    default: return 2e-6;
  }
}

void check_close(const NDArray& expected, const NDArray& got, double tol) {
  REQUIRE(got.context() == gpu(0));
  REQUIRE(got.shape() == expected.shape());
  REQUIRE(got.dtype() == expected.dtype());
  const std::vector<double> e = expected.asnumpy<double>(), g = got.asnumpy<double>();
  for (std::size_t i = 0; i < e.size(); ++i) {
    INFO("element " << i << " of " << expected.shape());
    if (std::isnan(e[i])) {
      CHECK(std::isnan(g[i]));
    } else {
      CHECK(g[i] == Approx(e[i]).epsilon(tol).margin(tol));
    }
  }
}

std::vector<NDArray> to_gpu(const std::vector<NDArray>& arrays) {
  std::vector<NDArray> out;
  for (const NDArray& a : arrays) out.push_back(a.as_in_context(gpu(0)));
  return out;
}

// f on the CPU inputs and on their GPU copies: the same values within the output dtype's tolerance.
void same_on_gpu(const std::string& name, const Fn& f, const std::vector<NDArray>& inputs, double tol = -1) {
  INFO(name);
  const NDArray expected = f(inputs);
  check_close(expected, f(to_gpu(inputs)), tol >= 0 ? tol : tolerance(expected.dtype()));
}

NDArray uniform(double low, double high, const Shape& shape, DType dtype = DType::kFloat32) {
  return nd::random::uniform(low, high, shape, cpu(), DType::kFloat64).astype(dtype);
}

using A = const std::vector<NDArray>&;

}  // namespace

TEST_CASE("unary math on the GPU equals the CPU's, in each floating dtype", "[gpu]") {
  const std::vector<std::pair<const char*, Fn>> functions = {
      {"negative", [](A x) { return -x[0]; }},         {"abs", [](A x) { return nd::abs(x[0] - 0.5); }},
      {"sign", [](A x) { return nd::sign(x[0] - 0.5); }}, {"sqrt", [](A x) { return nd::sqrt(x[0]); }},
      {"rsqrt", [](A x) { return nd::rsqrt(x[0]); }},    {"square", [](A x) { return nd::square(x[0]); }},
      {"reciprocal", [](A x) { return nd::reciprocal(x[0]); }}, {"exp", [](A x) { return nd::exp(x[0]); }},
      {"log", [](A x) { return nd::log(x[0]); }},        {"sin", [](A x) { return nd::sin(x[0]); }},
      {"cos", [](A x) { return nd::cos(x[0]); }},        {"floor", [](A x) { return nd::floor(x[0] * 4); }},
      {"ceil", [](A x) { return nd::ceil(x[0] * 4); }},  {"relu", [](A x) { return nd::relu(x[0] - 0.5); }},
      {"sigmoid", [](A x) { return nd::sigmoid(x[0]); }}, {"tanh", [](A x) { return nd::tanh(x[0]); }},
      {"tan", [](A x) { return nd::tan(x[0]); }},        {"arcsin", [](A x) { return nd::arcsin(x[0]); }},
      {"arccos", [](A x) { return nd::arccos(x[0]); }},  {"arctan", [](A x) { return nd::arctan(x[0]); }},
      {"sinh", [](A x) { return nd::sinh(x[0]); }},      {"cosh", [](A x) { return nd::cosh(x[0]); }},
      {"arcsinh", [](A x) { return nd::arcsinh(x[0]); }}, {"arccosh", [](A x) { return nd::arccosh(x[0] + 1); }},
      {"arctanh", [](A x) { return nd::arctanh(x[0]); }}, {"degrees", [](A x) { return nd::degrees(x[0]); }},
      {"radians", [](A x) { return nd::radians(x[0]); }}, {"cbrt", [](A x) { return nd::cbrt(x[0]); }},
      {"rcbrt", [](A x) { return nd::rcbrt(x[0]); }},    {"expm1", [](A x) { return nd::expm1(x[0]); }},
      {"log1p", [](A x) { return nd::log1p(x[0]); }},    {"log2", [](A x) { return nd::log2(x[0]); }},
      {"log10", [](A x) { return nd::log10(x[0]); }},    {"round", [](A x) { return nd::round(x[0] * 4); }},
      {"rint", [](A x) { return nd::rint(x[0] * 4); }},  {"fix", [](A x) { return nd::fix(x[0] * 4 - 2); }},
      {"trunc", [](A x) { return nd::trunc(x[0] * 4 - 2); }}, {"erf", [](A x) { return nd::erf(x[0]); }},
  };
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    INFO(dtype_name(dtype));
    const NDArray x = uniform(0.05, 0.95, {7, 33}, dtype);
    // 16-bit results are compared in float: the GPU computes in float as the CPU does, rounding may differ by
    // an ulp of the 16-bit type.
    for (const auto& [name, f] : functions) same_on_gpu(name, f, {x}, dtype == DType::kFloat32 ? 1e-5 : -1);
  }
}

TEST_CASE("binary arithmetic with broadcasting and scalars on the GPU equals the CPU's", "[gpu]") {
  const std::vector<std::pair<const char*, Fn>> functions = {
      {"+", [](A v) { return v[0] + v[1]; }},           {"-", [](A v) { return v[0] - v[1]; }},
      {"*", [](A v) { return v[0] * v[1]; }},           {"/", [](A v) { return v[0] / v[1]; }},
      {"%", [](A v) { return v[0] % v[1]; }},           {"fmod", [](A v) { return nd::fmod(v[0], v[1]); }},
      {"power", [](A v) { return nd::power(v[0], v[1]); }}, {"maximum", [](A v) { return nd::maximum(v[0], v[1]); }},
      {"minimum", [](A v) { return nd::minimum(v[0], v[1]); }}, {"hypot", [](A v) { return nd::hypot(v[0], v[1]); }},
      {"atan2", [](A v) { return nd::atan2(v[0], v[1]); }}, {"==", [](A v) { return v[0] == v[1]; }},
      {"!=", [](A v) { return v[0] != v[1]; }},         {">", [](A v) { return v[0] > v[1]; }},
      {">=", [](A v) { return v[0] >= v[1]; }},         {"<", [](A v) { return v[0] < v[1]; }},
      {"<=", [](A v) { return v[0] <= v[1]; }},         {"logical_and", [](A v) { return nd::logical_and(v[0] - 1, v[1] - 1); }},
      {"logical_or", [](A v) { return nd::logical_or(v[0] - 1, v[1] - 1); }},
      {"logical_xor", [](A v) { return nd::logical_xor(v[0] - 1, v[1] - 1); }},
      {"x + 2", [](A v) { return v[0] + 2; }},          {"2 - x", [](A v) { return 2 - v[0]; }},
      {"x * 3", [](A v) { return v[0] * 3; }},          {"1 / x", [](A v) { return 1 / v[0]; }},
      {"x % 0.3", [](A v) { return v[0] % 0.3; }},      {"x ** 2", [](A v) { return nd::power(v[0], 2); }},
      {"2 ** x", [](A v) { return nd::power(2, v[0]); }}, {"maximum(x, 1)", [](A v) { return nd::maximum(v[0], 1); }},
      {"x > 1", [](A v) { return v[0] > 1; }},
  };
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    INFO(dtype_name(dtype));
    const NDArray a = uniform(0.5, 1.5, {4, 1, 5}, dtype), b = uniform(0.5, 1.5, {3, 5}, dtype);
    for (const auto& [name, f] : functions) same_on_gpu(name, f, {a, b}, dtype == DType::kFloat32 ? 1e-5 : -1);
    same_on_gpu("same shapes", [](A v) { return v[0] * v[1]; }, {b, b * 2});
    NDArray in_place = b.as_in_context(gpu(0));
    in_place += nd::slice_axis(a.reshape({4, 5}), 0, 0, 3).as_in_context(gpu(0));
    check_close(b + nd::slice_axis(a.reshape({4, 5}), 0, 0, 3), in_place, tolerance(dtype));
  }
  const NDArray i = nd::array(std::vector<int>{7, -8, 9, 10, -11, 12}, Shape{2, 3});
  const NDArray j = nd::array(std::vector<int>{2, 3, -4}, Shape{3});
  for (const auto& [name, f] : std::vector<std::pair<const char*, Fn>>{
           {"int +", [](A v) { return v[0] + v[1]; }}, {"int *", [](A v) { return v[0] * v[1]; }},
           {"int /", [](A v) { return v[0] / v[1]; }}, {"int %", [](A v) { return v[0] % v[1]; }},
           {"bitwise_and", [](A v) { return nd::bitwise_and(v[0], v[1]); }}}) {
    same_on_gpu(name, f, {i, j}, 0);
  }
}

TEST_CASE("reductions on the GPU equal the CPU's over any axes", "[gpu]") {
  const NDArray x = uniform(0.9, 1.1, {4, 6, 5});
  using Axes = std::vector<int>;
  for (const Axes& axes : {Axes{}, Axes{0}, Axes{1}, Axes{2}, Axes{0, 2}, Axes{1, 2}, Axes{0, 1}}) {
    INFO("axes of size " << axes.size() << (axes.empty() ? "" : ", first " + std::to_string(axes[0])));
    same_on_gpu("sum", [&](A v) { return nd::sum(v[0], axes); }, {x}, 1e-6);
    same_on_gpu("mean keepdims", [&](A v) { return nd::mean(v[0], axes, true); }, {x}, 1e-6);
    same_on_gpu("max", [&](A v) { return nd::max(v[0], axes); }, {x});
    same_on_gpu("min", [&](A v) { return nd::min(v[0], axes); }, {x});
    same_on_gpu("prod", [&](A v) { return nd::prod(v[0], axes); }, {x}, 1e-5);
    same_on_gpu("nansum", [&](A v) { return nd::nansum(v[0], axes); }, {x}, 1e-6);
    same_on_gpu("norm", [&](A v) { return nd::norm(v[0], 2, axes); }, {x}, 1e-6);
    same_on_gpu("l1 norm", [&](A v) { return nd::norm(v[0], 1, axes); }, {x}, 1e-6);
  }
  same_on_gpu("sum float64", [](A v) { return nd::sum(v[0], {1}); }, {x.astype(DType::kFloat64)});
  same_on_gpu("sum int32", [](A v) { return nd::sum(v[0] * 10, {2}); }, {x.astype(DType::kInt32)}, 0);
  // Integer accumulators wrap around on overflow on both (int64 in unsigned arithmetic).
  const NDArray huge = nd::array(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(), 1, 1 << 30});
  same_on_gpu("sum int64 wrapping", [](A v) { return nd::sum(v[0]); }, {huge}, 0);
  same_on_gpu("prod int64 wrapping", [](A v) { return nd::prod(v[0]); }, {huge}, 0);
  same_on_gpu("norm int64 wrapping", [](A v) { return nd::norm(v[0], 1); }, {huge * -1}, 0);
  same_on_gpu("cumsum int32 wrapping", [](A v) { return nd::cumsum(v[0], 0); },
              {nd::array(std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::max(), 1, 5})}, 0);
  same_on_gpu("cumprod int64 wrapping", [](A v) { return nd::cumprod(v[0], 0); }, {huge}, 0);
  // The max of infinities is infinite (not the lowest finite double), in both layouts.
  const double inf = std::numeric_limits<double>::infinity();
  for (const DType dtype : {DType::kFloat64, DType::kFloat32}) {
    same_on_gpu("max of -inf", [](A v) { return nd::max(v[0], {1}); }, {nd::full({3, 5}, -inf, cpu(), dtype)}, 0);
    same_on_gpu("min of inf", [](A v) { return nd::min(v[0], {0}); }, {nd::full({3, 5}, inf, cpu(), dtype)}, 0);
  }
  same_on_gpu("mean of nothing", [](A v) { return nd::mean(v[0], {0}); }, {nd::zeros({0, 3})}, 0);
  same_on_gpu("argmax", [](A v) { return nd::argmax(v[0], 1); }, {x}, 0);
  same_on_gpu("argmin keepdims", [](A v) { return nd::argmin(v[0], 2, true); }, {x}, 0);
  same_on_gpu("large sum", [](A v) { return nd::sum(v[0]); }, {uniform(0, 1, {1 << 20})}, 1e-6);
}

TEST_CASE("softmax, losses and the small neural-network operators on the GPU equal the CPU's", "[gpu]") {
  const NDArray logits = uniform(-3, 3, {6, 10}), deep = uniform(-3, 3, {2, 4, 3});
  const NDArray label = nd::array(std::vector<float>{0, 9, 3, 3, 5, 1});
  same_on_gpu("softmax", [](A v) { return nd::softmax(v[0]); }, {logits});
  same_on_gpu("softmax axis 1", [](A v) { return nd::softmax(v[0], 1); }, {deep});
  same_on_gpu("log_softmax", [](A v) { return nd::log_softmax(v[0]); }, {logits}, 1e-5);
  same_on_gpu("log_softmax axis 1", [](A v) { return nd::log_softmax(v[0], 1); }, {deep}, 1e-5);
  same_on_gpu("softmax float64", [](A v) { return nd::softmax(v[0]); }, {logits.astype(DType::kFloat64)});
  same_on_gpu("softmax_cross_entropy", [](A v) { return nd::softmax_cross_entropy(v[0], v[1]); }, {logits, label}, 1e-5);
  same_on_gpu("per sample", [](A v) { return nd::softmax_cross_entropy(v[0], v[1], true); }, {logits, label}, 1e-5);
  same_on_gpu("pick", [](A v) { return nd::pick(v[0], v[1], 1); }, {logits, label});
  same_on_gpu("one_hot", [](A v) { return nd::one_hot(v[0], 10, 2, -1); }, {label});
  same_on_gpu("clip", [](A v) { return nd::clip(v[0], -1, 0.5); }, {logits});
  // Bounds convert to the array's dtype as the CPU's do: saturating for integers, rounded for float16.
  same_on_gpu("clip int32, bounds beyond it", [](A v) { return nd::clip(v[0], -1e30, 2.7); },
              {(logits * 10).astype(DType::kInt32)}, 0);
  same_on_gpu("clip float16", [](A v) { return nd::clip(v[0], -0.1, 0.1); }, {logits.astype(DType::kFloat16)}, 0);
  same_on_gpu("where", [](A v) { return nd::where(v[0] > 0, v[0], v[0] * 3); }, {logits});
  same_on_gpu("transpose", [](A v) { return nd::transpose(v[0], {2, 0, 1}); }, {deep});
  same_on_gpu("broadcast_to", [](A v) { return nd::broadcast_to(v[0].reshape({1, 10}), {4, 10}); },
              {logits.slice(0, 1)});
  same_on_gpu("Cast", [](A v) { return v[0].astype(DType::kFloat16).astype(DType::kInt32); }, {logits * 10}, 0);
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const NDArray extremes = nd::array({nan, inf, -inf, 3e9, -3e9, 2.9, -2.9, 300, -300}, Shape{9}, cpu(), DType::kFloat64);
  for (DType to : {DType::kInt32, DType::kInt8, DType::kUint8, DType::kInt64, DType::kBool}) {
    same_on_gpu(std::string("Cast saturating to ") + dtype_name(to), [to](A v) { return v[0].astype(to); },
                {extremes}, 0);
    same_on_gpu(std::string("Cast float32 saturating to ") + dtype_name(to), [to](A v) { return v[0].astype(to); },
                {extremes.astype(DType::kFloat32)}, 0);
  }
  same_on_gpu("full int32 beyond its range", [](A v) { return nd::full({3}, 1e20, v[0].context(), DType::kInt32); },
              {logits}, 0);
  const NDArray bad = nd::array(std::vector<float>{0, 9, 3, 3, 12, 1}).as_in_context(gpu(0));
  CHECK_THROWS_WITH(nd::softmax_cross_entropy(logits.as_in_context(gpu(0)), bad).wait_to_read(),
                    Contains("softmax_cross_entropy") && Contains("row 4"));
}

TEST_CASE("matrix products on cuBLAS equal the CPU's", "[gpu]") {
  const NDArray a = uniform(-1, 1, {17, 33}), b = uniform(-1, 1, {33, 9});
  same_on_gpu("dot", [](A v) { return nd::dot(v[0], v[1]); }, {a, b}, 1e-5);
  same_on_gpu("dot^T", [](A v) { return nd::dot(v[1], v[0], true, true); }, {a, b}, 1e-5);
  same_on_gpu("dot float64", [](A v) { return nd::dot(v[0], v[1]); }, {a.astype(DType::kFloat64), b.astype(DType::kFloat64)});
  same_on_gpu("dot float16", [](A v) { return nd::dot(v[0], v[1]); }, {a.astype(DType::kFloat16), b.astype(DType::kFloat16)}, 2e-2);
  same_on_gpu("dot bfloat16", [](A v) { return nd::dot(v[0], v[1]); }, {a.astype(DType::kBFloat16), b.astype(DType::kBFloat16)}, 5e-2);
  const NDArray x = uniform(-1, 1, {3, 5, 4}), y = uniform(-1, 1, {3, 4, 6});
  same_on_gpu("batch_dot", [](A v) { return nd::batch_dot(v[0], v[1]); }, {x, y}, 1e-5);
  same_on_gpu("batch_dot^T", [](A v) { return nd::batch_dot(v[1], v[0], true, true); }, {x, y}, 1e-5);
  same_on_gpu("linalg_gemm2", [](A v) { return nd::linalg::gemm2(v[0], v[1], true, false, 0.5); }, {y, y * 2}, 1e-5);
  same_on_gpu("linalg_gemm", [](A v) { return nd::linalg::gemm(v[0], v[1], v[2], false, true, 2, -0.5); },
              {x, uniform(-1, 1, {3, 6, 4}), uniform(-1, 1, {3, 5, 6})}, 1e-5);
  const NDArray data = uniform(-1, 1, {8, 2, 3}), weight = uniform(-1, 1, {5, 6}), bias = uniform(-1, 1, {5});
  same_on_gpu("FullyConnected", [](A v) { return nd::FullyConnected(v[0], v[1], v[2], 5); }, {data, weight, bias}, 1e-5);
  same_on_gpu("FullyConnected without bias", [](A v) { return nd::FullyConnected(v[0], v[1], std::nullopt, 5); },
              {data, weight}, 1e-5);
}

TEST_CASE("gradients on the GPU equal the CPU's through a network's operators", "[gpu]") {
  const NDArray x = uniform(-1, 1, {8, 6}), w1 = uniform(-0.5, 0.5, {16, 6}), b1 = uniform(-0.5, 0.5, {16});
  const NDArray w2 = uniform(-0.5, 0.5, {4, 16}), b2 = uniform(-0.5, 0.5, {4});
  const NDArray label = nd::array(std::vector<float>{0, 1, 2, 3, 3, 2, 1, 0});
  auto gradients = [&](Context ctx) {
    std::vector<NDArray> params;
    for (const NDArray& p : {x, w1, b1, w2, b2}) {
      params.push_back(p.as_in_context(ctx));
      params.back().attach_grad();
    }
    NDArray loss;
    {
      autograd::record record;
      const NDArray hidden = nd::relu(nd::FullyConnected(params[0], params[1], params[2], 16));
      const NDArray out = nd::FullyConnected(nd::tanh(hidden) * nd::sigmoid(hidden), params[3], params[4], 4);
      loss = nd::softmax_cross_entropy(out, label.as_in_context(ctx)) +
             nd::mean(nd::max(nd::log_softmax(out), {1})) + nd::sum(nd::square(params[0] - params[0].mean({0}, true)));
    }
    loss.backward();
    std::vector<NDArray> grads;
    for (const NDArray& p : params) grads.push_back(p.grad());
    return grads;
  };
  const auto on_cpu = gradients(cpu()), on_gpu = gradients(gpu(0));
  for (std::size_t i = 0; i < on_cpu.size(); ++i) {
    INFO("parameter " << i);
    check_close(on_cpu[i], on_gpu[i], 1e-5);
  }
}

TEST_CASE("random draws on the GPU are reproducible and have the asked moments", "[gpu]") {
  random::seed(42);
  const std::vector<float> first = nd::random::uniform(2, 4, {100000}, gpu(0)).asnumpy<float>();
  random::seed(42);
  CHECK(nd::random::uniform(2, 4, {100000}, gpu(0)).asnumpy<float>() == first);
  double sum = 0;
  for (float v : first) {
    REQUIRE(v >= 2.0f);
    REQUIRE(v < 4.0f);
    sum += v;
  }
  CHECK(sum / first.size() == Approx(3).margin(0.01));
  const NDArray normal = nd::random::normal(1, 2, {200000}, gpu(0), DType::kFloat64);
  CHECK(normal.mean().asscalar<double>() == Approx(1).margin(0.02));
  CHECK(nd::std(normal).asscalar<double>() == Approx(2).margin(0.02));
  CHECK_THROWS_WITH(nd::random::gamma(1, 1, {4}, gpu(0)), Contains("_random_gamma") && Contains("gpu(0)"));
}

TEST_CASE("optimizer updates on the GPU equal the CPU's", "[gpu]") {
  nd::UpdateHyperParams hyper{.lr = 0.1, .wd = 0.01, .rescale_grad = 0.5, .clip_gradient = 0.3, .momentum = 0.9};
  for (int r = 0; r <= static_cast<int>(nd::kLastUpdateRule); ++r) {  // every rule, those added later too
    const auto rule = static_cast<nd::UpdateRule>(r);
    INFO("rule " << r);
    const NDArray w = uniform(-1, 1, {50}), g = uniform(-1, 1, {50});
    auto run = [&](Context ctx) {
      NDArray weight = w.as_in_context(ctx).copy();
      std::vector<NDArray> states;
      for (int s = 0; s < nd::update_state_count(rule); ++s) states.push_back(nd::full({50}, 0.1, ctx));
      for (int step = 0; step < 3; ++step) nd::optimizer_update(rule, weight, g.as_in_context(ctx), states, hyper);
      return weight;
    };
    check_close(run(cpu()), run(gpu(0)), 1e-6);
  }
}

TEST_CASE("an operator without a GPU kernel is refused at the call, naming it", "[gpu]") {
  const NDArray x = nd::ones({4}, gpu(0));
  CHECK_THROWS_WITH(nd::erfinv(x), Contains("erfinv") && Contains("gpu(0)") && Contains("nothing falls back"));
}

TEST_CASE("slices, concat, split, flip, take and running sums on the GPU equal the CPU's", "[gpu]") {
  const NDArray x = uniform(-1, 1, {4, 6, 5});
  same_on_gpu("slice", [](A v) { return nd::slice(v[0], {1, std::nullopt, 4}, {3, 5, 0}, {1, 2, -2}); }, {x}, 0);
  same_on_gpu("slice_axis", [](A v) { return nd::slice_axis(v[0], 1, 2, 5); }, {x}, 0);
  same_on_gpu("concat", [](A v) { return nd::concat({v[0], v[0] * 2, v[0].slice(0, 1) + 0}, 0); }, {x}, 0);
  same_on_gpu("concat axis 2", [](A v) { return nd::concat({v[0], v[0] * 2}, 2); }, {x}, 0);
  same_on_gpu("split", [](A v) { return nd::split(v[0], 3, 1)[1]; }, {x}, 0);
  same_on_gpu("flip", [](A v) { return nd::flip(v[0], 1); }, {x}, 0);
  same_on_gpu("tile", [](A v) { return nd::tile(v[0], {2, 1, 3}); }, {x}, 0);
  const NDArray index = nd::array(std::vector<float>{3, 0, 0, 5, -2, 9});
  same_on_gpu("take clip", [](A v) { return nd::take(v[0], v[1], 1); }, {x, index}, 0);
  same_on_gpu("take wrap", [](A v) { return nd::take(v[0], v[1], 2, nd::IndexMode::kWrap); }, {x, index}, 0);
  const NDArray odd_index = nd::array(std::vector<float>{NAN, 1e30f, -1e30f, INFINITY});  // NaN as 0, saturated
  same_on_gpu("take clip, odd indices", [](A v) { return nd::take(v[0], v[1], 1); }, {x, odd_index}, 0);
  same_on_gpu("take wrap, odd indices", [](A v) { return nd::take(v[0], v[1], 2, nd::IndexMode::kWrap); },
              {x, odd_index}, 0);
  same_on_gpu("pick, NaN index", [](A v) { return nd::pick(v[0], v[1], 2); }, {x, nd::full({4, 6}, NAN)}, 0);
  same_on_gpu("cumsum", [](A v) { return nd::cumsum(v[0], 1); }, {x}, 1e-6);
  same_on_gpu("cumprod", [](A v) { return nd::cumprod(v[0], 2); }, {x}, 1e-6);
  // Gradients of the indexing operators: take sums where an index repeats.
  auto grads = [&](Context ctx) {
    NDArray a = x.as_in_context(ctx);
    a.attach_grad();
    NDArray y;
    {
      autograd::record r;
      y = nd::take(a, index.as_in_context(ctx), 1).sum() * 3 + nd::slice_axis(a, 2, 1, 4).sum() +
          nd::cumsum(nd::flip(a, 0), 2).mean();
    }
    y.backward();
    return a.grad();
  };
  check_close(grads(cpu()), grads(gpu(0)), 1e-5);
}

TEST_CASE("convolution, pooling and normalization on the GPU equal the CPU's, with their gradients", "[gpu]") {
  struct Case {
    const char* name;
    Shape data, weight;
    nd::ConvShape shape;
    std::int64_t filters, groups;
  };
  for (const Case& c : {Case{"2-d, stride 2, pad 1", {2, 4, 9, 8}, {6, 4, 3, 3}, {{3, 3}, {2, 2}, {}, {1, 1}}, 6, 1},
                        Case{"2-d, dilated, 2 groups", {2, 4, 9, 9}, {6, 2, 3, 3}, {{3, 3}, {}, {2, 2}, {2, 2}}, 6, 2},
                        Case{"1-d", {3, 2, 11}, {5, 2, 4}, {{4}, {2}, {}, {1}}, 5, 1},
                        Case{"3-d", {1, 2, 5, 6, 4}, {3, 2, 2, 3, 2}, {{2, 3, 2}, {}, {}, {0, 1, 0}}, 3, 1},
                        Case{"1x1", {2, 8, 5, 5}, {4, 8, 1, 1}, {{1, 1}}, 4, 1}}) {
    INFO(c.name);
    const NDArray data = uniform(-1, 1, c.data), weight = uniform(-1, 1, c.weight), bias = uniform(-1, 1, {c.filters});
    auto run = [&](Context ctx) {
      std::vector<NDArray> in = {data.as_in_context(ctx), weight.as_in_context(ctx), bias.as_in_context(ctx)};
      for (NDArray& a : in) a.attach_grad();
      NDArray y, loss;
      {
        autograd::record r;
        y = nd::Convolution(in[0], in[1], in[2], c.shape, c.filters, c.groups);
        loss = (nd::square(y) * 0.5).sum();
      }
      loss.backward();
      return std::vector<NDArray>{y, in[0].grad(), in[1].grad(), in[2].grad()};
    };
    const auto on_cpu = run(cpu()), on_gpu = run(gpu(0));
    for (std::size_t i = 0; i < on_cpu.size(); ++i) {
      INFO("output " << i);
      check_close(on_cpu[i], on_gpu[i], 1e-4);
    }
  }
  const NDArray images = uniform(-1, 1, {2, 3, 8, 7});
  {  // float16 on tensor cores against the CPU's float32 (the CPU convolves float32 and float64 only)
    const NDArray filters = uniform(-1, 1, {4, 3, 3, 3});
    const NDArray expected = nd::Convolution(images, filters, std::nullopt, {{3, 3}}, 4);
    const NDArray got = nd::Convolution(images.as_in_context(gpu(0)).astype(DType::kFloat16),
                                        filters.as_in_context(gpu(0)).astype(DType::kFloat16), std::nullopt, {{3, 3}}, 4);
    CHECK(got.dtype() == DType::kFloat16);
    check_close(expected, got.astype(DType::kFloat32), 3e-2);
  }
  same_on_gpu("max pool", [](A v) { return nd::Pooling(v[0], {{3, 3}, {2, 2}, {}, {1, 1}}); }, {images});
  same_on_gpu("avg pool", [](A v) {
    return nd::Pooling(v[0], {{2, 2}, {2, 2}}, {.type = nd::PoolType::kAvg, .convention = nd::PoolingConvention::kFull});
  }, {images}, 1e-6);
  same_on_gpu("global avg pool", [](A v) { return nd::Pooling(v[0], {{1, 1}}, {.type = nd::PoolType::kAvg, .global_pool = true}); },
              {images}, 1e-6);
  same_on_gpu("Deconvolution", [](A v) { return nd::Deconvolution(v[0], v[1], std::nullopt, {{3, 3}, {2, 2}, {}, {1, 1}}, 5); },
              {images, uniform(-1, 1, {3, 5, 3, 3})}, 1e-5);
  same_on_gpu("LayerNorm", [](A v) { return nd::LayerNorm(v[0], nd::ones({7}, v[0].context()), nd::zeros({7}, v[0].context())); },
              {images}, 1e-5);
  // BatchNorm in training (batch statistics, moving averages updated) and in inference (moving statistics).
  auto batch_norm = [&](Context ctx, bool training) {
    NDArray x = images.as_in_context(ctx), gamma = nd::full({3}, 1.5, ctx), beta = nd::full({3}, 0.1, ctx);
    NDArray mean = nd::full({3}, 0.2, ctx), var = nd::full({3}, 0.9, ctx);
    x.attach_grad();
    NDArray y;
    {
      autograd::record r(training);
      y = nd::BatchNorm(x, gamma, beta, mean, var);
    }
    y.backward();
    return std::vector<NDArray>{y, x.grad(), mean, var};
  };
  for (bool training : {true, false}) {
    const auto on_cpu = batch_norm(cpu(), training), on_gpu = batch_norm(gpu(0), training);
    for (std::size_t i = 0; i < on_cpu.size(); ++i) {
      INFO("BatchNorm, training " << training << ", output " << i);
      check_close(on_cpu[i], on_gpu[i], 1e-5);
    }
  }
}

TEST_CASE("Dropout on the GPU keeps about 1 - p of its input, scaled", "[gpu]") {
  const NDArray x = nd::ones({100000}, gpu(0));
  NDArray y;
  {
    autograd::record r;
    y = nd::Dropout(x, 0.3);
  }
  const std::vector<float> v = y.asnumpy<float>();
  std::size_t kept = 0;
  for (float e : v) {
    if (e != 0) {
      ++kept;
      REQUIRE(e == Approx(1 / 0.7));
    }
  }
  CHECK(static_cast<double>(kept) / v.size() == Approx(0.7).margin(0.01));
}
