// hybridize against the imperative run and libtorch, in one run:
// - MLP inference at batch 1, where per-operation overhead dominates: the seed MLP (784-256-10) and a deep narrow
//   one (10 layers of 64), microseconds per forward, imperative vs hybridized vs hybridized with static_alloc vs
//   libtorch (NoGradGuard, best of 1 and 2 threads); with the engine operations each forward pushes;
// - ResNet-18 v1 inference at batch 1 (224x224), imperative vs hybridized vs libtorch (the same network);
// - ResNet-18 v1 training at batch 32 on 32x32 inputs (CIFAR-sized; forward, backward, SGD with momentum),
//   imperative vs hybridized vs libtorch;
// - the CPU pool's footprint (what it reserved from the system) over ResNet-18 inference, imperative vs
//   hybridized with static_alloc;
// - the seed MLP's training step at batch 128 (forward, backward, SGD), imperative vs hybridized.
// Each forward's result is read before the next call (latency, as a server answers one request at a time).
// Within each part the methods take turns (bench/common/interleaved.h), best of 5 rounds.
// Usage: mx_bench_hybridize [--quick] [--json FILE].
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mx/graph/fusion.h>
#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "../common/interleaved.h"
#include "torch_peer.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;

nn::HybridSequential make_mlp(const std::vector<long>& widths) {
  nn::HybridSequential net;
  for (std::size_t i = 1; i < widths.size(); ++i) net.add(nn::Dense(widths[i], i + 1 < widths.size() ? "relu" : ""));
  net.initialize(init::Xavier());
  net(nd::zeros({1, widths.front()})).wait_to_read();  // deferred initialization, outside the timing
  return net;
}

// A pass of `calls` forwards at batch 1, each result read; returns microseconds per forward. Traces first when
// the network is hybridized.
std::function<double()> forward_pass(std::shared_ptr<nn::HybridSequential> net, long in_units, int calls) {
  const NDArray x = nd::random::uniform(0, 1, {1, in_units});
  (*net)(x).wait_to_read();
  return [net, x, calls] {
    return bench::seconds_of([&] {
             for (int c = 0; c < calls; ++c) (*net)(x).wait_to_read();
           }) / calls * 1e6;
  };
}

// Each method's best over `rounds` interleaved rounds (bench/common/interleaved.h).
std::vector<double> best_of_rounds(const std::vector<std::function<double()>>& passes, int rounds) {
  std::vector<double> best;
  for (const auto& samples : bench::run_interleaved(passes, rounds)) best.push_back(bench::best_of(samples));
  return best;
}

// What the CPU pool reserved from the system (live plus cached bytes) over `run`, starting from an empty cache.
template <class F>
std::size_t pool_footprint(F&& run) {
  nd::waitall();
  storage::Pool& pool = storage::pool(cpu());
  pool.release_all();
  run();
  nd::waitall();
  const storage::PoolStats stats = pool.stats();
  return stats.live_bytes + stats.cached_bytes;
}

// A pass of `calls` ResNet-18 v1 forwards at batch 1, 224x224, predicting; milliseconds per forward.
std::function<double()> resnet18_pass(std::shared_ptr<gluon::HybridBlock> net, int calls) {
  const NDArray x = nd::random::uniform(0, 1, {1, 3, 224, 224});
  (*net)(x).wait_to_read();
  return [net, x, calls] {
    return bench::seconds_of([&] {
             for (int c = 0; c < calls; ++c) (*net)(x).wait_to_read();
           }) / calls * 1e3;
  };
}

// The CPU pool's footprint over three ResNet-18 forwards (imperative, or hybridized with static_alloc, whose
// workspace counts), from an empty cache.
std::size_t resnet18_footprint(bool hybridize) {
  const auto net = gluon::model_zoo::vision::get_model("resnet18_v1");
  net->initialize(init::Xavier());
  if (hybridize) net->hybridize({.static_alloc = true});
  const NDArray x = nd::random::uniform(0, 1, {1, 3, 224, 224});
  return pool_footprint([&] {
    for (int c = 0; c < 3; ++c) (*net)(x).wait_to_read();
  });
}

// A pass of `steps` of `state`'s steps, waiting for the engine at the end; milliseconds per step.
template <class State>
std::function<double()> training_pass(std::shared_ptr<State> state, int steps) {
  auto pass = bench::steps_pass(std::move(state), steps, [] { nd::waitall(); });
  return [pass] { return pass() * 1e3; };
}

// A pass of `steps` ResNet-18 v1 training steps at batch 32, 3x32x32, 10 classes; milliseconds per step.
std::function<double()> resnet18_train_pass(bool hybridize, int steps) {
  struct State {
    std::shared_ptr<gluon::HybridBlock> net = gluon::model_zoo::vision::get_model("resnet18_v1", {.classes = 10});
    gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
    std::unique_ptr<gluon::Trainer> trainer;
    NDArray x = nd::random::uniform(0, 1, {32, 3, 32, 32});
    NDArray y = nd::random::randint(0, 10, {32}).astype(DType::kFloat32);
    void step() {
      NDArray loss;
      {
        autograd::record rec;
        loss = loss_fn((*net)(x), y);
      }
      loss.backward();
      trainer->step(32);
    }
  };
  auto st = std::make_shared<State>();
  st->net->initialize(init::Xavier());
  if (hybridize) st->net->hybridize();
  st->trainer = std::make_unique<gluon::Trainer>(st->net->collect_params(), "sgd",
                                                 std::map<std::string, double>{{"learning_rate", 0.05}, {"momentum", 0.9}});
  return training_pass(st, steps);
}

// A pass of `steps` seed MLP training steps at batch 128; milliseconds per step.
std::function<double()> train_step_pass(bool hybridize, int steps) {
  struct State {
    nn::HybridSequential net = make_mlp({784, 256, 10});
    gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
    std::unique_ptr<gluon::Trainer> trainer;
    NDArray x = nd::random::uniform(0, 1, {128, 784});
    NDArray y = nd::random::randint(0, 10, {128}).astype(DType::kFloat32);
    void step() {
      NDArray loss;
      {
        autograd::record rec;
        loss = loss_fn(net(x), y);
      }
      loss.backward();
      trainer->step(128);
    }
  };
  auto st = std::make_shared<State>();
  if (hybridize) st->net.hybridize();
  st->trainer = std::make_unique<gluon::Trainer>(st->net.collect_params(), "sgd",
                                                 std::map<std::string, double>{{"learning_rate", 0.1}});
  return training_pass(st, steps);
}

// A chain of cheap elementwise operators (scalar and array arithmetic, relu, square) on 512 x 1024 values, 2 MB
// an array, more than a core's cache: the case where running a bulked graph's elementwise steps tile by tile
// (graph/fusion.h) pays.
struct ElementwiseChain : gluon::HybridBlock {
  NDArray forward(const NDArray& h) override {
    return nd::relu(h * 0.5 + 1.0) * h - h * 0.25 + nd::square(h) * 0.125;
  }
};

std::function<double()> chain_pass(std::shared_ptr<ElementwiseChain> block, const NDArray& x, int calls) {
  (*block)(x).wait_to_read();  // traced (and laid out) before the timing
  return [block, x, calls] {
    return bench::seconds_of([&] {
             for (int c = 0; c < calls; ++c) (*block)(x).wait_to_read();
           }) / calls * 1e6;
  };
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const int calls = flags.quick ? 50 : 2000, rounds = flags.quick ? 1 : 5;
  nlohmann::json out;
  bench::report_blas_core(out);
  std::printf("hybridize: microseconds per forward at batch 1 (result read after each call); the methods take turns,"
              " best of %d rounds\n", rounds);
  struct Case {
    const char* name;
    std::vector<long> widths;
  };
  for (const Case& c : {Case{"seed MLP 784-256-10", {784, 256, 10}},
                        Case{"deep MLP 10 x 64", {64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 10}}}) {
    auto imperative_net = std::make_shared<nn::HybridSequential>(make_mlp(c.widths));
    auto hybrid_net = std::make_shared<nn::HybridSequential>(make_mlp(c.widths));
    auto static_net = std::make_shared<nn::HybridSequential>(make_mlp(c.widths));
    hybrid_net->hybridize();
    static_net->hybridize({.static_alloc = true});
    std::vector<std::function<double()>> passes = {forward_pass(imperative_net, c.widths.front(), calls),
                                                   forward_pass(hybrid_net, c.widths.front(), calls),
                                                   forward_pass(static_net, c.widths.front(), calls)};
    const std::size_t operations = hybrid_net->cache_info().operations;
    const auto torch = bench::passes_on_1_and_2_threads([&](int threads) { return bench::torch_forward_pass(c.widths, threads, calls); });
    for (const auto& t : torch) passes.push_back(t.pass);
    const std::vector<double> best = best_of_rounds(passes, rounds);
    const double imperative = best[0], hybrid = best[1], static_alloc = best[2];
    std::printf("  %-22s imperative %7.1f us (%zu engine ops)  hybridized %7.1f us (1 op)  static_alloc %7.1f us"
                "  -> %.2fx\n",
                c.name, imperative, operations, hybrid, static_alloc, imperative / std::min(hybrid, static_alloc));
    auto& row = out["batch1_forward_us"][c.name];
    row = {{"imperative", imperative}, {"hybridized", hybrid}, {"static_alloc", static_alloc},
           {"engine_ops_imperative", operations}, {"engine_ops_hybridized", 1},
           {"speedup", imperative / std::min(hybrid, static_alloc)}};
    if (!torch.empty()) {
      const double torch_best = *std::min_element(best.begin() + 3, best.end());
      std::printf("  %-22s libtorch   %7.1f us   hybridized / libtorch %.2f\n", "", torch_best,
                  std::min(hybrid, static_alloc) / torch_best);
      row["libtorch"] = torch_best;
      row["hybridized_over_libtorch"] = std::min(hybrid, static_alloc) / torch_best;
    }
  }
  {
    const int resnet_calls = flags.quick ? 1 : 20;
    // First, while no other network holds pool memory.
    const std::size_t imperative_bytes = resnet18_footprint(false), hybrid_bytes = resnet18_footprint(true);
    const auto imperative_net = gluon::model_zoo::vision::get_model("resnet18_v1");
    const auto hybrid_net = gluon::model_zoo::vision::get_model("resnet18_v1");
    imperative_net->initialize(init::Xavier());
    hybrid_net->initialize(init::Xavier());
    hybrid_net->hybridize({.static_alloc = true});
    std::vector<std::function<double()>> passes = {resnet18_pass(imperative_net, resnet_calls),
                                                   resnet18_pass(hybrid_net, resnet_calls)};
    const std::size_t operations = hybrid_net->cache_info().operations;
    const auto torch = bench::passes_on_1_and_2_threads([&](int threads) { return bench::torch_resnet18_pass(threads, resnet_calls); });
    for (const auto& t : torch) passes.push_back(t.pass);
    const std::vector<double> best = best_of_rounds(passes, rounds);
    const double imperative = best[0], hybrid = best[1];
    std::printf("ResNet-18 v1, batch 1, 224x224: imperative %.2f ms (%zu engine ops)  hybridized %.2f ms (1 op)  -> "
                "%.2fx\n",
                imperative, operations, hybrid, imperative / hybrid);
    std::printf("  CPU pool footprint over 3 forwards: imperative %.1f MB  hybridized, static_alloc %.1f MB\n",
                imperative_bytes / 1e6, hybrid_bytes / 1e6);
    auto& row = out["resnet18_batch1_ms"];
    row = {{"imperative", imperative}, {"hybridized", hybrid}, {"engine_ops_imperative", operations},
           {"speedup", imperative / hybrid}, {"pool_bytes_imperative", imperative_bytes},
           {"pool_bytes_static_alloc", hybrid_bytes}};
    if (!torch.empty()) {
      const double torch_best = *std::min_element(best.begin() + 2, best.end());
      std::printf("                                libtorch %.2f ms   hybridized / libtorch %.2f\n", torch_best,
                  hybrid / torch_best);
      row["libtorch"] = torch_best;
      row["hybridized_over_libtorch"] = hybrid / torch_best;
    }
  }
  {
    const int train_steps = flags.quick ? 1 : 10;
    std::vector<std::function<double()>> passes = {resnet18_train_pass(false, train_steps),
                                                   resnet18_train_pass(true, train_steps)};
    const auto torch = bench::passes_on_1_and_2_threads([&](int threads) { return bench::torch_resnet18_train_pass(threads, train_steps); });
    for (const auto& t : torch) passes.push_back(t.pass);
    const std::vector<double> best = best_of_rounds(passes, rounds);
    const double imperative = best[0], hybrid = best[1];
    std::printf("ResNet-18 v1 training step, batch 32, 32x32: imperative %.1f ms  hybridized %.1f ms  -> %.2fx\n",
                imperative, hybrid, imperative / hybrid);
    auto& row = out["resnet18_train_batch32_ms"];
    row = {{"imperative", imperative}, {"hybridized", hybrid}, {"speedup", imperative / hybrid}};
    if (!torch.empty()) {
      const double torch_best = *std::min_element(best.begin() + 2, best.end());
      std::printf("                                             libtorch %.1f ms   hybridized / libtorch %.2f\n",
                  torch_best, hybrid / torch_best);
      row["libtorch"] = torch_best;
      row["hybridized_over_libtorch"] = hybrid / torch_best;
    }
  }
  const int steps = flags.quick ? 5 : 200;
  const std::vector<double> best = best_of_rounds({train_step_pass(false, steps), train_step_pass(true, steps)}, rounds);
  const double imperative = best[0], hybrid = best[1];
  std::printf("seed MLP training step, batch 128: imperative %.3f ms  hybridized %.3f ms  (hybridized / imperative "
              "%.2f)\n",
              imperative, hybrid, hybrid / imperative);
  out["train_step_ms"] = {{"imperative", imperative}, {"hybridized", hybrid}};
  {
    const NDArray x = nd::random::uniform(-1, 1, {512, 1024});
    const int chain_calls = flags.quick ? 2 : 50;
    auto imperative_chain = std::make_shared<ElementwiseChain>(), whole = std::make_shared<ElementwiseChain>(),
         tiled = std::make_shared<ElementwiseChain>();
    tiled->hybridize();
    whole->hybridize();
    std::vector<std::function<double()>> passes = {chain_pass(imperative_chain, x, chain_calls)};
    passes.push_back(chain_pass(tiled, x, chain_calls));
    graph::set_fusion_enabled(false);  // this one lays out its graph with whole steps
    passes.push_back(chain_pass(whole, x, chain_calls));
    graph::set_fusion_enabled(true);
    const std::vector<double> best = best_of_rounds(passes, rounds);
    std::printf("elementwise chain, 512 x 1024: imperative %.0f us  hybridized, whole steps %.0f us  hybridized, "
                "tiled %.0f us  (tiled / whole steps %.2f)\n",
                best[0], best[2], best[1], best[1] / best[2]);
    out["elementwise_chain_us"] = {{"imperative", best[0]}, {"whole_steps", best[2]}, {"tiled", best[1]}};
  }
  return bench::write_report(flags, out);
}
