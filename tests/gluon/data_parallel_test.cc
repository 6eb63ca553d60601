// Data-parallel training in one process: parameters on several contexts, the batch split across them, the
// Trainer summing through a kvstore. One step on two contexts with half the batch each must equal one step on
// one context with the whole batch.
#include <catch2/catch.hpp>

#include <mx/mx.h>
#include <mx/kvstore/entry.h>
#include <mx/kvstore/local_stores.h>

using namespace mx;
namespace nn = gluon::nn;

namespace {

struct Problem {
  NDArray x = nd::random::uniform(-1, 1, {8, 5});
  NDArray y = nd::array({0, 1, 2, 1, 0, 2, 2, 1});
};

// The same network, with the same initial values, on `ctx`.
std::unique_ptr<nn::Sequential> network(const std::vector<Context>& ctx, std::uint64_t seed) {
  auto net = std::make_unique<nn::Sequential>();
  net->add(nn::Dense(6, "relu"), nn::Dense(3));
  random::seed(seed);
  net->initialize(init::Xavier(), ctx);
  net->operator()(nd::zeros({1, 5}, ctx[0]));  // shapes known, values drawn
  return net;
}

// One step; with several contexts the batch is split across them and backward runs over all losses at once.
void train_step(nn::Sequential& net, gluon::Trainer& trainer, const Problem& p, const std::vector<Context>& ctx) {
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  const auto xs = gluon::utils::split_and_load(p.x, ctx);
  const auto ys = gluon::utils::split_and_load(p.y, ctx);
  std::vector<NDArray> losses;
  {
    autograd::record r;
    for (std::size_t i = 0; i < ctx.size(); ++i) losses.push_back(loss_fn(net(xs[i]), ys[i]));
  }
  autograd::backward(losses);
  trainer.step(static_cast<double>(p.x.shape()[0]));
}

void check_same(nn::Sequential& reference, nn::Sequential& parallel, const std::vector<Context>& ctx) {
  auto ref = reference.collect_params();
  auto par = parallel.collect_params();
  for (const auto& [name, parameter] : ref) {
    INFO(name);
    const std::vector<float> expected = parameter.list_data()[0].asnumpy<float>();
    for (Context c : ctx) {
      const std::vector<float> got = par[name].data(c).asnumpy<float>();
      REQUIRE(got.size() == expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).margin(1e-6).epsilon(1e-5));
    }
    // Every copy identical, bit for bit.
    const std::vector<float> first = par[name].data(ctx[0]).asnumpy<float>();
    for (Context c : ctx) CHECK(par[name].data(c).asnumpy<float>() == first);
  }
}

}  // namespace

TEST_CASE("one step on two contexts with half the batch each equals one step on one context", "[gluon][kvstore]") {
  const std::vector<Context> one = {cpu(0)}, two = {cpu(0), cpu(1)};
  Problem p;
  struct Case {
    const char* name;
    gluon::TrainerStore store;
    std::optional<bool> update_on_kvstore;
    const char* optimizer = "sgd";  // with momentum; adam's bias correction counts steps, not copies
  };
  for (const Case& c : {Case{"device", "device", {}}, Case{"local", "local", {}},
                        Case{"device, update on kvstore", "device", true},
                        Case{"a store object", kvstore::create("local"), {}}, Case{"adam", "device", {}, "adam"},
                        Case{"adam on kvstore", "local", true, "adam"}}) {
    INFO(c.name);
    auto reference = network(one, 7);
    auto parallel = network(two, 7);
    const std::map<std::string, double> options =
        c.optimizer == std::string("sgd") ? std::map<std::string, double>{{"learning_rate", 0.5}, {"momentum", 0.9}}
                                          : std::map<std::string, double>{{"learning_rate", 0.05}};
    gluon::Trainer ref_trainer(reference->collect_params(), c.optimizer, options);
    gluon::Trainer par_trainer(parallel->collect_params(), c.optimizer, options, c.store, std::nullopt, c.update_on_kvstore);
    for (int step = 0; step < 3; ++step) {
      train_step(*reference, ref_trainer, p, one);
      train_step(*parallel, par_trainer, p, two);
    }
    CHECK(ref_trainer.kvstore() == nullptr);  // one context: nothing to sum
    REQUIRE(par_trainer.kvstore() != nullptr);
    CHECK(par_trainer.update_on_kvstore() == c.update_on_kvstore.value_or(false));
    check_same(*reference, *parallel, two);
  }
}

TEST_CASE("allreduce_grads then update is step, with updates on the store it is refused", "[gluon][kvstore]") {
  const std::vector<Context> two = {cpu(0), cpu(1)};
  Problem p;
  auto a = network(two, 3), b = network(two, 3);
  gluon::Trainer by_step(a->collect_params(), "adam", {{"learning_rate", 0.01}});
  gluon::Trainer by_parts(b->collect_params(), "adam", {{"learning_rate", 0.01}});
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  train_step(*a, by_step, p, two);
  {
    const auto xs = gluon::utils::split_and_load(p.x, two);
    const auto ys = gluon::utils::split_and_load(p.y, two);
    std::vector<NDArray> losses;
    {
      autograd::record r;
      for (std::size_t i = 0; i < 2; ++i) losses.push_back(loss_fn((*b)(xs[i]), ys[i]));
    }
    autograd::backward(losses);
    by_parts.allreduce_grads();
    // Between the two, the gradients are the sums: the same on both contexts.
    for (const auto& [name, parameter] : b->collect_params()) {
      CHECK(parameter.grad(cpu(0)).asnumpy<float>() == parameter.grad(cpu(1)).asnumpy<float>());
    }
    by_parts.update(8);
  }
  check_same(*a, *b, two);

  gluon::Trainer on_store(b->collect_params(), "sgd", {{"learning_rate", 0.1}}, "device", std::nullopt, true);
  CHECK_THROWS_WITH(on_store.allreduce_grads(), Catch::Contains("update_on_kvstore"));
  CHECK_THROWS_WITH(on_store.update(8), Catch::Contains("update_on_kvstore"));
}

namespace {

// A store that sums as a distributed one would (one bucket after another, every key its own bucket) across a
// job of one, and records the keys in the order they are sent.
class RecordingStore : public kvstore::detail::DeviceStore {
 public:
  RecordingStore() : DeviceStore("dist_sync") {}
  std::vector<std::string> sent;

 protected:
  void reduce_bucket(const std::vector<Entry*>& bucket) override {
    for (const Entry* entry : bucket) sent.push_back(entry->key.str());
  }
  bool distributed() const override { return true; }
};

}  // namespace

TEST_CASE("the Trainer sends the last layer first, each layer's parameters together and in their order",
          "[gluon][kvstore]") {
  // Parameters 0.weight 0.bias 1.weight 1.bias are keys 0 to 3. One operation gives a layer's weight and bias
  // gradients: in a bucket, a layer's bias beside the next layer's arrays would wait for the layer's weight.
  nn::Sequential net;
  net.add(nn::Dense(4, "relu"), nn::Dense(3));
  net.initialize();
  auto store = std::make_shared<RecordingStore>();
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}}, gluon::TrainerStore(store), std::nullopt, false);
  const NDArray x = nd::ones({2, 5}), y = nd::zeros({2});
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  NDArray loss;
  {
    autograd::record r;
    loss = loss_fn(net(x), y);
  }
  loss.backward();
  trainer.step(2);
  nd::waitall();
  CHECK(store->sent == std::vector<std::string>{"2", "3", "0", "1"});
}

TEST_CASE("SplitSampler gives each worker its own shard", "[gluon][data]") {
  namespace data = gluon::data;
  std::vector<std::size_t> seen;
  for (std::size_t part = 0; part < 3; ++part) {
    data::SplitSampler sampler(10, 3, part);
    CHECK(sampler.size() == 3);
    const auto indices = sampler.indices();
    CHECK(indices.size() == 3);
    for (std::size_t i : indices) CHECK((i >= part * 3 && i < part * 3 + 3));
    seen.insert(seen.end(), indices.begin(), indices.end());
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});  // sample 9, the remainder, left out
  CHECK(data::SplitSampler(6, 2, 1, false).indices() == std::vector<std::size_t>{3, 4, 5});
  CHECK_THROWS_WITH(data::SplitSampler(10, 2, 2), Catch::Contains("part 2 of 2"));
}
