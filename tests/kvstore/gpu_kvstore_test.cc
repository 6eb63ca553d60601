// The local and device stores over a CPU and the GPU: values copied between them on the copy streams and summed
// where each store keeps the key; the Trainer over both contexts steps as one context with the whole batch.
// The nccl store and NCCL's collectives themselves, with two logical contexts on the one GPU present; and
// dist_device_sync's NCCL all-reduce in a job of one process ([mpi], run on its own: MPI must start).
#include <catch2/catch.hpp>

#include <memory>

#include <mx/engine/engine.h>
#include <mx/mx.h>

#include "../../kvstore/nccl.h"

using namespace mx;
using kvstore::detail::NcclCall;
using kvstore::detail::NcclClique;

TEST_CASE("stores sum pushes from the host and the GPU and pull the sum into both", "[gpu]") {
  for (const char* type : {"local", "device"}) {
    INFO(type);
    auto kv = kvstore::create(type);
    kv->init(3, nd::zeros({2, 3}));
    kv->push(3, {nd::full({2, 3}, 1.5), nd::full({2, 3}, 2, gpu(0))});
    std::vector<NDArray> outs = {nd::zeros({2, 3}), nd::zeros({2, 3}, gpu(0))};
    kv->pull(3, outs);
    for (const NDArray& out : outs) CHECK(out.asnumpy<float>() == std::vector<float>(6, 3.5f));
    // Two values on the GPU, summed where the store keeps the key.
    kv->pushpull(3, {nd::full({2, 3}, 4, gpu(0)), nd::full({2, 3}, -1, gpu(0))}, outs);
    for (const NDArray& out : outs) CHECK(out.asnumpy<float>() == std::vector<float>(6, 3.0f));
  }
}

TEST_CASE("gradient compression on the GPU writes the CPU's codes and residuals, and the device store sums them", "[gpu]") {
  // Random gradients of 1000 elements (not a whole number of words), several rounds so that residuals build up.
  for (const auto type : {nd::CompressionType::kTwoBit, nd::CompressionType::kOneBit}) {
    INFO(nd::compression_name(type));
    const Shape words{nd::compressed_size(type, 1000)};
    NDArray cpu_residual = nd::zeros({1000}), gpu_residual = nd::zeros({1000}, gpu(0));
    for (int round = 0; round < 3; ++round) {
      const NDArray grad = nd::random::uniform(-1, 1, {1000});
      NDArray cpu_codes(words, cpu(), DType::kInt32), gpu_codes(words, gpu(0), DType::kInt32);
      nd::quantize_gradient(type, 0.25f, grad, cpu_residual, cpu_codes);
      nd::quantize_gradient(type, 0.25f, grad.as_in_context(gpu(0)), gpu_residual, gpu_codes);
      CHECK(gpu_codes.asnumpy<std::int32_t>() == cpu_codes.asnumpy<std::int32_t>());
      CHECK(gpu_residual.asnumpy<float>() == cpu_residual.asnumpy<float>());
      NDArray cpu_sum = nd::zeros({1000}), gpu_sum = nd::zeros({1000}, gpu(0));
      nd::dequantize_sum(type, 0.25f, std::vector<NDArray>{cpu_codes, cpu_codes}, cpu_sum);
      nd::dequantize_sum(type, 0.25f, std::vector<NDArray>{gpu_codes, nd::stack({gpu_codes})}, gpu_sum);
      CHECK(gpu_sum.asnumpy<float>() == cpu_sum.asnumpy<float>());
    }
  }
  // The device store: one value quantized on the GPU, one on the host, the codes summed where the key is.
  auto kv = kvstore::create("device");
  kv->set_gradient_compression({.type = "2bit", .threshold = 0.5});
  kv->init(5, nd::zeros({4}));
  std::vector<NDArray> outs = {nd::zeros({4}), nd::zeros({4}, gpu(0))};
  kv->pushpull(5, {nd::array({0.75f, -0.25f, 0.25f, 0.0f}, Shape{4}), nd::array({0.5f, -0.5f, 0.25f, 1.0f}, Shape{4}, gpu(0))}, outs);
  for (const NDArray& out : outs) CHECK(out.asnumpy<float>() == std::vector<float>{1.0f, -0.5f, 0.0f, 0.5f});
}

TEST_CASE("a Trainer over cpu(0) and gpu(0) with half the batch each steps as one context", "[gpu]") {
  namespace nn = gluon::nn;
  const NDArray x = nd::random::uniform(-1, 1, {8, 5});
  const NDArray y = nd::array(std::vector<float>{0, 1, 2, 1, 0, 2, 2, 1});
  auto make = [](const std::vector<Context>& ctx) {
    auto net = std::make_unique<nn::Sequential>();
    net->add(nn::Dense(6, "relu"), nn::Dense(3));
    random::seed(5);
    net->initialize(init::Xavier(), {cpu()});
    (*net)(nd::zeros({1, 5}));
    net->collect_params().reset_ctx(ctx);
    return net;
  };
  const std::vector<Context> both = {cpu(0), gpu(0)};
  auto whole = make({cpu(0)}), split = make(both);
  gluon::Trainer whole_trainer(whole->collect_params(), "sgd", {{"learning_rate", 0.5}, {"momentum", 0.9}});
  gluon::Trainer split_trainer(split->collect_params(), "sgd", {{"learning_rate", 0.5}, {"momentum", 0.9}});
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  for (int step = 0; step < 3; ++step) {
    NDArray loss;
    {
      autograd::record r;
      loss = loss_fn((*whole)(x), y);
    }
    loss.backward();
    whole_trainer.step(8);
    const auto xs = gluon::utils::split_and_load(x, both), ys = gluon::utils::split_and_load(y, both);
    std::vector<NDArray> losses;
    {
      autograd::record r;
      for (std::size_t i = 0; i < both.size(); ++i) losses.push_back(loss_fn((*split)(xs[i]), ys[i]));
    }
    autograd::backward(losses);
    split_trainer.step(8);
  }
  auto expected = whole->collect_params();
  for (const auto& [name, parameter] : split->collect_params()) {
    INFO(name);
    const std::vector<float> want = expected[name].data().asnumpy<float>();
    for (Context c : both) {
      const std::vector<float> got = parameter.data(c).asnumpy<float>();
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6).epsilon(1e-5));
    }
  }
}

TEST_CASE("NCCL collectives of a clique run in stream order inside an engine operation", "[gpu][nccl]") {
  const std::shared_ptr<NcclClique> clique = NcclClique::local({0});
  REQUIRE(clique->devices() == std::vector<int>{0});
  CHECK(clique->member_of(0) == 0);
  CHECK(clique->member_of(3) == -1);
  NDArray a = nd::array(std::vector<float>{1, 2, 3, 4}, Shape{4}, gpu(0));
  NDArray b = nd::zeros({4}, gpu(0)), c = nd::zeros({4}, gpu(0));
  const auto count = static_cast<std::size_t>(a.size());
  // The inputs are written by kernels on other streams just before: the clique must start after them.
  a *= 2;
  b += 10;
  const std::vector<NcclCall> calls = {
      {.kind = NcclCall::Kind::kReduce, .member = 0, .send = a.blob().data, .recv = c.blob().data, .count = count,
       .dtype = DType::kFloat32, .root = 0},
      {.kind = NcclCall::Kind::kAllReduce, .member = 0, .send = b.blob().data, .recv = b.blob().data, .count = count,
       .dtype = DType::kFloat32, .root = 0}};
  a.bump_version();
  b.bump_version();
  c.bump_version();
  engine::Engine::get().push_sync(
      [clique, calls](engine::RunContext run) { clique->enqueue(calls, run.stream, 0, "the test's group"); }, gpu(0),
      {a.var()}, {b.var(), c.var()}, {.name = "NcclTestGroup"});
  NDArray after = c + 1;  // a kernel on a compute stream, after the group
  CHECK(c.asnumpy<float>() == std::vector<float>{2, 4, 6, 8});
  CHECK(b.asnumpy<float>() == std::vector<float>(4, 10));
  CHECK(after.asnumpy<float>() == std::vector<float>{3, 5, 7, 9});
}

TEST_CASE("the nccl store sums two logical contexts on one GPU and broadcasts to every output", "[gpu][nccl]") {
  auto kv = kvstore::create("nccl");
  kv->init(3, nd::zeros({2, 3}));  // a host value, moved to the GPU by the first push
  kv->push(3, {nd::full({2, 3}, 1.5, gpu(0)), nd::full({2, 3}, 2, gpu(0))});
  std::vector<NDArray> outs = {nd::zeros({2, 3}, gpu(0)), nd::zeros({2, 3}, gpu(0)), nd::zeros({2, 3}, cpu(0))};
  kv->pull(3, outs);
  for (const NDArray& out : outs) CHECK(out.asnumpy<float>() == std::vector<float>(6, 3.5f));
  // In place, as the Trainer calls it: each GPU array gets the sum of both.
  std::vector<NDArray> grads = {nd::full({2, 3}, 4, gpu(0)), nd::full({2, 3}, -1, gpu(0))};
  kv->pushpull(3, grads, grads);
  for (const NDArray& g : grads) CHECK(g.asnumpy<float>() == std::vector<float>(6, 3.0f));
  // Several keys in one call, of two dtypes (two buckets), and an optimizer on the store.
  kv->init({"a", "b"}, {nd::ones({5}, gpu(0)), nd::ones({2}, gpu(0), DType::kFloat64)});
  const NDArray one64 = nd::full({2}, 1, gpu(0), DType::kFloat64);
  std::vector<std::vector<NDArray>> values = {{nd::full({5}, 2, gpu(0)), nd::full({5}, 3, gpu(0))},
                                              {one64.copy(), one64.copy()}};
  kv->pushpull({"a", "b"}, values, values);
  CHECK(values[0][1].asnumpy<float>() == std::vector<float>(5, 5));
  CHECK(values[1][0].asnumpy<double>() == std::vector<double>(2, 2));
  kv->set_optimizer(optimizer::create("sgd", {{"learning_rate", 0.5}}));
  kv->push("a", {nd::full({5}, 1, gpu(0)), nd::full({5}, 3, gpu(0))});  // stored 5 - 0.5 * 4
  std::vector<NDArray> weight = {nd::zeros({5}, gpu(0))};
  kv->pull("a", weight);
  CHECK(weight[0].asnumpy<float>() == std::vector<float>(5, 3));
}

TEST_CASE("a Trainer with the nccl store steps as the device store does", "[gpu][nccl]") {
  namespace nn = gluon::nn;
  const NDArray x = nd::random::uniform(-1, 1, {8, 5}, gpu(0));
  const NDArray y = nd::array(std::vector<float>{0, 1, 2, 1, 0, 2, 2, 1}, Shape{8}, gpu(0));
  std::vector<std::vector<float>> finals;
  for (const char* store : {"device", "nccl"}) {
    auto net = std::make_unique<nn::Sequential>();
    net->add(nn::Dense(6, "relu"), nn::Dense(3));
    random::seed(4);
    net->initialize(init::Xavier(), {gpu(0)});
    (*net)(nd::zeros({1, 5}, gpu(0)));
    // A store object: given a type and one context, the Trainer would use no store.
    gluon::Trainer trainer(net->collect_params(), "sgd", {{"learning_rate", 0.5}}, kvstore::create(store));
    gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
    for (int step = 0; step < 3; ++step) {
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn((*net)(x), y);
      }
      loss.backward();
      trainer.step(8);
    }
    finals.push_back(net->collect_params()["0.weight"].data().asnumpy<float>());
  }
  CHECK(finals[0] == finals[1]);
}

// Needs MPI to start as a job of one (singleton): its own CTest case.
TEST_CASE("dist_device_sync sums GPU arrays over NCCL in a job of one process", "[.][gpu][mpi]") {
  auto kv = kvstore::create("dist_device_sync");
  REQUIRE(kv->num_workers() == 1);
  kv->init("w", nd::ones({3}, gpu(0)));  // kept on the host for the broadcast from rank 0
  std::vector<NDArray> out = {nd::zeros({3}, gpu(0))};
  kv->pull("w", out);
  CHECK(out[0].asnumpy<float>() == std::vector<float>{1, 1, 1});
  std::vector<NDArray> g = {nd::array(std::vector<float>{1, 2, 3}, Shape{3}, gpu(0)), nd::ones({3}, gpu(0))};
  kv->pushpull("w", g, g);
  CHECK(g[0].asnumpy<float>() == std::vector<float>{2, 3, 4});
  CHECK(g[1].asnumpy<float>() == std::vector<float>{2, 3, 4});
}
