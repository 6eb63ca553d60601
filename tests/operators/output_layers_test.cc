// The heads of symbolic networks: each forward against its definition, each gradient against the loss's own
// gradient worked out by hand (whatever the head gradient), and their symbol forms.
#include <catch2/catch.hpp>

#include <cmath>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

namespace {

// The gradient of `head(data)` reaching data, with a head gradient of 7s that the heads must ignore.
template <class Head>
NDArray head_gradient(NDArray data, Head head, NDArray* out = nullptr) {
  data.attach_grad();
  NDArray y;
  {
    autograd::record r;
    y = head(data);
  }
  y.backward(nd::full(y.shape(), 7));
  if (out != nullptr) *out = y;
  return data.grad();
}

}  // namespace

TEST_CASE("the regression outputs pass their prediction and give the loss's gradient per output", "[operators][heads]") {
  const NDArray data = nd::array({0.5, -1, 2, 0, 1, -2}, Shape{2, 3});
  const NDArray label = nd::array({1, 1, 1, 0, 0, 0}, Shape{2, 3});
  NDArray out;
  // (out - label) * grad_scale / 3 outputs per sample.
  NDArray grad = head_gradient(data, [&](const NDArray& x) {
    return nd::LinearRegressionOutput(x, label, {.grad_scale = 2});
  }, &out);
  check_array(out, {2, 3}, {0.5, -1, 2, 0, 1, -2});
  check_array(grad, {2, 3}, {-1.0 / 3, -4.0 / 3, 2.0 / 3, 0, 2.0 / 3, -4.0 / 3});

  grad = head_gradient(data, [&](const NDArray& x) { return nd::MAERegressionOutput(x, label); }, &out);
  check_array(out, {2, 3}, {0.5, -1, 2, 0, 1, -2});
  check_array(grad, {2, 3}, {-1.0 / 3, -1.0 / 3, 1.0 / 3, 0, 1.0 / 3, -1.0 / 3});

  const auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
  grad = head_gradient(data, [&](const NDArray& x) { return nd::LogisticRegressionOutput(x, label); }, &out);
  check_array(out, {2, 3}, {sigmoid(0.5), sigmoid(-1), sigmoid(2), 0.5, sigmoid(1), sigmoid(-2)});
  check_array(grad, {2, 3},
              {(sigmoid(0.5) - 1) / 3, (sigmoid(-1) - 1) / 3, (sigmoid(2) - 1) / 3, 0.5 / 3, sigmoid(1) / 3,
               sigmoid(-2) / 3});
}

TEST_CASE("a regression output takes labels (N,) for data (N, 1), and refuses labels that do not fit", "[operators][heads]") {
  const NDArray data = nd::array({1, 2, 3}, Shape{3, 1});
  const NDArray grad = head_gradient(data, [](const NDArray& x) {
    return nd::LinearRegressionOutput(x, nd::array({0, 4, 3}));  // int labels are converted
  });
  check_array(grad, {3, 1}, {1, -2, 0});
  CHECK_THROWS_WITH(nd::LinearRegressionOutput(data, nd::array({1, 2})),
                    Contains("LinearRegressionOutput") && Contains("(2,)") && Contains("(3, 1)"));
  CHECK_THROWS_WITH(nd::MAERegressionOutput(nd::ones({2, 3}), nd::ones({3, 2})), Contains("MAERegressionOutput"));
  CHECK_THROWS_AS(nd::LogisticRegressionOutput(nd::ones({2}, cpu(), DType::kInt32), nd::ones({2})), DTypeError);
}

TEST_CASE("MakeLoss's gradient is grad_scale, normalized by the batch or by the valid elements", "[operators][heads]") {
  const NDArray data = nd::array({0.5, -1, 2, 0, 3, -2}, Shape{3, 2});
  NDArray out;
  check_array(head_gradient(data, [](const NDArray& x) { return nd::MakeLoss(x, {.grad_scale = 3}); }, &out), {3, 2},
              {3, 3, 3, 3, 3, 3});
  check_array(out, {3, 2}, {0.5, -1, 2, 0, 3, -2});
  check_array(head_gradient(data, [](const NDArray& x) {
                return nd::MakeLoss(x, {.normalization = nd::LossNormalization::kBatch});
              }), {3, 2}, std::vector<double>(6, 1.0 / 3));
  // Three elements above 0.2: 0.5, 2 and 3.
  check_array(head_gradient(data, [](const NDArray& x) {
                return nd::MakeLoss(x, {.grad_scale = 6, .normalization = nd::LossNormalization::kValid, .valid_thresh = 0.2});
              }), {3, 2}, std::vector<double>(6, 2));
  // None above 10: divided by one, not zero.
  check_array(head_gradient(data, [](const NDArray& x) {
                return nd::MakeLoss(x, {.normalization = nd::LossNormalization::kValid, .valid_thresh = 10});
              }), {3, 2}, std::vector<double>(6, 1));
}

TEST_CASE("BlockGrad passes values and stops gradients", "[operators][heads]") {
  NDArray x = nd::array({1, -2, 3});
  x.attach_grad();
  NDArray y;
  {
    autograd::record r;
    y = (nd::BlockGrad(x) * x).sum();  // d/dx: the blocked factor, x
  }
  y.backward();
  check_array(y, {}, {14});
  check_array(x.grad(), {3}, {1, -2, 3});
}

TEST_CASE("symbol nodes make MXNet's variables for the inputs left out, and their shapes are inferred", "[operators][heads][symbol]") {
  const sym::Symbol data = sym::var("data");
  const sym::Symbol fc1 = sym::invoke("FullyConnected", {data}, {{"num_hidden", "4"}}, "fc1");
  const sym::Symbol fc2 = sym::invoke("FullyConnected", {fc1}, {{"num_hidden", "1"}, {"no_bias", "True"}}, "fc2");
  const sym::Symbol net = sym::invoke("LinearRegressionOutput", {fc2}, {}, "lro");
  CHECK(net.list_arguments() == std::vector<std::string>{"data", "fc1_weight", "fc1_bias", "fc2_weight", "lro_label"});
  const sym::InferredShapes shapes = net.infer_shape({{"data", Shape{5, 3}}});
  CHECK(shapes.arg_shapes == std::vector<Shape>{{5, 3}, {4, 3}, {4}, {1, 4}, {5}});
  CHECK(shapes.out_shapes == std::vector<Shape>{{5, 1}});

  const sym::Symbol softmax = sym::invoke("SoftmaxOutput", {fc1}, {{"normalization", "batch"}}, "softmax");
  CHECK(softmax.list_arguments().back() == "softmax_label");
  CHECK(softmax.infer_shape({{"data", Shape{5, 3}}}).arg_shapes.back() == Shape{5});
  // MXNet's defaults: a deconvolution has no bias, a leaky ReLU no gamma, an LSTM a cell state.
  CHECK(sym::invoke("Deconvolution", {data}, {{"kernel", "(2, 2)"}, {"num_filter", "2"}}, "de").list_arguments() ==
        std::vector<std::string>{"data", "de_weight"});
  CHECK(sym::invoke("LeakyReLU", {data}, {{"act_type", "prelu"}}, "p").list_arguments() ==
        std::vector<std::string>{"data", "p_gamma"});
  CHECK(sym::invoke("LeakyReLU", {data}, {}, "l").list_arguments() == std::vector<std::string>{"data"});

  // The heads' attributes survive the JSON, and BlockGrad's other name reads.
  const sym::Symbol loaded = sym::load_json(
      sym::invoke("MakeLoss", {sym::invoke("stop_gradient", {data}, {}, "sg")}, {{"grad_scale", "0.5"}, {"normalization", "valid"}}, "ml")
          .tojson());
  CHECK(loaded.tojson().find("\"grad_scale\": \"0.5\"") != std::string::npos);
  CHECK(sym::load_json(softmax.tojson()).tojson() == softmax.tojson());
  CHECK_THROWS_WITH(sym::invoke("SoftmaxOutput", {fc1}, {{"normalization", "valid"}}, "s").eval(
                        {{"data", nd::ones({2, 3})}, {"fc1_weight", nd::ones({4, 3})}, {"fc1_bias", nd::ones({4})},
                         {"s_label", nd::ones({2})}}),
                    Contains("SoftmaxOutput") && Contains("valid"));
}
