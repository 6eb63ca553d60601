// The local and device stores over a CPU and the GPU: values copied between them on the copy streams and summed
// where each store keeps the key; the Trainer over both contexts steps as one context with the whole batch.
#include <catch2/catch.hpp>

#include <mx/mx.h>

using namespace mx;

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
