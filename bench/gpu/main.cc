// The GPU benchmark, run on the device beside PyTorch (bench/gpu/torch_peer.py, started by bench/gpu/run.sh in
// the same command): engine overhead as `y = x + 1` on a one-element GPU array (ns per operation, independent
// operations and a dependent chain), the seed tutorial's MLP (784-256-10, batch 128, SGD) over one epoch of
// Fashion-MNIST's size preloaded on the GPU (seconds per epoch), a ResNet-50 training step (v1b here,
// torchvision's resnet50 there: the same network; batch 128 of 224x224, SGD with momentum) in float32 and in
// mixed precision (float16), images per second; and ResNet-50's gradients all-reduced by the nccl store against
// one NCCL group issued directly (ms per pass). With --torch FILE, the peer's figures (its JSON) are printed
// beside ours.
// Usage: mx_bench_gpu [--quick] [--json FILE] [--torch FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <mx/mx.h>
#include <mx/gluon/amp.h>
#include <mx/gluon/model_zoo/vision.h>
#include <mx/ndarray/device_memory.h>

#include "../common/bench_cli.h"
#include "../common/resnet50_gradients.h"
#include "../../kvstore/nccl.h"

namespace {

using mx::NDArray;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Best of `rounds` rounds of `ops` operations, in ns per operation.
double tiny_op_ns(bool chained, int ops, int rounds) {
  const NDArray x = mx::nd::ones({1}, mx::gpu(0));
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < rounds; ++r) {
    mx::nd::waitall();
    NDArray y = x;
    const auto start = Clock::now();
    for (int i = 0; i < ops; ++i) y = (chained ? y : x) + 1;
    y.wait_to_read();
    mx::nd::waitall();
    best = std::min(best, seconds_since(start) * 1e9 / ops);
  }
  return best;
}

// One epoch of the seed MLP over data already on the GPU; the best of `epochs` after one warm-up epoch.
double mlp_epoch_seconds(int batches, int epochs) {
  namespace nn = mx::gluon::nn;
  constexpr std::int64_t kBatch = 128;
  const mx::Context gpu = mx::gpu(0);
  mx::random::seed(0);
  const NDArray x = mx::nd::random::normal(0, 1, {kBatch * batches, 784}, gpu);
  const NDArray y = mx::nd::floor(mx::nd::random::uniform(0, 10, {kBatch * batches}, gpu));
  nn::Sequential net;
  net.add(nn::Dense(256, "relu"), nn::Dense(10));
  net.initialize(mx::init::Xavier(), {gpu});
  mx::gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  mx::gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
  double best = std::numeric_limits<double>::infinity();
  for (int epoch = 0; epoch <= epochs; ++epoch) {
    mx::nd::waitall();
    const auto start = Clock::now();
    for (int b = 0; b < batches; ++b) {
      NDArray loss;
      {
        mx::autograd::record record;
        loss = loss_fn(net(x.slice(b * kBatch, (b + 1) * kBatch)), y.slice(b * kBatch, (b + 1) * kBatch));
      }
      loss.backward();
      trainer.step(kBatch);
    }
    mx::nd::waitall();
    if (epoch > 0) best = std::min(best, seconds_since(start));
  }
  return best;
}

// Images per second over `steps` ResNet-50 training steps after `warmup`, data already on the GPU.
double resnet50_images_per_second(std::int64_t batch, int warmup, int steps, bool mixed_precision) {
  const mx::Context gpu = mx::gpu(0);
  mx::random::seed(0);
  const NDArray x = mx::nd::random::normal(0, 1, {batch, 3, 224, 224}, gpu);
  const NDArray y = mx::nd::floor(mx::nd::random::uniform(0, 1000, {batch}, gpu));
  auto net = mx::gluon::model_zoo::vision::get_model("resnet50_v1b");  // torchvision's resnet50
  net->initialize(mx::init::Xavier(), {gpu});
  mx::gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  mx::gluon::Trainer trainer(net->collect_params(), "sgd", {{"learning_rate", 0.01}, {"momentum", 0.9}});
  std::optional<mx::amp::scope> amp_on;
  if (mixed_precision) {
    amp_on.emplace(mx::DType::kFloat16);
    mx::amp::init_trainer(trainer);
  }
  auto step = [&] {
    NDArray loss;
    {
      mx::autograd::record record;
      loss = loss_fn((*net)(x), y);
      if (mixed_precision) loss = mx::amp::scale_loss(loss, trainer);
    }
    loss.backward();
    trainer.step(batch);
  };
  for (int i = 0; i < warmup; ++i) step();
  mx::nd::waitall();
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) step();
  mx::nd::waitall();
  return static_cast<double>(batch * steps) / seconds_since(start);
}

// ResNet-50's gradient arrays on the GPU, summed by the nccl store's pushpull (in place, as the Trainer calls it)
// against the same arrays given to one NCCL group of in-place all-reduces issued directly (kvstore/nccl.h) inside
// one engine operation: ms per pass, best of `rounds`. With one GPU both are copies within it: the difference is
// what the store adds (its engine operations and its reduce-then-broadcast).
struct AllreduceTimes {
  double store_ms, raw_ms;
};
AllreduceTimes nccl_allreduce_ms(int rounds) {
  using mx::kvstore::detail::NcclCall;
  const std::vector<mx::Shape> shapes = bench::resnet50_gradient_shapes();
  std::vector<NDArray> grads;
  std::vector<mx::kvstore::Key> keys;
  std::vector<std::vector<NDArray>> lists;
  std::vector<int> priorities;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    grads.push_back(mx::nd::ones(shapes[i], mx::gpu(0)));
    keys.emplace_back(static_cast<int>(i));
    lists.push_back({grads.back()});
    priorities.push_back(-static_cast<int>(i));
  }
  auto store = mx::kvstore::create("nccl");
  store->init(keys, grads);
  const auto clique = mx::kvstore::detail::NcclClique::local({0});
  std::vector<NcclCall> calls;
  std::vector<mx::engine::VarHandle> vars;
  for (const NDArray& g : grads) {
    calls.push_back({.kind = NcclCall::Kind::kAllReduce, .member = 0, .send = g.blob().data, .recv = g.blob().data,
                     .count = static_cast<std::size_t>(g.size()), .dtype = g.dtype(), .root = 0});
    vars.push_back(g.var());
  }
  auto best_ms = [&](auto&& pass) {
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r <= rounds; ++r) {  // the first round warms up
      mx::nd::waitall();
      const auto start = Clock::now();
      pass();
      mx::nd::waitall();
      if (r > 0) best = std::min(best, seconds_since(start) * 1e3);
    }
    return best;
  };
  AllreduceTimes times{};
  times.store_ms = best_ms([&] { store->pushpull(keys, lists, lists, priorities); });
  times.raw_ms = best_ms([&] {
    for (const NDArray& g : grads) g.bump_version();
    mx::engine::Engine::get().push_sync(
        [&clique, &calls](mx::engine::RunContext run) { clique->enqueue(calls, run.stream, 0, "raw all-reduce"); },
        mx::gpu(0), {}, vars, {.name = "RawNcclAllreduce"});
  });
  return times;
}

void print_row(const char* what, double ours, const nlohmann::json& torch, const char* key, const char* unit) {
  if (torch.contains(key)) {
    const double theirs = torch[key].get<double>();
    std::printf("%-34s mxpp %10.3f %s   PyTorch %10.3f %s   mxpp/PyTorch %.2f\n", what, ours, unit, theirs, unit,
                ours / theirs);
  } else {
    std::printf("%-34s mxpp %10.3f %s\n", what, ours, unit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags;
  std::string torch_path;
  for (int i = 1; i < argc; ++i) {
    if (bench::take_common_flag(argc, argv, i, flags)) continue;
    if (std::strcmp(argv[i], "--torch") == 0 && i + 1 < argc) {
      torch_path = argv[++i];
      continue;
    }
    std::fprintf(stderr, "usage: %s [--quick] [--json FILE] [--torch FILE]\n", argv[0]);
    return 2;
  }
  if (mx::num_gpus() == 0) {
    std::printf("no CUDA device: nothing to measure\n");
    return 0;
  }
  nlohmann::json torch = nlohmann::json::object();
  if (!torch_path.empty()) std::ifstream(torch_path) >> torch;
  const int ops = flags.quick ? 1000 : 20000, rounds = flags.quick ? 2 : 5;
  const int batches = flags.quick ? 20 : 469, epochs = flags.quick ? 1 : 3;
  nlohmann::json report = {
      {"device", "gpu(0)"},
      {"tiny_op_ns", tiny_op_ns(false, ops, rounds)},
      {"tiny_op_chain_ns", tiny_op_ns(true, ops, rounds)},
      {"mlp_epoch_s", mlp_epoch_seconds(batches, epochs)},
  };
  const std::int64_t resnet_batch = flags.quick ? 8 : 128;
  const int warmup = flags.quick ? 1 : 5, steps = flags.quick ? 2 : 20;
  report["resnet50_fp32_images_s"] = resnet50_images_per_second(resnet_batch, warmup, steps, false);
  report["resnet50_amp_images_s"] = resnet50_images_per_second(resnet_batch, warmup, steps, true);
  const AllreduceTimes allreduce = nccl_allreduce_ms(flags.quick ? 2 : 10);
  report["nccl_store_resnet50_ms"] = allreduce.store_ms;
  report["nccl_raw_resnet50_ms"] = allreduce.raw_ms;
  if (torch.contains("device")) std::printf("device: %s\n", torch["device"].get<std::string>().c_str());
  if (torch.contains("tf32")) {  // the peer follows mxpp's variables (torch_peer.py), so both did the same
    std::printf("float32 products and convolutions: TF32 tensor cores %s in both (MX_CUDA_ALLOW_TF32)\n",
                torch["tf32"].get<bool>() ? "on" : "off");
  }
  print_row("x + 1, 1 element, independent", report["tiny_op_ns"], torch, "tiny_op_ns", "ns/op");
  print_row("y = y + 1, 1 element, chained", report["tiny_op_chain_ns"], torch, "tiny_op_chain_ns", "ns/op");
  print_row("seed MLP epoch (469 x 128, on GPU)", report["mlp_epoch_s"], torch, "mlp_epoch_s", "s");
  print_row("ResNet-50 step, float32", report["resnet50_fp32_images_s"], torch, "resnet50_fp32_images_s", "img/s");
  print_row("ResNet-50 step, float16 AMP", report["resnet50_amp_images_s"], torch, "resnet50_amp_images_s", "img/s");
  std::printf("%-34s nccl store %8.3f ms   one NCCL group %8.3f ms   store/raw %.2f\n",
              "ResNet-50 gradients, all-reduce", allreduce.store_ms, allreduce.raw_ms,
              allreduce.store_ms / allreduce.raw_ms);
  return bench::write_report(flags, report);
}
