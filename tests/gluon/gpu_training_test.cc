// Training on the GPU: the seed tutorial's MLP on Fashion-MNIST reaches the CPU's accuracy from the same start on
// the same batches; a CNN and recurrent layers step as on the CPU, the fused RNN and sequence operators compute
// as there; split_and_load over two logical contexts on the one GPU equals the whole batch at once; SyncBatchNorm
// across the GPU and the CPU computes as across two CPU contexts; mixed precision in float16 and bfloat16.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

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

// A few training steps of each network on its context, from the same start: the GPU's parameters must end
// where the CPU's do.
void step_both_and_compare(nn::HybridSequential& on_cpu, nn::HybridSequential& on_gpu, const NDArray& x, const NDArray& y,
                           const std::string& optimizer, const std::map<std::string, double>& options, int steps) {
  for (auto [net, ctx] : {std::pair{&on_cpu, cpu()}, std::pair{&on_gpu, gpu(0)}}) {
    gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
    gluon::Trainer trainer(net->collect_params(), optimizer, options);
    for (int step = 0; step < steps; ++step) {
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn((*net)(x.as_in_context(ctx)), y.as_in_context(ctx));
      }
      loss.backward();
      trainer.step(static_cast<int>(x.shape()[0]));
    }
  }
  auto expected = on_cpu.collect_params();
  for (const auto& [name, parameter] : on_gpu.collect_params()) {
    INFO(name);
    CHECK(parameter.data().context() == gpu(0));
    const std::vector<float> got = parameter.data().asnumpy<float>(), want = expected[name].data().asnumpy<float>();
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-4).epsilon(1e-3));
  }
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
    step_both_and_compare(*on_cpu, *on_gpu, x, y, "sgd", {{"learning_rate", 0.1}, {"momentum", 0.9}}, 2);
  }
}

TEST_CASE("recurrent layers step on the GPU as on the CPU", "[gpu][training][rnn]") {
  const NDArray x = nd::random::uniform(-1, 1, {4, 6, 5});  // (N, T, C)
  const NDArray y = nd::array(std::vector<float>{0, 1, 2, 1});
  auto make = [](Context ctx) {
    auto net = std::make_unique<nn::HybridSequential>();
    net->add(gluon::rnn::LSTM(8, {.num_layers = 2, .layout = "NTC", .bidirectional = true}),
             gluon::rnn::GRU(4, {.layout = "NTC"}), nn::Dense(3));
    random::seed(12);
    net->initialize(init::Xavier(), {cpu()});
    (*net)(nd::zeros({1, 6, 5}));
    if (ctx != cpu()) net->collect_params().reset_ctx({ctx});
    return net;
  };
  auto on_cpu = make(cpu()), on_gpu = make(gpu(0));
  step_both_and_compare(*on_cpu, *on_gpu, x, y, "adam", {{"learning_rate", 0.01}}, 3);
}

TEST_CASE("the fused RNN operator and the sequence operators give the CPU's values and gradients on the GPU",
          "[gpu][rnn]") {
  // A projected, clipped, bidirectional two-layer LSTM over sequences of lengths 4, 1 and 3, then SequenceLast
  // and SequenceReverse of its output: values and every input's gradient against the CPU's.
  const nd::RNNOptions options{.state_size = 5, .num_layers = 2, .bidirectional = true, .mode = "lstm",
                               .state_outputs = true, .lstm_state_clip_min = -0.5, .lstm_state_clip_max = 0.5,
                               .projection_size = 3};
  random::seed(21);
  const std::vector<NDArray> host = {nd::random::uniform(-1, 1, {4, 3, 6}),
                                     nd::random::uniform(-0.5, 0.5, {nd::rnn_param_size(options, 6)}),
                                     nd::random::uniform(-1, 1, {4, 3, 3}), nd::random::uniform(-1, 1, {4, 3, 5})};
  const NDArray lengths = nd::array({4, 1, 3});
  const auto run = [&](Context ctx) {
    std::vector<NDArray> in;
    for (const NDArray& h : host) {
      in.push_back(h.as_in_context(ctx));
      in.back().attach_grad();
    }
    NDArray y;
    {
      autograd::record r;
      const std::vector<NDArray> out = nd::RNN(in[0], in[1], {in[2], in[3]}, lengths.as_in_context(ctx), options);
      y = nd::SequenceLast(out[0], lengths.as_in_context(ctx)).sum() +
          (nd::SequenceReverse(out[0], lengths.as_in_context(ctx)) * out[0]).sum() + out[2].sum();
    }
    y.backward();
    std::vector<std::vector<double>> values = {y.asnumpy<double>()};
    for (const NDArray& i : in) values.push_back(i.grad().asnumpy<double>());
    return values;
  };
  const auto cpu_values = run(cpu()), gpu_values = run(gpu(0));
  REQUIRE(cpu_values.size() == gpu_values.size());
  for (std::size_t k = 0; k < cpu_values.size(); ++k) {
    INFO("result " << k);
    REQUIRE(cpu_values[k].size() == gpu_values[k].size());
    for (std::size_t i = 0; i < cpu_values[k].size(); ++i) CHECK(gpu_values[k][i] == Approx(cpu_values[k][i]).margin(1e-4));
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

TEST_CASE("SyncBatchNorm across the GPU and the CPU gives the CPU pair's values and gradients", "[gpu][training]") {
  random::seed(21);
  const NDArray x = nd::random::normal(1, 2, {6, 3, 4});
  const NDArray w = nd::random::uniform(-1, 1, {6, 3, 4});
  // Devices a and b hold rows 0-1 and 2-5; each returns its outputs and data gradient, then gamma's summed.
  auto run = [&](Context a, Context b, const std::string& key) {
    const std::vector<Context> ctx = {a, b};
    const std::vector<std::pair<std::int64_t, std::int64_t>> rows = {{0, 2}, {2, 6}};
    std::vector<NDArray> xs, gammas, betas, means, vars, losses, outs;
    for (std::size_t d = 0; d < 2; ++d) {
      xs.push_back(x.slice(rows[d].first, rows[d].second).copyto(ctx[d]));
      xs.back().attach_grad();
      gammas.push_back(nd::array({1.5, -0.5, 2.0}, std::nullopt, ctx[d]));
      gammas.back().attach_grad();
      betas.push_back(nd::array({0.1, 0.2, -0.3}, std::nullopt, ctx[d]));
      means.push_back(nd::zeros({3}, ctx[d]));
      vars.push_back(nd::ones({3}, ctx[d]));
    }
    {
      autograd::record r;
      for (std::size_t d = 0; d < 2; ++d) {
        outs.push_back(nd::contrib::SyncBatchNorm(xs[d], gammas[d], betas[d], means[d], vars[d],
                                                  {.fix_gamma = false, .ndev = 2, .key = key, .timeout_s = 60}));
        losses.push_back((outs.back() * w.slice(rows[d].first, rows[d].second).copyto(ctx[d])).sum());
      }
    }
    autograd::backward(losses);
    std::vector<std::vector<float>> values;
    for (std::size_t d = 0; d < 2; ++d) {
      values.push_back(outs[d].asnumpy<float>());
      values.push_back(xs[d].grad().asnumpy<float>());
      values.push_back(means[d].asnumpy<float>());
    }
    values.push_back((gammas[0].grad().as_in_context(cpu(0)) + gammas[1].grad().as_in_context(cpu(0))).asnumpy<float>());
    return values;
  };
  const auto expected = run(cpu(0), cpu(1), "sync_bn_cpu");
  const auto got = run(gpu(0), cpu(0), "sync_bn_gpu");
  REQUIRE(got.size() == expected.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    INFO("result " << k);
    REQUIRE(got[k].size() == expected[k].size());
    for (std::size_t i = 0; i < got[k].size(); ++i) CHECK(got[k][i] == Approx(expected[k][i]).margin(1e-4).epsilon(1e-4));
  }
}

// Mixed precision on the GPU (issue 11): float16 and bfloat16 products on tensor cores with float32
// accumulation, the accuracy-sensitive operators in float32, gradients back in float32, and the loss scaler.
TEST_CASE("amp on the GPU: products in float16 and bfloat16, sensitive operators in float32", "[gpu][amp]") {
  for (DType target : {DType::kFloat16, DType::kBFloat16}) {
    INFO(dtype_name(target));
    // Values exact in both dtypes, so the products are hand-computed.
    NDArray a = nd::array(std::vector<float>{1, 2, 3, 4}, Shape{2, 2}, gpu(0));
    const NDArray b = nd::array(std::vector<float>{0.5, -1, 2, 0.25}, Shape{2, 2}, gpu(0));
    a.attach_grad();
    amp::scope on(target);
    NDArray product;
    {
      autograd::record r;
      product = nd::dot(a, b);
      nd::sum(product).backward();
    }
    CHECK(product.dtype() == target);
    CHECK(product.context() == gpu(0));
    CHECK(product.asnumpy<float>() == std::vector<float>{4.5, -0.5, 9.5, -2});
    CHECK(nd::softmax(product).dtype() == DType::kFloat32);
    CHECK(nd::relu(product).dtype() == target);
    CHECK(a.grad().dtype() == DType::kFloat32);
    CHECK(a.grad().asnumpy<float>() == std::vector<float>{-0.5, 2.25, -0.5, 2.25});  // each row: b's row sums
  }
}

TEST_CASE("amp on the GPU: float16 training with loss scaling follows float32, and an overflow skips its step",
          "[gpu][amp][training]") {
  // A separable problem: labels from a fixed linear map of the inputs.
  random::seed(21);
  const NDArray x = nd::random::normal(0, 1, {256, 16}, gpu(0));
  const NDArray y = nd::argmax(nd::dot(x, nd::random::normal(0, 1, {16, 4}, gpu(0))), 1);
  auto train = [&](bool mixed) {
    nn::Sequential net;
    net.add(nn::Dense(32, "relu"), nn::Dense(4));
    random::seed(5);
    net.initialize(init::Xavier(), {gpu(0)});
    gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.5}});
    std::optional<amp::scope> on;
    if (mixed) {
      on.emplace(DType::kFloat16);
      // Small: the weight gradients sum 256 samples in float16 (a scale of 1024 would overflow them at once).
      amp::init_trainer(trainer, {.init_scale = 8});
    }
    gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
    double last = 0;
    for (int step = 0; step < 60; ++step) {
      NDArray loss, scaled;
      {
        autograd::record r;
        loss = loss_fn(net(x), y);
        scaled = mixed ? amp::scale_loss(loss, trainer) : loss;
      }
      scaled.backward();
      trainer.step(256);
      last = nd::mean(loss).asscalar<float>();
    }
    metric::Accuracy accuracy;
    accuracy.update(y, net(x));
    if (mixed) CHECK(trainer.loss_scaler()->skipped_steps() == 0);
    return std::pair{last, accuracy.get().second};
  };
  const auto [full_loss, full_accuracy] = train(false);
  const auto [mixed_loss, mixed_accuracy] = train(true);
  std::printf("60 steps: loss %.4f, accuracy %.3f in float32; loss %.4f, accuracy %.3f in float16 AMP\n", full_loss,
              full_accuracy, mixed_loss, mixed_accuracy);
  CHECK(full_accuracy > 0.8);
  CHECK(mixed_accuracy > full_accuracy - 0.03);
  CHECK(mixed_loss == Approx(full_loss).margin(0.05));

  // A scale of 2^24 overflows float16's 65504 in the backward products: the step is skipped, the scale halved.
  nn::Sequential net;
  net.add(nn::Dense(4));
  net.initialize(init::Constant(0.5), {gpu(0)});
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.5}});
  amp::scope on(DType::kFloat16);
  amp::init_trainer(trainer, {.init_scale = 16777216});
  net(x).wait_to_read();  // the deferred weight's shape
  const std::vector<float> before = net.collect_params()["0.weight"].data().asnumpy<float>();
  NDArray loss;
  {
    autograd::record r;
    loss = amp::scale_loss(nd::sum(net(x)), trainer);
  }
  loss.backward();
  trainer.step(256);
  CHECK(trainer.loss_scaler()->skipped_steps() == 1);
  CHECK(trainer.loss_scaler()->scale() == 8388608);
  CHECK(net.collect_params()["0.weight"].data().asnumpy<float>() == before);
}
