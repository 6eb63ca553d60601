// Mixed precision: the operator classes (products in the target dtype, accuracy-sensitive operators in float32,
// arithmetic in the widest input dtype), gradients back to float32 parameters, converted blocks, and the dynamic
// loss scaler's skip-and-lower on overflow. Values are chosen exact in bfloat16, so products are hand-computed.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace nn = gluon::nn;

namespace {

// y = x * w, elementwise, with one parameter.
struct Scale : gluon::HybridBlock {
  gluon::Parameter w = register_parameter(gluon::Parameter("w", {2}));
  Scale() : HybridBlock("scale") {}
  NDArray forward(const NDArray& x) override { return x * w.data(x.context()); }
};

}  // namespace

TEST_CASE("amp: products run in the target dtype, sensitive operators in float32, mixes in the widest", "[amp]") {
  const NDArray a = nd::array({1, 2, 3, 4}, Shape{2, 2}), b = nd::array({0.5, -1, 2, 0.25}, Shape{2, 2});
  CHECK(nd::dot(a, b).dtype() == DType::kFloat32);  // off by default
  amp::scope on(DType::kBFloat16);
  const NDArray product = nd::dot(a, b);
  CHECK(product.dtype() == DType::kBFloat16);
  test::check_array(product, Shape{2, 2}, {4.5, -0.5, 9.5, -2});
  CHECK(nd::FullyConnected(a, b, std::nullopt, 2).dtype() == DType::kBFloat16);
  CHECK(nd::softmax(product).dtype() == DType::kFloat32);
  CHECK(nd::sum(product).dtype() == DType::kFloat32);
  CHECK((product + a).dtype() == DType::kFloat32);          // widest of bfloat16 and float32
  CHECK((product + product).dtype() == DType::kBFloat16);   // nothing to widen
  CHECK(nd::relu(a).dtype() == DType::kFloat32);            // follows its input
  CHECK(nd::relu(product).dtype() == DType::kBFloat16);
  const NDArray wide = nd::array({1, 2}, Shape{1, 2}, cpu(), DType::kFloat64);
  CHECK(nd::dot(wide, wide, false, true).dtype() == DType::kFloat64);  // float64 is never narrowed
  {
    amp::scope off(std::nullopt);
    CHECK(nd::dot(a, b).dtype() == DType::kFloat32);
  }
  const auto targets = amp::list_ops(amp::OpClass::kTarget);
  CHECK(std::find(targets.begin(), targets.end(), "FullyConnected") != targets.end());
  CHECK(amp::op_class("softmax") == amp::OpClass::kFloat32);
  CHECK_THROWS_WITH(amp::init(DType::kInt32), Contains("float16 or bfloat16"));
}

TEST_CASE("amp: gradients reach float32 parameters in float32", "[amp]") {
  NDArray x = nd::array({1, 2, 3, 4}, Shape{2, 2});
  x.attach_grad();
  const NDArray w = nd::array({0.5, -1, 2, 0.25}, Shape{2, 2});
  {
    amp::scope on(DType::kBFloat16);
    autograd::record r;
    nd::sum(nd::dot(x, w)).backward();
  }
  CHECK(x.grad().dtype() == DType::kFloat32);
  test::check_array(x.grad(), Shape{2, 2}, {-0.5, 2.25, -0.5, 2.25});  // each row: w's row sums
}

TEST_CASE("amp: convert_hybrid_block runs a block's operators in the target dtype, hybridized alike", "[amp]") {
  nn::HybridSequential net;
  net.add(nn::Dense(8, "relu"), nn::Dense(3));
  net.initialize(init::Xavier());
  const NDArray x = nd::random::uniform(-1, 1, Shape{4, 5});
  const std::vector<double> full = net(x).asnumpy<double>();
  amp::convert_hybrid_block(net, DType::kBFloat16);
  const NDArray mixed = net(x);
  CHECK(mixed.dtype() == DType::kBFloat16);
  for (const auto& [name, p] : net.collect_params()) CHECK(p.data().dtype() == DType::kFloat32);
  const std::vector<double> got = mixed.asnumpy<double>();
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(full[i]).epsilon(0.03).margin(0.03));
  net.hybridize();
  const NDArray traced = net(x);
  CHECK(traced.dtype() == DType::kBFloat16);
  test::check_array(traced, mixed.shape(), got, 1e-6);
  CHECK_THROWS_WITH(amp::convert_hybrid_block(net, DType::kFloat64), Contains("float16 or bfloat16"));
}

TEST_CASE("amp: the loss scaler unscales gradients, skips a step on overflow and lowers its scale", "[amp]") {
  Scale net;
  net.initialize(init::Constant(1.0));
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
  CHECK_THROWS_WITH(amp::scale_loss(nd::ones({1}), trainer), Contains("amp::init_trainer"));
  amp::init_trainer(trainer, {.init_scale = 1024, .factor = 2, .window = 2});
  const NDArray x = nd::array({2, -4}, Shape{2});
  auto step = [&] {
    NDArray loss;
    {
      autograd::record r;
      loss = amp::scale_loss(nd::sum(net(x)), trainer);
    }
    loss.backward();
  };
  step();
  test::check_array(net.w.grad(), Shape{2}, {2048, -4096});  // scaled by 1024
  trainer.step(1);
  test::check_array(net.w.data(), Shape{2}, {1 - 0.2, 1 + 0.4});  // the update saw the unscaled gradient
  CHECK(trainer.loss_scaler()->scale() == 1024);
  // An overflow: the step is skipped, the scale halves.
  step();
  NDArray grad = net.w.grad();
  nd::full({2}, std::numeric_limits<double>::infinity()).copyto(grad);
  trainer.step(1);
  test::check_array(net.w.data(), Shape{2}, {0.8, 1.4});  // unchanged
  CHECK(trainer.loss_scaler()->scale() == 512);
  CHECK(trainer.loss_scaler()->skipped_steps() == 1);
  // Two clean steps (the window) double it again; each update is unscaled by the scale its loss was scaled by.
  step();
  test::check_array(net.w.grad(), Shape{2}, {1024, -2048});
  trainer.step(1);
  test::check_array(net.w.data(), Shape{2}, {0.6, 1.8});
  CHECK(trainer.loss_scaler()->scale() == 512);
  step();
  trainer.step(1);
  test::check_array(net.w.data(), Shape{2}, {0.4, 2.2}, 1e-5);
  CHECK(trainer.loss_scaler()->scale() == 1024);
}
