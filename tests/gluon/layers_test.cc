// Layers against hand-computed values, with weights set through set_data.
#include <catch2/catch.hpp>

#include <cmath>

#include <mx/mx.h>

#include "../autograd/gradient_check.h"
#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;
namespace nn = gluon::nn;

TEST_CASE("Dense computes activation(x W^T + b)", "[gluon][layers]") {
  nn::Dense dense(2, "relu", {.in_units = 3});
  dense.initialize();
  dense.weight().set_data(nd::array({1, 0, -1, 2, 1, 0}, Shape{2, 3}));
  dense.bias().set_data(nd::array({0.5, -10}));
  // x W^T: [1 - 3, 2 + 2] = [-2, 4]; + b = [-1.5, -6]; relu = [0, 0]. Second row: [0 - 1, 0 + 1] + b.
  check_array(dense(nd::array({1, 2, 3, 0, 1, 1}, Shape{2, 3})), {2, 2}, {0, 0, 0, 0});
  nn::Dense linear(1, {.use_bias = false, .in_units = 4});
  linear.initialize(init::One());
  check_array(linear(nd::arange(8).reshape({2, 2, 2})), {2, 1}, {6, 22});  // flattened rows summed
  nn::Dense per_step(1, {.use_bias = false, .flatten = false, .in_units = 2});
  per_step.initialize(init::One());
  check_array(per_step(nd::arange(8).reshape({2, 2, 2})), {2, 2, 1}, {1, 5, 9, 13});
  CHECK_THROWS_WITH(nn::Dense(0), Contains("Dense"));
  CHECK_THROWS_WITH(nn::Activation("swishy"), Contains("swishy"));
  CHECK_THROWS_WITH(nn::Dense(4, "rellu"), Contains("Dense") && Contains("rellu"));
  CHECK_THROWS_WITH(nn::Conv2D(4, {3}, {.activation = "tanhh"}), Contains("tanhh"));
}

TEST_CASE("activation layers", "[gluon][layers]") {
  const NDArray x = nd::array({-2, 0.5});
  check_array(nn::Activation("tanh")(x), {2}, {std::tanh(-2.0), std::tanh(0.5)});
  check_array(nn::LeakyReLU(0.1)(x), {2}, {-0.2, 0.5});
  check_array(nn::ELU(1.0)(x), {2}, {std::expm1(-2.0), 0.5});
  const double selu_scale = 1.0507009873554805, selu_alpha = 1.6732632423543772;
  check_array(nn::SELU()(x), {2}, {selu_scale * selu_alpha * std::expm1(-2.0), selu_scale * 0.5}, 1e-5);
  check_array(nn::GELU()(x), {2}, {-2 * 0.5 * std::erfc(2 / std::sqrt(2.0)), 0.5 * 0.5 * std::erfc(-0.5 / std::sqrt(2.0))}, 1e-5);
  check_array(nn::Swish(2)(x), {2}, {-2 / (1 + std::exp(4.0)), 0.5 / (1 + std::exp(-1.0))}, 1e-6);
  nn::PReLU prelu;
  prelu.initialize();
  check_array(prelu(nd::array({-4, 4}, Shape{1, 1, 2})), {1, 1, 2}, {-1, 4});
}

TEST_CASE("Dropout is the identity when predicting and drops in training", "[gluon][layers]") {
  nn::Dropout drop(0.5);
  const NDArray x = nd::ones({1000});
  check_array(drop(x), {1000}, std::vector<double>(1000, 1));
  NDArray trained;
  {
    autograd::train_mode t;
    trained = drop(x);
  }
  const std::vector<double> v = test::values(trained);
  const auto zeros = std::count(v.begin(), v.end(), 0.0);
  CHECK(zeros > 400);
  CHECK(zeros < 600);
  CHECK(std::count(v.begin(), v.end(), 2.0) == 1000 - zeros);
}

TEST_CASE("Flatten, Identity, Lambda, Embedding", "[gluon][layers]") {
  CHECK(nn::Flatten()(nd::ones({2, 3, 4})).shape() == Shape{2, 12});
  check_array(nn::Identity()(nd::array({1, 2})), {2}, {1, 2});
  check_array(nn::HybridLambda([](const NDArray& v) { return v * 3.0; })(nd::array({1, 2})), {2}, {3, 6});
  nn::Embedding embed(4, 2);
  embed.initialize();
  embed.weight().set_data(nd::arange(8).reshape({4, 2}));
  check_array(embed(nd::array({3, 0})), {2, 2}, {6, 7, 0, 1});
}

TEST_CASE("Conv2D, Conv2DTranspose and pooling layers", "[gluon][layers]") {
  nn::Conv2D conv(1, {2, 2});
  conv.initialize(init::One());
  const NDArray image = nd::arange(9).reshape({1, 1, 3, 3});
  // Each output sums a 2x2 window: 0+1+3+4, 1+2+4+5, 3+4+6+7, 4+5+7+8.
  check_array(conv(image), {1, 1, 2, 2}, {8, 12, 20, 24});
  CHECK(conv.weight().shape() == Shape{1, 1, 2, 2});
  nn::Conv2D strided(2, {3}, {.strides = {2}, .padding = {1}, .activation = "relu"});
  strided.initialize();
  CHECK(strided(nd::ones({2, 3, 5, 5})).shape() == Shape{2, 2, 3, 3});
  CHECK(strided.weight().shape() == Shape{2, 3, 3, 3});
  nn::Conv2DTranspose up(1, {2, 2}, {.strides = {2}});
  up.initialize(init::One());
  check_array(up(nd::array({1, 2, 3, 4}, Shape{1, 1, 2, 2})), {1, 1, 4, 4},
              {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  check_array(nn::MaxPool2D()(image.reshape({1, 1, 3, 3})), {1, 1, 1, 1}, {4});
  check_array(nn::MaxPool2D({2, 2}, {.ceil_mode = true})(image), {1, 1, 2, 2}, {4, 5, 7, 8});
  check_array(nn::AvgPool2D({3, 3})(image), {1, 1, 1, 1}, {4});
  check_array(nn::GlobalAvgPool2D()(image), {1, 1, 1, 1}, {4});
  check_array(nn::GlobalMaxPool2D()(image), {1, 1, 1, 1}, {8});
  nn::Conv1D conv1d(3, {3});
  conv1d.initialize();
  CHECK(conv1d(nd::ones({1, 2, 5})).shape() == Shape{1, 3, 3});
  CHECK_THROWS_WITH(conv(nd::ones({3, 3})), Contains("Conv2D") && Contains("(3, 3)"));
}

TEST_CASE("transposed convolutions and global pools over one and three spatial axes", "[gluon][layers]") {
  nn::Conv1DTranspose up1(1, {2}, {.strides = {2}});
  up1.initialize(init::One());
  // Each input spreads over two outputs: [1, 2] -> [1, 1, 2, 2]; bias 0.
  check_array(up1(nd::array({1, 2}, Shape{1, 1, 2})), {1, 1, 4}, {1, 1, 2, 2});
  CHECK(up1.weight().shape() == Shape{1, 1, 2});
  nn::Conv3DTranspose up3(2, {2, 2, 2}, {.strides = {2}, .bias_initializer = init::Constant(0.5)});
  up3.initialize(init::One());
  // One input value 3 spread over a 2x2x2 block in each of the two output channels, plus the bias.
  check_array(up3(nd::array({3}, Shape{1, 1, 1, 1, 1})), {1, 2, 2, 2, 2}, std::vector<double>(16, 3.5));
  CHECK(up3.weight().shape() == Shape{1, 2, 2, 2, 2});
  CHECK(up3.repr() == "Conv3DTranspose(1 -> 2, kernel_size=(2, 2, 2), stride=(2, 2, 2))");
  CHECK_THROWS_WITH(up1(nd::ones({1, 1, 2, 2})), Contains("Conv1DTranspose") && Contains("(1, 1, 2, 2)"));
  const NDArray x1 = nd::array({1, -2, 5, 0}, Shape{1, 2, 2});
  check_array(nn::GlobalMaxPool1D()(x1), {1, 2, 1}, {1, 5});
  check_array(nn::GlobalAvgPool1D()(x1), {1, 2, 1}, {-0.5, 2.5});
  const NDArray x3 = nd::arange(8).reshape({1, 1, 2, 2, 2});
  check_array(nn::GlobalMaxPool3D()(x3), {1, 1, 1, 1, 1}, {7});
  check_array(nn::GlobalAvgPool3D()(x3), {1, 1, 1, 1, 1}, {3.5});
}

TEST_CASE("ReflectionPad2D mirrors rows and columns about the edges", "[gluon][layers]") {
  nn::ReflectionPad2D pad(1);
  // [[0 1 2] [3 4 5] [6 7 8]] with one mirrored row and column on each side.
  check_array(pad(nd::arange(9).reshape({1, 1, 3, 3})), {1, 1, 5, 5},
              {4, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4, 7, 6, 7, 8, 7, 4, 3, 4, 5, 4});
  CHECK(pad.repr() == "ReflectionPad2D(padding=1)");
  CHECK_THROWS_WITH(pad(nd::ones({3, 3})), Contains("ReflectionPad2D") && Contains("(3, 3)"));
  CHECK_THROWS_WITH(nn::ReflectionPad2D(-1), Contains("ReflectionPad2D"));
}

TEST_CASE("GroupNorm normalizes each group of channels and scales it per group", "[gluon][layers]") {
  nn::GroupNorm norm({.num_groups = 2, .epsilon = 0});
  norm.initialize();
  auto params = norm.collect_params();
  CHECK(params["gamma"].shape() == Shape{2});
  params["gamma"].set_data(nd::array({1, 2}));
  params["beta"].set_data(nd::array({0, 10}));
  // Channels (0, 1) and (2, 3) of one sample, two values each. Group 0: 1, 3, 5, 7, mean 4, variance 5;
  // group 1: 0, 0, 2, 2, mean 1, variance 1, then 2 (x - 1) + 10.
  const NDArray x = nd::array({1, 3, 5, 7, 0, 0, 2, 2}, Shape{1, 4, 2});
  const double s = std::sqrt(5.0);
  check_array(norm(x), {1, 4, 2}, {-3 / s, -1 / s, 1 / s, 3 / s, 8, 8, 12, 12}, 1e-5);
  CHECK_THROWS_WITH(norm(nd::ones({1, 3, 2})), Contains("GroupNorm") && Contains("(1, 3, 2)"));
  CHECK_THROWS_WITH(nn::GroupNorm({.num_groups = 0}), Contains("GroupNorm"));
}

TEST_CASE("BatchNorm uses batch statistics in training and running ones when predicting", "[gluon][layers]") {
  nn::BatchNorm bn({.momentum = 0.5, .epsilon = 0});
  bn.initialize();
  const NDArray x = nd::array({1, 3, 10, 30}, Shape{2, 2});  // channel 0: 1, 10; channel 1: 3, 30
  NDArray trained;
  {
    autograd::record r;
    trained = bn(x);
  }
  check_array(trained, {2, 2}, {-1, -1, 1, 1}, 1e-5);
  // running = 0.5 * initial + 0.5 * batch: means 5.5 / 2 and 16.5 / 2; variances (1 + 20.25) / 2, (1 + 182.25) / 2.
  const auto params = bn.collect_params();
  gluon::ParameterDict dict = params;
  check_array(dict["running_mean"].data(), {2}, {2.75, 8.25}, 1e-5);
  check_array(dict["running_var"].data(), {2}, {10.625, 91.625}, 1e-5);
  check_array(bn(x), {2, 2}, {(1 - 2.75) / std::sqrt(10.625), (3 - 8.25) / std::sqrt(91.625),
                              (10 - 2.75) / std::sqrt(10.625), (30 - 8.25) / std::sqrt(91.625)}, 1e-5);
  CHECK(dict["running_mean"].grad_req() == GradReq::kNull);
}

TEST_CASE("LayerNorm and InstanceNorm learn their channel counts", "[gluon][layers]") {
  nn::LayerNorm ln({.epsilon = 0});
  ln.initialize();
  check_array(ln(nd::array({1, 3, 2, 6}, Shape{2, 2})), {2, 2}, {-1, 1, -1, 1}, 1e-5);
  nn::InstanceNorm in_norm({.axis = 1, .epsilon = 0});
  in_norm.initialize();
  check_array(in_norm(nd::array({1, 3, 5, 9}, Shape{1, 2, 2})), {1, 2, 2}, {-1, 1, -1, 1}, 1e-5);
}

TEST_CASE("Concurrent and HybridConcurrent concatenate their children's outputs", "[gluon][layers]") {
  nn::HybridConcurrent branches(1);
  branches.add(nn::Dense(2, {.weight_initializer = init::One(), .in_units = 3}),
               nn::Dense(1, {.weight_initializer = init::Constant(2), .in_units = 3}));
  branches.initialize();
  const NDArray x = nd::array({1, 2, 3, 0, 1, 0}, Shape{2, 3});
  check_array(branches(x), {2, 3}, {6, 6, 12, 1, 1, 2});  // row sums, then twice the row sums
  nn::Concurrent along_last;  // axis -1: the last axis
  along_last.add(nn::Identity(), nn::Identity());
  check_array(along_last(x), {2, 6}, {1, 2, 3, 1, 2, 3, 0, 1, 0, 0, 1, 0});
  CHECK_THROWS_WITH(nn::Concurrent()(x), Contains("no children"));
}

TEST_CASE("PixelShuffle1D, 2D and 3D move channel blocks into pixels as MXNet's", "[gluon][layers]") {
  namespace cnn = gluon::contrib::nn;
  // 1D: channel 2c + i goes to offset i of each output pair.
  const NDArray line = nd::array({0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}, Shape{1, 4, 3});
  check_array(cnn::PixelShuffle1D(2)(line), {1, 2, 6}, {0, 10, 1, 11, 2, 12, 20, 30, 21, 31, 22, 32});
  // 2D: channel 4c + 2i + j to offset (i, j); against depth_to_space's order, 4i + 2j + c.
  const NDArray eight = nd::arange(8).reshape({1, 8, 1, 1});
  check_array(cnn::PixelShuffle2D(2)(eight), {1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  check_array(nd::depth_to_space(eight, 2), {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
  check_array(nd::space_to_depth(nd::depth_to_space(eight, 2), 2), {1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7});
  // Unequal factors: (1, 2) doubles the width alone.
  const NDArray tall = nd::array({1, 2, 3, 4}, Shape{1, 2, 2, 1});
  check_array(cnn::PixelShuffle2D({1, 2})(tall), {1, 1, 2, 2}, {1, 3, 2, 4});
  check_array(cnn::PixelShuffle3D(2)(eight.reshape({1, 8, 1, 1, 1})), {1, 1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  // Hybridized: the same values, and the symbol form exports and runs back.
  cnn::PixelShuffle2D shuffle(2);
  const NDArray x = nd::random::uniform(-1, 1, {2, 12, 3, 2});
  const NDArray imperative = shuffle(x);
  shuffle.hybridize();
  check_array(shuffle(x), {2, 3, 6, 4}, imperative.asnumpy<double>());
  CHECK(shuffle.repr() == "PixelShuffle2D(2, 2)");
  CHECK_THROWS_WITH(cnn::PixelShuffle2D(3)(nd::ones({1, 8, 2, 2})), Contains("PixelShuffle2D(3, 3)") && Contains("(1, 8, 2, 2)"));
  CHECK_THROWS_WITH(cnn::PixelShuffle3D({2, 2}), Contains("PixelShuffle3D") && Contains("3 factors"));
  CHECK_THROWS_WITH(nd::depth_to_space(nd::ones({1, 3, 2, 2}), 2), Contains("depth_to_space") && Contains("(1, 3, 2, 2)"));
  CHECK_THROWS_WITH(nd::space_to_depth(nd::ones({1, 1, 3, 2}), 2), Contains("space_to_depth") && Contains("(1, 1, 3, 2)"));
  const std::vector<NDArray> by_name = op::call_symbol_op("depth_to_space", {{"block_size", "2"}}, std::vector<NDArray>{eight});
  check_array(by_name.at(0), {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
  using In = const std::vector<NDArray>&;
  test::check_gradient({[](In in) { return nd::depth_to_space(in[0], 2) * nd::arange(32, {}, 1, 1, cpu(), DType::kFloat64).reshape({2, 1, 4, 4}); },
                        {{2, 4, 2, 2}}});
  test::check_gradient({[](In in) { return nd::space_to_depth(in[0], 2); }, {{1, 2, 4, 2}}});
}

TEST_CASE("UpSampling repeats each pixel over scale x scale, joining several inputs as MXNet's", "[gluon][layers]") {
  const NDArray x = nd::array({1, 2, 3, 4}, Shape{1, 1, 2, 2});
  check_array(nd::UpSampling(x, 2), {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // A second input half the size is scaled by 4 to the first's output, then joined or added.
  const NDArray small = nd::array({10}, Shape{1, 1, 1, 1});
  const NDArray joined = nd::UpSampling({x, small}, 2);
  CHECK(joined.shape() == Shape{1, 2, 4, 4});
  CHECK(test::values(joined)[16] == 10);
  check_array(nd::UpSampling({x, small}, 2, "sum"), {1, 1, 4, 4}, {11, 11, 12, 12, 11, 11, 12, 12, 13, 13, 14, 14, 13, 13, 14, 14});
  const NDArray by_name = op::call_symbol_op("UpSampling", {{"scale", "2"}, {"sample_type", "nearest"}, {"num_args", "1"}},
                                             std::vector<NDArray>{x}).at(0);
  check_array(by_name, {1, 1, 4, 4}, test::values(nd::UpSampling(x, 2)));
  using In = const std::vector<NDArray>&;
  test::check_gradient({[](In in) { return nd::UpSampling({in[0], in[1]}, 3, "sum") * nd::arange(36, {}, 1, 1, cpu(), DType::kFloat64).reshape({1, 1, 6, 6}); },
                        {{1, 1, 2, 2}, {1, 1, 3, 3}}});
  CHECK_THROWS_WITH(nd::UpSampling({x, nd::ones({1, 1, 3, 3})}, 2), Contains("UpSampling") && Contains("(1, 1, 3, 3)"));
  CHECK_THROWS_WITH(op::call_symbol_op("UpSampling", {{"scale", "2"}, {"sample_type", "bilinear"}}, std::vector<NDArray>{x}),
                    Contains("UpSampling") && Contains("bilinear takes data and weight"));
  CHECK_THROWS_WITH(nd::UpSampling(nd::ones({2, 2}), 2), Contains("UpSampling") && Contains("(N, C, H, W)"));
}

TEST_CASE("UpSampling bilinear is a per-channel transposed convolution by init::Bilinear's filter", "[gluon][layers]") {
  // init::Bilinear for scale 2 (kernel 4): f = 2, c = 0.75, so each axis weighs 0.25, 0.75, 0.75, 0.25.
  NDArray weight = nd::zeros({2, 1, 4, 4}, cpu(), DType::kFloat64);
  init::Bilinear().init_weight("up_weight", weight);
  const std::vector<double> axis = {0.25, 0.75, 0.75, 0.25};
  const std::vector<double> w = test::values(weight);
  for (int i = 0; i < 32; ++i) CHECK(w[static_cast<std::size_t>(i)] == Approx(axis[(i / 4) % 4] * axis[i % 4]));
  // Against the transposed convolution written out: out[y][x] = sum in[i][j] k[y + 1 - 2i][x + 1 - 2j].
  random::seed(2);
  const NDArray x = nd::random::uniform(-1, 1, {1, 2, 3, 3}, cpu(), DType::kFloat64);
  const NDArray y = nd::UpSamplingBilinear(x, weight, 2);
  REQUIRE(y.shape() == Shape{1, 2, 6, 6});
  const std::vector<double> in = test::values(x), out = test::values(y);
  for (int c = 0; c < 2; ++c) {
    for (int oy = 0; oy < 6; ++oy) {
      for (int ox = 0; ox < 6; ++ox) {
        double expected = 0;
        for (int i = 0; i < 3; ++i) {
          for (int j = 0; j < 3; ++j) {
            const int ky = oy + 1 - 2 * i, kx = ox + 1 - 2 * j;
            if (ky >= 0 && ky < 4 && kx >= 0 && kx < 4) expected += in[static_cast<std::size_t>(c * 9 + i * 3 + j)] * axis[ky] * axis[kx];
          }
        }
        CHECK(out[static_cast<std::size_t>(c * 36 + oy * 6 + ox)] == Approx(expected).margin(1e-12));
      }
    }
  }
  // Inside the border a constant stays constant; between two pixels it interpolates.
  const NDArray ones = nd::UpSamplingBilinear(nd::ones({1, 2, 3, 3}, cpu(), DType::kFloat64), weight, 2);
  CHECK(test::values(ones)[7] == Approx(1.0));
  const NDArray ramp = nd::UpSamplingBilinear(nd::array({0.0, 4.0}, Shape{1, 1, 1, 2}, cpu(), DType::kFloat64),
                                              weight.slice(0, 1), 2);
  CHECK(test::values(ramp)[1] == Approx(0.75 * 0 * 0.75 + 0.25 * 4 * 0.75));  // a quarter of the way, times the row's 0.75
  // By name from MXNet's symbol attributes, and errors.
  const NDArray by_name = op::call_symbol_op("UpSampling", {{"scale", "2"}, {"sample_type", "bilinear"}, {"num_filter", "2"},
                                                            {"num_args", "2"}}, std::vector<NDArray>{x, weight}).at(0);
  CHECK(test::values(by_name) == out);
  CHECK_THROWS_WITH(nd::UpSamplingBilinear(x, nd::zeros({2, 1, 3, 3}, cpu(), DType::kFloat64), 2),
                    Contains("UpSampling") && Contains("(2, 1, 4, 4)"));
  NDArray flat = x.reshape({2, 9});
  CHECK_THROWS_WITH(init::Bilinear().init_weight("w", flat), Contains("Bilinear") && Contains("'w'"));
}

TEST_CASE("AdaptiveAvgPooling2D averages overlapping bins of the image, and differentiates", "[gluon][layers]") {
  // x[r][c] = 5 r + c over 3 x 5. Rows of output 0 and 1: {0, 1} and {1, 2}; columns of outputs 0, 1, 2: {0, 1},
  // {1, 2, 3}, {3, 4}.
  const NDArray x = nd::arange(15).reshape({1, 1, 3, 5});
  check_array(nd::contrib::AdaptiveAvgPooling2D(x, {2, 3}), {1, 1, 2, 3}, {3, 4.5, 6, 8, 9.5, 11});
  check_array(nd::contrib::AdaptiveAvgPooling2D(x), {1, 1, 1, 1}, {7});
  check_array(nd::contrib::AdaptiveAvgPooling2D(x, {3}), {1, 1, 3, 3}, {0.5, 2, 3.5, 5.5, 7, 8.5, 10.5, 12, 13.5});
  const NDArray by_name = op::call_symbol_op("_contrib_AdaptiveAvgPooling2D", {{"output_size", "(2, 3)"}},
                                             std::vector<NDArray>{x}).at(0);
  check_array(by_name, {1, 1, 2, 3}, {3, 4.5, 6, 8, 9.5, 11});
  using In = const std::vector<NDArray>&;
  test::check_gradient({[](In in) {
                          return nd::contrib::AdaptiveAvgPooling2D(in[0], {2, 3}) *
                                 nd::arange(24, {}, 1, 1, cpu(), DType::kFloat64).reshape({2, 2, 2, 3});
                        },
                        {{2, 2, 3, 5}}});
  CHECK_THROWS_WITH(nd::contrib::AdaptiveAvgPooling2D(nd::ones({2, 2})), Contains("AdaptiveAvgPooling2D") && Contains("(2, 2)"));
  CHECK_THROWS_WITH(nd::contrib::AdaptiveAvgPooling2D(x, {0, 2}), Contains("AdaptiveAvgPooling2D") && Contains("positive"));
}

TEST_CASE("BilinearResize2D interpolates with corners or pixel areas aligned, and differentiates",
          "[gluon][layers]") {
  const NDArray x = nd::array({1, 2, 3, 4}, Shape{1, 1, 2, 2});
  // Corners aligned (MXNet's default): the new pixels halfway between the old ones.
  check_array(nd::contrib::BilinearResize2D(x, 3, 3), {1, 1, 3, 3}, {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
  // Areas aligned (PyTorch's align_corners=False): sources at 0, 0.25, 0.75 and 1.25 (clamped to 1).
  check_array(nd::contrib::BilinearResize2D(x, 4, 4, false), {1, 1, 4, 4},
              {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
  // Down to the corners, on several images and channels at once.
  const NDArray grid = nd::arange(32).reshape({2, 1, 4, 4});
  check_array(nd::contrib::BilinearResize2D(grid, 2, 2), {2, 1, 2, 2}, {0, 3, 12, 15, 16, 19, 28, 31});
  const NDArray by_name = op::call_symbol_op("_contrib_BilinearResize2D", {{"scale_height", "1.5"}, {"scale_width", "1.5"}},
                                             std::vector<NDArray>{x}).at(0);
  check_array(by_name, {1, 1, 3, 3}, {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
  using In = const std::vector<NDArray>&;
  test::check_gradient({[](In in) { return nd::contrib::BilinearResize2D(in[0], 5, 3) * nd::arange(30, {}, 1, 1, cpu(), DType::kFloat64).reshape({2, 1, 5, 3}); },
                        {{2, 1, 3, 4}}});
  test::check_gradient({[](In in) { return nd::contrib::BilinearResize2D(in[0], 2, 5, false); }, {{1, 2, 3, 2}}});
  CHECK_THROWS_WITH(nd::contrib::BilinearResize2D(nd::ones({2, 2}), 3, 3), Contains("BilinearResize2D") && Contains("(2, 2)"));
  CHECK_THROWS_WITH(nd::contrib::BilinearResize2D(x, 0, 3), Contains("BilinearResize2D") && Contains("positive"));
  CHECK_THROWS_WITH(nd::contrib::BilinearResize2D(x, std::int64_t{1} << 40, 3), Contains("BilinearResize2D") && Contains("too large"));
  CHECK_THROWS_WITH(op::call_symbol_op("_contrib_BilinearResize2D", {{"mode", "like"}}, std::vector<NDArray>{x}),
                    Contains("mode") && Contains("like"));
}
