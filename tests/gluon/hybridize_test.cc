// hybridize: the traced graph gives the imperative run's outputs and gradients, is cached per signature, runs as
// one engine operation with planned memory outside autograd::record, and reports errors by the inner operator.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <mx/engine/trace.h>
#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace nn = gluon::nn;

namespace {

nn::HybridSequential make_mlp(std::int64_t in_units, std::vector<std::int64_t> hidden, std::int64_t classes) {
  nn::HybridSequential net;
  for (std::int64_t units : hidden) net.add(nn::Dense(units, "relu", {.in_units = in_units == 0 ? 0 : in_units}));
  net.add(nn::Dense(classes));
  return net;
}

void check_close(const NDArray& a, const NDArray& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = a.asnumpy<double>(), y = b.asnumpy<double>();
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(x[i] == Approx(y[i]).epsilon(1e-6).margin(1e-6));
}

// Reads its input's value inside forward: not traceable.
struct ReadsValues : gluon::HybridBlock {
  NDArray forward(const NDArray& x) override { return x * x.sum().asscalar<float>(); }
};

// Views and several operators on the way: reshape, slice, arithmetic with a constant made inside forward.
struct WithViews : gluon::HybridBlock {
  nn::Dense& dense = emplace_child<nn::Dense>("dense", 3);
  NDArray forward(const NDArray& x) override {
    const NDArray flat = x.reshape({x.shape()[0], -1});
    const NDArray top = flat.slice(0, 2);
    return dense(top) * 2 + nd::ones({2, 3}) + nd::sigmoid(top).sum({1}, true);
  }
};

void register_failing_operator() {
  static const bool registered = [] {
    custom::register_operator("hybrid_test_fails", {.forward_host = [](const custom::Call&, std::span<const Blob>,
                                                                       std::span<const Blob>) {
                                                      throw std::runtime_error("inner failure");
                                                    }});
    custom::register_operator("hybrid_test_softplus",
                              {.forward = [](const custom::Call&, std::span<const NDArray> in) {
                                 return std::vector<NDArray>{nd::log1p(nd::exp(in[0]))};
                               },
                               .backward = [](const custom::Call&, std::span<const NDArray> g,
                                              std::span<const NDArray> in, std::span<const NDArray>) {
                                 return std::vector<NDArray>{g[0] * nd::sigmoid(in[0])};
                               }});
    return true;
  }();
  (void)registered;
}

}  // namespace

TEST_CASE("a hybridized network gives the imperative outputs, as one engine operation", "[gluon][hybridize]") {
  nn::HybridSequential net = make_mlp(0, {16, 8}, 4);
  net.initialize(init::Normal(0.5));
  const NDArray x = nd::random::uniform(-1, 1, {5, 7});
  const NDArray imperative = net(x);
  net.hybridize();
  CHECK(net.is_hybridized());
  const NDArray hybrid = net(x);  // deferred shapes are known: traced now
  check_close(hybrid, imperative);
  const auto info = net.cache_info();
  CHECK(info.traces == 1);
  CHECK(info.bulked);
  CHECK(info.operations == 5);  // 3 FullyConnected + 2 Activation
  CHECK(info.workspace_bytes < info.unplanned_bytes);
  check_close(net(x), imperative);
  CHECK(net.cache_info().traces == 1);
  net.hybridize({.active = false});
  CHECK_FALSE(net.is_hybridized());
  check_close(net(x), imperative);
}

TEST_CASE("a hybridized graph leaves out work whose result nothing reads", "[gluon][hybridize]") {
  // The same network twice, one of them computing exp(x * 3) for nothing; BatchNorm's moving statistics,
  // written in place, stay although no output reads them.
  const auto make = [](bool with_unread) {
    nn::HybridSequential net;
    net.add(nn::HybridLambda([with_unread](const NDArray& x) {
              if (with_unread) (void)nd::exp(x * 3.0);
              return x + 1.0;
            }),
            nn::BatchNorm());
    net.initialize();
    net.hybridize();
    return net;
  };
  nn::HybridSequential plain = make(false), wasteful = make(true);
  const NDArray x = nd::random::uniform(-1, 1, {4, 3});
  check_close(wasteful(x), plain(x));
  CHECK(wasteful.cache_info().operations == plain.cache_info().operations);
  {
    autograd::record r;  // training: BatchNorm updates its moving statistics in place
    wasteful(x);
  }
  const std::vector<double> moving_mean = wasteful.collect_params()["1.running_mean"].data().asnumpy<double>();
  CHECK(std::any_of(moving_mean.begin(), moving_mean.end(), [](double v) { return v != 0; }));
}

TEST_CASE("hybridize traces with deferred initialization, views and constants made in forward", "[gluon][hybridize]") {
  WithViews block;
  block.initialize(init::Normal(1));
  block.hybridize({.static_alloc = true});
  const NDArray x = nd::random::uniform(-1, 1, {4, 2, 3});
  const NDArray first = block(x);  // initializes dense's weight (6 inputs) while tracing
  CHECK(block.dense.weight().shape() == Shape{3, 6});
  block.hybridize({.active = false});
  check_close(first, block(x));
  block.hybridize({.static_alloc = true});
  check_close(block(x), first);
  check_close(block(x), first);  // the kept workspace, reused
}

TEST_CASE("graphs are cached per shape and training mode, a new shape traces again", "[gluon][hybridize]") {
  nn::HybridSequential net;
  net.add(nn::Dense(4, "relu"), nn::Dropout(0.5), nn::Dense(2));
  net.initialize();
  net.hybridize();
  net(nd::ones({3, 5}));
  net(nd::ones({3, 5}));
  CHECK(net.cache_info().traces == 1);
  net(nd::ones({6, 5}));
  CHECK(net.cache_info().traces == 2);
  {
    autograd::train_mode training;
    net(nd::ones({6, 5}));  // Dropout acts: another graph
  }
  CHECK(net.cache_info().traces == 3);
  CHECK(net.cache_info().graphs == 3);
  CHECK_THROWS_WITH(net(nd::ones({6, 4})), Contains("Dense"));  // a shape the weights do not take
}

TEST_CASE("under autograd::record the graph runs node by node, with the imperative gradients", "[gluon][hybridize]") {
  nn::HybridSequential net = make_mlp(6, {8}, 3);
  net.initialize(init::Normal(0.5));
  const NDArray x = nd::random::uniform(-1, 1, {4, 6});
  const NDArray label = nd::array({0.0, 2.0, 1.0, 2.0});
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  auto gradients = [&] {
    {
      autograd::record r;
      loss_fn(net(x), label).backward();
    }
    std::vector<NDArray> grads;
    for (const auto& [name, p] : net.collect_params()) grads.push_back(p.grad().copy());
    return grads;
  };
  const std::vector<NDArray> imperative = gradients();
  net.hybridize();
  const std::vector<NDArray> hybrid = gradients();
  CHECK_FALSE(net.cache_info().bulked);
  REQUIRE(hybrid.size() == imperative.size());
  for (std::size_t i = 0; i < hybrid.size(); ++i) check_close(hybrid[i], imperative[i]);
}

TEST_CASE("BatchNorm's moving statistics update the same way in a bulked graph", "[gluon][hybridize]") {
  auto build = [] {
    nn::HybridSequential net;
    net.add(nn::Dense(4, {.in_units = 3}), nn::BatchNorm({.in_channels = 4}));
    net.initialize(init::One());
    return net;
  };
  nn::HybridSequential imperative = build(), hybrid = build();
  hybrid.hybridize();
  const NDArray x = nd::random::uniform(-1, 1, {8, 3});
  for (int step = 0; step < 3; ++step) {
    autograd::train_mode training;
    check_close(hybrid(x), imperative(x));
  }
  CHECK(hybrid.cache_info().bulked);
  const auto hp = hybrid.collect_params(), ip = imperative.collect_params();
  for (const char* name : {"1.running_mean", "1.running_var"}) {
    INFO(name);
    check_close(gluon::ParameterDict(hp)[name].data(), gluon::ParameterDict(ip)[name].data());
  }
}

TEST_CASE("a CNN with BatchNorm trains hybridized under record as imperatively", "[gluon][hybridize]") {
  // Convolution reads its weight through a reshape (the trace's first sight of it), and BatchNorm writes its
  // moving statistics in place: both replay node by node under autograd::record.
  auto build = [] {
    nn::HybridSequential net;
    net.add(nn::Conv2D(3, {3}, {.in_channels = 2}), nn::BatchNorm({.in_channels = 3}), nn::Activation("relu"),
            nn::Dense(2, {.in_units = 12}));
    net.initialize(init::One());
    return net;
  };
  nn::HybridSequential imperative = build(), hybrid = build();
  hybrid.hybridize();
  const NDArray x = nd::random::uniform(-1, 1, {2, 2, 4, 4});
  for (int step = 0; step < 2; ++step) {
    for (nn::HybridSequential* net : {&imperative, &hybrid}) {
      autograd::record r;
      nd::sum((*net)(x)).backward();
    }
    const auto hp = hybrid.collect_params(), ip = imperative.collect_params();
    for (const auto& [name, p] : hp) {
      INFO(name);
      check_close(p.data(), gluon::ParameterDict(ip)[name].data());
      if (p.grad_req() != GradReq::kNull) check_close(p.grad(), gluon::ParameterDict(ip)[name].grad());
    }
  }
  CHECK(hybrid.cache_info().traces == 1);
}

TEST_CASE("a hybridized graph reads parameters in engine order, and sees re-initialized ones", "[gluon][hybridize]") {
  nn::Dense dense(2, {.in_units = 2});
  dense.initialize(init::One());
  dense.hybridize();
  const NDArray x = nd::ones({1, 2});
  const NDArray before = dense(x);
  NDArray w = dense.weight().data();
  w += 1;  // pushed after the call: the call's read comes first
  const NDArray after = dense(x);
  test::check_array(before, {1, 2}, {2, 2});
  test::check_array(after, {1, 2}, {4, 4});
  dense.initialize(init::Zero(), {cpu()}, /*force_reinit=*/true);
  test::check_array(dense(x), {1, 2}, {0, 0});
}

TEST_CASE("reading a value while tracing is a clear error", "[gluon][hybridize]") {
  ReadsValues block;
  block.hybridize();
  CHECK_THROWS_WITH(block(nd::ones({2})), Contains("asscalar") && Contains("hybridize traces") &&
                                              Contains("without hybridize"));
  block.hybridize({.active = false});
  test::check_array(block(nd::ones({2})), {2}, {2, 2});
}

TEST_CASE("an error inside a bulked graph names the inner operator, at the sync point", "[gluon][hybridize]") {
  register_failing_operator();
  nn::HybridSequential net;
  net.add(nn::Dense(3, {.in_units = 2}), nn::HybridLambda([](const NDArray& x) { return nd::custom(x, "hybrid_test_fails"); }));
  net.initialize();
  net.hybridize();
  const NDArray y = net(nd::ones({1, 2}));
  CHECK(net.cache_info().bulked);
  CHECK_THROWS_WITH(y.wait_to_read(), Contains("hybrid_test_fails") && Contains("inner failure") &&
                                          Contains("hybridized graph"));
  test::check_array(nd::ones({2}) * 3, {2}, {3, 3});  // the engine goes on
}

TEST_CASE("a custom operator in a hybridized block matches its imperative run", "[gluon][hybridize][custom]") {
  register_failing_operator();
  nn::HybridSequential net;
  net.add(nn::Dense(4, {.in_units = 3}),
          nn::HybridLambda([](const NDArray& x) { return nd::custom(x, "hybrid_test_softplus"); }), nn::Dense(2));
  net.initialize(init::Normal(1));
  const NDArray x = nd::random::uniform(-1, 1, {5, 3});
  const NDArray imperative = net(x);
  std::vector<NDArray> imperative_grads;
  {
    autograd::record r;
    net(x).backward();
  }
  for (const auto& [name, p] : net.collect_params()) imperative_grads.push_back(p.grad().copy());
  net.hybridize();
  check_close(net(x), imperative);
  {
    autograd::record r;
    net(x).backward();
  }
  std::size_t i = 0;
  for (const auto& [name, p] : net.collect_params()) check_close(p.grad(), imperative_grads[i++]);
}

TEST_CASE("the profiler shows each operator inside a bulked graph", "[gluon][hybridize][profiler]") {
  nn::HybridSequential net = make_mlp(4, {4}, 2);
  net.initialize();
  net.hybridize();
  net(nd::ones({1, 4})).wait_to_read();  // traced outside the recording
  engine::trace::clear();
  engine::trace::enable(engine::trace::kOperators);
  net(nd::ones({1, 4})).wait_to_read();
  engine::trace::disable();
  int fully_connected = 0, cached = 0;
  for (const auto& event : engine::trace::take_events()) {
    if (event.name == "FullyConnected") {
      ++fully_connected;
      CHECK(event.worker >= 0);
      CHECK(event.end_ns >= event.start_ns);
    }
    if (event.name == "_CachedOp") ++cached;
  }
  CHECK(fully_connected == 2);
  CHECK(cached == 1);
}

namespace {

// An elementwise tail on a large activation (a Swish-like gate, then a scaled residual): a run of elementwise
// operators over 128 x 1024 values, which a bulked graph runs tile by tile (graph/fusion.h).
struct ElementwiseTail : gluon::HybridBlock {
  nn::Dense& dense = emplace_child<nn::Dense>("dense", 1024);
  NDArray forward(const NDArray& x) override {
    const NDArray h = dense(x);
    const NDArray gated = h * nd::sigmoid(h * 1.702);
    return nd::relu(gated * 0.5 + h) - nd::tanh(gated) / 3.0;
  }
};

// The same gate, whose value a row sum (not elementwise) also reads after the run: that intermediate must keep
// its buffer, where those only the run reads live in scratch tiles.
struct ReadAfterTheRun : gluon::HybridBlock {
  nn::Dense& dense = emplace_child<nn::Dense>("dense", 1024);
  NDArray forward(const NDArray& x) override {
    const NDArray h = dense(x);
    const NDArray gated = h * nd::sigmoid(h * 1.702);
    const NDArray row_sums = nd::sum(gated, {1}, true);
    return (nd::relu(gated * 0.5 + h) - nd::tanh(gated) / 3.0) * 2.0 + row_sums;
  }
};

}  // namespace

TEST_CASE("an intermediate of a tiled run that a later operator reads keeps its value", "[gluon][hybridize][fusion]") {
  ReadAfterTheRun net;
  net.initialize(init::Normal(0.5));
  const NDArray x = nd::random::uniform(-1, 1, {128, 64});
  const NDArray imperative = net(x);
  net.hybridize();
  check_close(net(x), imperative);  // traced, then run bulked
  check_close(net(x), imperative);
}

TEST_CASE("a run of elementwise operators in a bulked graph goes tile by tile, with the imperative values",
          "[gluon][hybridize][fusion]") {
  ElementwiseTail net;
  net.initialize(init::Normal(0.5));
  const NDArray x = nd::random::uniform(-1, 1, {128, 64});
  const NDArray imperative = net(x);
  net.hybridize();
  net(x).wait_to_read();  // traced
  engine::trace::clear();
  engine::trace::enable(engine::trace::kOperators);
  const NDArray hybridized = net(x);
  hybridized.wait_to_read();
  engine::trace::disable();
  CHECK(net.cache_info().bulked);
  check_close(hybridized, imperative);
  // The profiler names the tiled run by its operators; the product before it runs alone.
  std::vector<std::string> names;
  for (const auto& event : engine::trace::take_events()) {
    if (event.name != "_CachedOp") names.push_back(event.name);
  }
  CHECK(std::count(names.begin(), names.end(), "FullyConnected") == 1);
  const auto tiled = std::find_if(names.begin(), names.end(), [](const std::string& n) { return n.find('+') != std::string::npos; });
  REQUIRE(tiled != names.end());
  CHECK_THAT(*tiled, Contains("sigmoid") && Contains("relu") && Contains("tanh") && Contains("_mul_scalar"));
  // Under record the graph runs node by node: the gradients are the imperative ones.
  std::vector<NDArray> imperative_grads;
  net.hybridize({.active = false});
  {
    autograd::record r;
    net(x).backward();
  }
  for (const auto& [name, p] : net.collect_params()) imperative_grads.push_back(p.grad().copy());
  net.hybridize();
  {
    autograd::record r;
    net(x).backward();
  }
  std::size_t i = 0;
  for (const auto& [name, p] : net.collect_params()) check_close(p.grad(), imperative_grads[i++]);
}

TEST_CASE("small arrays and non-elementwise operators keep whole steps", "[gluon][hybridize][fusion]") {
  nn::HybridSequential net = make_mlp(4, {4}, 2);  // arrays of a few values: no tiling pays
  net.initialize();
  net.hybridize();
  net(nd::ones({1, 4})).wait_to_read();
  engine::trace::clear();
  engine::trace::enable(engine::trace::kOperators);
  net(nd::ones({1, 4})).wait_to_read();
  engine::trace::disable();
  for (const auto& event : engine::trace::take_events()) CHECK(event.name.find('+') == std::string::npos);
}
