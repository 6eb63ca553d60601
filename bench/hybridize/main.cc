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
// Usage: mx_bench_hybridize [--quick] [--json FILE].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "torch_peer.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;
using Clock = std::chrono::steady_clock;

nn::HybridSequential make_mlp(const std::vector<long>& widths) {
  nn::HybridSequential net;
  for (std::size_t i = 1; i < widths.size(); ++i) net.add(nn::Dense(widths[i], i + 1 < widths.size() ? "relu" : ""));
  net.initialize(init::Xavier());
  net(nd::zeros({1, widths.front()})).wait_to_read();  // deferred initialization, outside the timing
  return net;
}

// Microseconds per forward at batch 1, best of `repeats` runs of `calls`.
double forward_us(nn::HybridSequential& net, long in_units, int calls, int repeats) {
  const NDArray x = nd::random::uniform(0, 1, {1, in_units});
  net(x).wait_to_read();  // traces, when hybridized
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    for (int c = 0; c < calls; ++c) net(x).wait_to_read();
    best = std::min(best, std::chrono::duration<double, std::micro>(Clock::now() - start).count() / calls);
  }
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

struct ResNetInference {
  double imperative_ms = 0, hybrid_ms = 0;
  std::size_t operations = 0, imperative_bytes = 0, hybrid_bytes = 0;
};

// Milliseconds per ResNet-18 v1 forward at batch 1, 224x224, predicting; imperative, then hybridized with
// static_alloc; and the pool's footprint over three forwards each way.
ResNetInference resnet18_inference(int calls, int repeats) {
  const auto net = gluon::model_zoo::vision::get_model("resnet18_v1");
  net->initialize(init::Xavier());
  const NDArray x = nd::random::uniform(0, 1, {1, 3, 224, 224});
  auto three_calls = [&] {
    for (int c = 0; c < 3; ++c) (*net)(x).wait_to_read();
  };
  auto time = [&] {
    (*net)(x).wait_to_read();
    double best = std::numeric_limits<double>::max();
    for (int r = 0; r < repeats; ++r) {
      const auto start = Clock::now();
      for (int c = 0; c < calls; ++c) (*net)(x).wait_to_read();
      best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count() / calls);
    }
    return best;
  };
  ResNetInference result;
  result.imperative_ms = time();
  result.imperative_bytes = pool_footprint(three_calls);
  net->hybridize({.static_alloc = true});
  result.hybrid_ms = time();
  result.operations = net->cache_info().operations;
  net->clear_cache();  // the footprint includes the static workspace
  result.hybrid_bytes = pool_footprint(three_calls);
  return result;
}

// Milliseconds per ResNet-18 v1 training step at batch 32, 3x32x32, 10 classes.
double resnet18_train_ms(bool hybridize, int steps, int repeats) {
  const auto net = gluon::model_zoo::vision::get_model("resnet18_v1", {.classes = 10});
  net->initialize(init::Xavier());
  if (hybridize) net->hybridize();
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net->collect_params(), "sgd", {{"learning_rate", 0.05}, {"momentum", 0.9}});
  const NDArray x = nd::random::uniform(0, 1, {32, 3, 32, 32});
  const NDArray y = nd::random::randint(0, 10, {32}).astype(DType::kFloat32);
  auto step = [&] {
    NDArray loss;
    {
      autograd::record rec;
      loss = loss_fn((*net)(x), y);
    }
    loss.backward();
    trainer.step(32);
  };
  step();
  nd::waitall();
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    for (int s = 0; s < steps; ++s) step();
    nd::waitall();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count() / steps);
  }
  return best;
}

double train_step_ms(bool hybridize, int steps, int repeats) {
  nn::HybridSequential net = make_mlp({784, 256, 10});
  if (hybridize) net.hybridize();
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
  const NDArray x = nd::random::uniform(0, 1, {128, 784});
  const NDArray y = nd::random::randint(0, 10, {128}).astype(DType::kFloat32);
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    for (int s = 0; s < steps; ++s) {
      NDArray loss;
      {
        autograd::record rec;
        loss = loss_fn(net(x), y);
      }
      loss.backward();
      trainer.step(128);
    }
    nd::waitall();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count() / steps);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const int calls = flags.quick ? 50 : 2000, repeats = flags.quick ? 1 : 5;
  nlohmann::json out;
  bench::report_blas_core(out);
  std::printf("hybridize: microseconds per forward at batch 1 (result read after each call)\n");
  struct Case {
    const char* name;
    std::vector<long> widths;
  };
  for (const Case& c : {Case{"seed MLP 784-256-10", {784, 256, 10}},
                        Case{"deep MLP 10 x 64", {64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 10}}}) {
    nn::HybridSequential net = make_mlp(c.widths);
    const double imperative = forward_us(net, c.widths.front(), calls, repeats);
    net.hybridize();
    const double hybrid = forward_us(net, c.widths.front(), calls, repeats);
    const std::size_t operations = net.cache_info().operations;
    net.hybridize({.static_alloc = true});
    const double static_alloc = forward_us(net, c.widths.front(), calls, repeats);
    std::printf("  %-22s imperative %7.1f us (%zu engine ops)  hybridized %7.1f us (1 op)  static_alloc %7.1f us"
                "  -> %.2fx\n",
                c.name, imperative, operations, hybrid, static_alloc, imperative / std::min(hybrid, static_alloc));
    auto& row = out["batch1_forward_us"][c.name];
    row = {{"imperative", imperative}, {"hybridized", hybrid}, {"static_alloc", static_alloc},
           {"engine_ops_imperative", operations}, {"engine_ops_hybridized", 1},
           {"speedup", imperative / std::min(hybrid, static_alloc)}};
    double torch_best = std::numeric_limits<double>::max();
    for (int threads : {1, 2}) {
      if (auto t = bench::torch_forward_us(c.widths, threads, calls, repeats)) torch_best = std::min(torch_best, *t);
    }
    if (torch_best < std::numeric_limits<double>::max()) {
      std::printf("  %-22s libtorch   %7.1f us   hybridized / libtorch %.2f\n", "", torch_best,
                  std::min(hybrid, static_alloc) / torch_best);
      row["libtorch"] = torch_best;
      row["hybridized_over_libtorch"] = std::min(hybrid, static_alloc) / torch_best;
    }
  }
  {
    const int resnet_calls = flags.quick ? 1 : 20;
    const ResNetInference r = resnet18_inference(resnet_calls, repeats);
    const double imperative = r.imperative_ms, hybrid = r.hybrid_ms;
    std::printf("ResNet-18 v1, batch 1, 224x224: imperative %.2f ms (%zu engine ops)  hybridized %.2f ms (1 op)  -> "
                "%.2fx\n",
                imperative, r.operations, hybrid, imperative / hybrid);
    std::printf("  CPU pool footprint over 3 forwards: imperative %.1f MB  hybridized, static_alloc %.1f MB\n",
                r.imperative_bytes / 1e6, r.hybrid_bytes / 1e6);
    auto& row = out["resnet18_batch1_ms"];
    row = {{"imperative", imperative}, {"hybridized", hybrid}, {"engine_ops_imperative", r.operations},
           {"speedup", imperative / hybrid}, {"pool_bytes_imperative", r.imperative_bytes},
           {"pool_bytes_static_alloc", r.hybrid_bytes}};
    double torch_best = std::numeric_limits<double>::max();
    for (int threads : {1, 2}) {
      if (auto t = bench::torch_resnet18_ms(threads, resnet_calls, repeats)) torch_best = std::min(torch_best, *t);
    }
    if (torch_best < std::numeric_limits<double>::max()) {
      std::printf("                                libtorch %.2f ms   hybridized / libtorch %.2f\n", torch_best,
                  hybrid / torch_best);
      row["libtorch"] = torch_best;
      row["hybridized_over_libtorch"] = hybrid / torch_best;
    }
  }
  {
    const int train_steps = flags.quick ? 1 : 10;
    const double imperative = resnet18_train_ms(false, train_steps, repeats);
    const double hybrid = resnet18_train_ms(true, train_steps, repeats);
    std::printf("ResNet-18 v1 training step, batch 32, 32x32: imperative %.1f ms  hybridized %.1f ms  -> %.2fx\n",
                imperative, hybrid, imperative / hybrid);
    auto& row = out["resnet18_train_batch32_ms"];
    row = {{"imperative", imperative}, {"hybridized", hybrid}, {"speedup", imperative / hybrid}};
    double torch_best = std::numeric_limits<double>::max();
    for (int threads : {1, 2}) {
      if (auto t = bench::torch_resnet18_train_ms(threads, train_steps, repeats)) torch_best = std::min(torch_best, *t);
    }
    if (torch_best < std::numeric_limits<double>::max()) {
      std::printf("                                             libtorch %.1f ms   hybridized / libtorch %.2f\n",
                  torch_best, hybrid / torch_best);
      row["libtorch"] = torch_best;
      row["hybridized_over_libtorch"] = hybrid / torch_best;
    }
  }
  const int steps = flags.quick ? 5 : 200;
  const double imperative = train_step_ms(false, steps, repeats), hybrid = train_step_ms(true, steps, repeats);
  std::printf("seed MLP training step, batch 128: imperative %.3f ms  hybridized %.3f ms  (hybridized / imperative "
              "%.2f)\n",
              imperative, hybrid, hybrid / imperative);
  out["train_step_ms"] = {{"imperative", imperative}, {"hybridized", hybrid}};
  return bench::write_report(flags, out);
}
