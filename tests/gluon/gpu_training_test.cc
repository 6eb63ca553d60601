// Training on the GPU: the seed tutorial's MLP on Fashion-MNIST reaches the CPU's accuracy from the same start on
// the same batches; split_and_load over two logical contexts on the one GPU equals the whole batch at once.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include <mx/mx.h>

using namespace mx;
namespace nn = gluon::nn;

namespace {

// Images as normalized float32 rows (N, 784) and labels as float32, both on `ctx`.
std::pair<NDArray, NDArray> fashion_mnist(const std::string& root, bool train, Context ctx) {
  const gluon::data::vision::FashionMNIST data(root, train);
  const std::int64_t n = data.images().shape()[0];
  const NDArray x = (data.images().astype(DType::kFloat32) / 255.0 - 0.13) / 0.31;
  return {x.reshape({n, 784}).as_in_context(ctx), data.labels().astype(DType::kFloat32).as_in_context(ctx)};
}

std::unique_ptr<nn::Sequential> seed_mlp(Context ctx, const nn::Sequential* start) {
  auto net = std::make_unique<nn::Sequential>();
  net->add(nn::Dense(256, "relu"), nn::Dense(10));
  random::seed(3);
  net->initialize(init::Xavier(), {ctx});
  (*net)(nd::zeros({1, 784}, ctx));
  if (start != nullptr) {  // the same initial values as `start`
    auto from = start->collect_params();
    for (const auto& [name, parameter] : net->collect_params()) {
      gluon::Parameter target = parameter;  // a handle on the same parameter
      target.set_data(from[name].data());
    }
  }
  return net;
}

// Two epochs of SGD in the seed's order (no shuffle: both devices see the same batches); the test accuracy.
double train_and_test(nn::Sequential& net, Context ctx, const std::string& root) {
  const auto [x, y] = fashion_mnist(root, true, ctx);
  const auto [test_x, test_y] = fashion_mnist(root, false, ctx);
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
  constexpr std::int64_t kBatch = 128;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (std::int64_t i = 0; i + kBatch <= x.shape()[0]; i += kBatch) {
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn(net(x.slice(i, i + kBatch)), y.slice(i, i + kBatch));
      }
      loss.backward();
      trainer.step(kBatch);
    }
  }
  metric::Accuracy accuracy;
  accuracy.update(test_y, net(test_x));
  return accuracy.get().second;
}

}  // namespace

TEST_CASE("the seed MLP trained on the GPU reaches the CPU's accuracy", "[gpu][training]") {
  const char* env = std::getenv("MX_FASHION_MNIST");
  const std::string root = env != nullptr ? env : "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(root + "/train-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST is not in " << root << " (set MX_FASHION_MNIST): skipped");
    return;
  }
  auto on_cpu = seed_mlp(cpu(), nullptr);
  auto on_gpu = seed_mlp(gpu(0), on_cpu.get());
  auto cpu_params = on_cpu->collect_params();
  for (auto& [name, parameter] : on_gpu->collect_params()) {
    CHECK(parameter.data().asnumpy<float>() == cpu_params[name].data().asnumpy<float>());
  }
  const double cpu_accuracy = train_and_test(*on_cpu, cpu(), root);
  const double gpu_accuracy = train_and_test(*on_gpu, gpu(0), root);
  std::printf("seed MLP, 2 epochs: test accuracy %.4f on cpu(0), %.4f on gpu(0)\n", cpu_accuracy, gpu_accuracy);
  CHECK(gpu_accuracy > 0.8);
  CHECK(gpu_accuracy == Approx(cpu_accuracy).margin(0.01));
}

TEST_CASE("a small CNN steps on the GPU as on the CPU, hybridized or not", "[gpu][training]") {
  const NDArray x = nd::random::uniform(-1, 1, {8, 3, 12, 12});
  const NDArray y = nd::array(std::vector<float>{0, 1, 2, 3, 3, 2, 1, 0});
  auto make = [](Context ctx) {
    auto net = std::make_unique<nn::HybridSequential>();
    net->add(nn::Conv2D(8, {3, 3}, {.padding = {1, 1}}), nn::BatchNorm(), nn::Activation("relu"), nn::MaxPool2D(),
             nn::Conv2D(8, {3, 3}, {.strides = {2, 2}}), nn::GlobalAvgPool2D(), nn::Dense(4));
    random::seed(11);
    net->initialize(init::Xavier(), {cpu()});
    (*net)(nd::zeros({1, 3, 12, 12}));
    if (ctx != cpu()) net->collect_params().reset_ctx({ctx});
    return net;
  };
  for (bool hybridized : {false, true}) {
    INFO("hybridized " << hybridized);
    auto on_cpu = make(cpu()), on_gpu = make(gpu(0));
    if (hybridized) on_cpu->hybridize(), on_gpu->hybridize();
    for (auto [net, ctx] : {std::pair{on_cpu.get(), cpu()}, std::pair{on_gpu.get(), gpu(0)}}) {
      gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
      gluon::Trainer trainer(net->collect_params(), "sgd", {{"learning_rate", 0.1}, {"momentum", 0.9}});
      for (int step = 0; step < 2; ++step) {
        NDArray loss;
        {
          autograd::record r;
          loss = loss_fn((*net)(x.as_in_context(ctx)), y.as_in_context(ctx));
        }
        loss.backward();
        trainer.step(8);
      }
    }
    auto expected = on_cpu->collect_params();
    for (const auto& [name, parameter] : on_gpu->collect_params()) {
      INFO(name);
      CHECK(parameter.data().context() == gpu(0));
      const std::vector<float> got = parameter.data().asnumpy<float>(), want = expected[name].data().asnumpy<float>();
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-4).epsilon(1e-3));
    }
  }
}

TEST_CASE("split_and_load over two logical contexts on one GPU equals the whole batch", "[gpu][training]") {
  const NDArray x = nd::random::uniform(-1, 1, {8, 5}, gpu(0));
  const NDArray y = nd::array(std::vector<float>{0, 1, 2, 1, 0, 2, 2, 1}, Shape{8}, gpu(0));
  auto make = [] {
    auto net = std::make_unique<nn::Sequential>();
    net->add(nn::Dense(6, "relu"), nn::Dense(3));
    random::seed(9);
    net->initialize(init::Xavier(), {gpu(0)});
    (*net)(nd::zeros({1, 5}, gpu(0)));
    return net;
  };
  auto whole = make(), split = make();
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer whole_trainer(whole->collect_params(), "sgd", {{"learning_rate", 0.5}, {"momentum", 0.9}});
  gluon::Trainer split_trainer(split->collect_params(), "sgd", {{"learning_rate", 0.5}, {"momentum", 0.9}});
  for (int step = 0; step < 3; ++step) {
    NDArray loss;
    {
      autograd::record r;
      loss = loss_fn((*whole)(x), y);
    }
    loss.backward();
    whole_trainer.step(8);
    const auto xs = gluon::utils::split_and_load(x, {gpu(0), gpu(0)});
    const auto ys = gluon::utils::split_and_load(y, {gpu(0), gpu(0)});
    REQUIRE(xs.size() == 2);
    CHECK(xs[1].context() == gpu(0));
    std::vector<NDArray> losses;
    {
      autograd::record r;
      for (std::size_t i = 0; i < xs.size(); ++i) losses.push_back(loss_fn((*split)(xs[i]), ys[i]));
    }
    autograd::backward(losses);
    split_trainer.step(8);
  }
  auto expected = whole->collect_params();
  for (auto& [name, parameter] : split->collect_params()) {
    INFO(name);
    const std::vector<float> got = parameter.data().asnumpy<float>(), want = expected[name].data().asnumpy<float>();
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6).epsilon(1e-5));
  }
}
