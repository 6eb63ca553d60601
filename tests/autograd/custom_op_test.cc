// Custom operators registered at run time: values against hand-computed ones, gradients against finite
// differences, errors at the call or at the sync point, and engine ordering of their reads and writes.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>

#include <mx/mx.h>

#include "gradient_check.h"
#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using In = const std::vector<NDArray>&;

namespace {

// softplus(x) = log(1 + e^x); d/dx = sigmoid(x).
void register_softplus_operators() {
  static const bool registered = [] {
    custom::register_operator(
        "softplus", {.forward = [](const custom::Call&, std::span<const NDArray> in) {
                       return std::vector<NDArray>{nd::log1p(nd::exp(in[0]))};
                     },
                     .backward = [](const custom::Call&, std::span<const NDArray> out_grads,
                                    std::span<const NDArray> in, std::span<const NDArray>) {
                       return std::vector<NDArray>{out_grads[0] * nd::sigmoid(in[0])};
                     }});
    // The same over host buffers, in float64 and float32.
    custom::register_operator(
        "softplus_host",
        {.forward_host = [](const custom::Call&, std::span<const Blob> in, std::span<const Blob> out) {
           dispatch_dtype(in[0].dtype, [&](auto tag) {
             using T = decltype(tag);
             for (std::int64_t i = 0; i < in[0].size(); ++i) {
               out[0].ptr<T>()[i] = static_cast<T>(std::log1p(std::exp(static_cast<double>(in[0].ptr<T>()[i]))));
             }
           });
         },
         .backward_host = [](const custom::Call&, std::span<const Blob> out_grads, std::span<const Blob> in,
                             std::span<const Blob>, std::span<const Blob> in_grads) {
           dispatch_dtype(in[0].dtype, [&](auto tag) {
             using T = decltype(tag);
             for (std::int64_t i = 0; i < in[0].size(); ++i) {
               const double x = static_cast<double>(in[0].ptr<T>()[i]);
               in_grads[0].ptr<T>()[i] = static_cast<T>(static_cast<double>(out_grads[0].ptr<T>()[i]) / (1 + std::exp(-x)));
             }
           });
         }});
    // Two inputs, two outputs, a parameter: (scale * a + b, a * b), with a row-sum shape for the second.
    custom::register_operator(
        "scaled_sum_and_product",
        {.inputs = {"a", "b"},
         .outputs = {"sum", "product_rows"},
         .infer_shape = [](std::span<const Shape> in, const custom::Params&) {
           if (in[0] != in[1] || in[0].ndim() != 2) {
             throw ShapeError("scaled_sum_and_product: a and b must be equal 2-d shapes, got " + in[0].str() +
                              " and " + in[1].str());
           }
           return std::vector<Shape>{in[0], Shape{in[0][0]}};
         },
         .forward = [](const custom::Call& call, std::span<const NDArray> in) {
           const double scale = std::stod(call.params.at("scale"));
           return std::vector<NDArray>{in[0] * scale + in[1], (in[0] * in[1]).sum({1})};
         },
         .backward = [](const custom::Call& call, std::span<const NDArray> g, std::span<const NDArray> in,
                        std::span<const NDArray>) {
           const double scale = std::stod(call.params.at("scale"));
           const NDArray rows = g[1].reshape({g[1].shape()[0], 1});
           return std::vector<NDArray>{g[0] * scale + rows * in[1], g[0] + rows * in[0]};
         }});
    custom::register_operator("throws_in_forward", {.forward = [](const custom::Call&, std::span<const NDArray>)
                                                        -> std::vector<NDArray> {
                                                      throw std::runtime_error("forward failed on purpose");
                                                    }});
    custom::register_operator("throws_on_host", {.forward_host = [](const custom::Call&, std::span<const Blob>,
                                                                    std::span<const Blob>) {
                                                   throw std::runtime_error("host forward failed on purpose");
                                                 }});
    custom::register_operator("wrong_shape", {.forward = [](const custom::Call&, std::span<const NDArray> in) {
                                                return std::vector<NDArray>{in[0].reshape({-1})};
                                              }});
    return true;
  }();
  (void)registered;
}

}  // namespace

TEST_CASE("custom softplus gives log(1 + e^x) and passes the finite-difference check", "[autograd][custom]") {
  register_softplus_operators();
  const NDArray x = nd::array({-1.0, 0.0, 1.0});
  // log(1 + e^-1) = 0.3132617, log 2 = 0.6931472, log(1 + e) = 1.3132617
  test::check_array(nd::custom(x, "softplus"), {3}, {0.3132617, 0.6931472, 1.3132617});
  test::check_array(nd::custom(x, "softplus_host"), {3}, {0.3132617, 0.6931472, 1.3132617});
  test::check_gradient({[](In in) { return nd::custom(in[0], "softplus"); }, {{2, 3}}});
  test::check_gradient({[](In in) { return nd::custom(in[0], "softplus_host"); }, {{2, 3}}});
  test::check_gradient({[](In in) {
                          const auto out = nd::custom(in, "scaled_sum_and_product", {{"scale", "2.5"}});
                          return out[0].sum({1}) * out[1];
                        },
                        {{3, 2}, {3, 2}}});
}

TEST_CASE("a custom operator's backward over NDArrays is itself differentiable", "[autograd][custom]") {
  register_softplus_operators();
  NDArray x = nd::array({-0.5, 2.0}, std::nullopt, cpu(), DType::kFloat64);
  x.attach_grad();
  NDArray first;
  {
    autograd::record r;
    first = autograd::grad({nd::custom(x, "softplus").sum()}, {x}, {}, true)[0].sum();
  }
  const std::vector<NDArray> second = autograd::grad({first}, {x});
  std::vector<double> expected;  // sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))
  for (double v : {-0.5, 2.0}) expected.push_back(1 / (1 + std::exp(-v)) * (1 - 1 / (1 + std::exp(-v))));
  test::check_array(second[0], {2}, expected);
}

TEST_CASE("what a custom forward throws surfaces at the sync point, and the engine goes on", "[autograd][custom]") {
  register_softplus_operators();
  const NDArray x = nd::ones({2, 2});
  for (const char* op : {"throws_in_forward", "throws_on_host"}) {
    NDArray y = nd::custom(x, op);  // no throw here: the call is asynchronous
    CHECK(y.shape() == Shape{2, 2});
    CHECK_THROWS_WITH(y.wait_to_read(), Contains("failed on purpose") && Contains(op));
    NDArray z = y + 1;
    CHECK_THROWS_WITH(z.asnumpy<float>(), Contains("failed on purpose"));
  }
  CHECK_THROWS_WITH(nd::custom(x, "wrong_shape").wait_to_read(), Contains("wrong_shape") && Contains("(4,)"));
  test::check_array(x * 2, {2, 2}, {2, 2, 2, 2});
}

TEST_CASE("bad custom calls and definitions are clear errors at the call", "[autograd][custom]") {
  register_softplus_operators();
  const NDArray x = nd::ones({2, 2});
  CHECK_THROWS_WITH(nd::custom(x, "no_such_op"), Contains("no_such_op") && Contains("softplus"));
  CHECK_THROWS_WITH(nd::custom({x}, "scaled_sum_and_product", {{"scale", "1"}}),
                    Contains("scaled_sum_and_product") && Contains("2 input(s) (a, b)") && Contains("got 1"));
  CHECK_THROWS_WITH(nd::custom({x, nd::ones({3, 2})}, "scaled_sum_and_product", {{"scale", "1"}}),
                    Contains("(2, 2)") && Contains("(3, 2)"));
  CHECK_THROWS_WITH(nd::custom({x, nd::ones({2, 2}, cpu(1))}, "scaled_sum_and_product", {{"scale", "1"}}),
                    Contains("cpu(0)") && Contains("cpu(1)"));
  CHECK_THROWS_WITH(custom::register_operator("softplus", {.forward = [](const custom::Call&, std::span<const NDArray>) {
                                                return std::vector<NDArray>{};
                                              }}),
                    Contains("softplus") && Contains("registered already"));
  CHECK_THROWS_WITH(custom::register_operator("incomplete", {}), Contains("incomplete") && Contains("forward"));
  CHECK_FALSE(custom::is_registered("incomplete"));
  const std::vector<std::string> names = custom::list_operators();
  CHECK(std::find(names.begin(), names.end(), "softplus") != names.end());
}

TEST_CASE("a custom operator reads its inputs in engine order", "[autograd][custom]") {
  register_softplus_operators();
  NDArray x = nd::zeros({1000});
  const NDArray y = nd::custom(x, "softplus_host");
  x += 10;  // pushed after the custom operation, so it waits for the custom operation's read
  const NDArray z = nd::custom(x, "softplus");
  const std::vector<float> ys = y.asnumpy<float>(), zs = z.asnumpy<float>();
  CHECK(ys.front() == Approx(std::log(2.0)));
  CHECK(ys.back() == Approx(std::log(2.0)));
  CHECK(zs.front() == Approx(std::log1p(std::exp(10.0))));
  // Recorded as one operator: autograd sees the call, not the operators inside it.
  NDArray v = nd::array({0.0, 1.0});
  v.attach_grad();
  {
    autograd::record r;
    nd::custom(v, "softplus").backward();
  }
  test::check_array(v.grad(), {2}, {0.5, 1 / (1 + std::exp(-1.0))});
}
