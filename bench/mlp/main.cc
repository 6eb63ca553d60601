// The seed tutorial's training epoch (Fashion-MNIST, 784-256-10 MLP, batch 128, SGD 0.1) three ways in one run:
// mxpp with the tutorial's DataLoader pipeline (ToTensor + Normalize per sample, 4 workers), mxpp over preloaded
// arrays, and libtorch over the same preloaded arrays on 1 and 2 threads. Seconds per epoch, the methods taking
// turns, best of 3 rounds.
// Without the dataset (Debian's dataset-fashion-mnist) it runs on random images of the same shape.
// Usage: mx_bench_mlp [--quick] [--json FILE].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "../common/interleaved.h"
#include "torch_peer.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;
namespace data = gluon::data;
using Clock = std::chrono::steady_clock;

constexpr const char* kRoot = "/usr/share/datasets/fashion-mnist";
constexpr int kBatch = 128;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Model {
  nn::Sequential net;
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  std::unique_ptr<gluon::Trainer> trainer;
  Model() {
    net.add(nn::Dense(256, "relu"), nn::Dense(10));
    net.initialize();
    net(nd::zeros({1, 784}));  // finishes the deferred initialization outside the timing
    trainer = std::make_unique<gluon::Trainer>(net.collect_params(), "sgd", std::map<std::string, double>{{"learning_rate", 0.1}});
  }
  void step(const NDArray& x, const NDArray& y) {
    NDArray loss;
    {
      autograd::record r;
      loss = loss_fn(net(x), y);
    }
    loss.backward();
    trainer->step(kBatch);
  }
};

// The tutorial's pipeline: per-sample ToTensor + Normalize on 4 workers, shuffled, batchified; a pass is an epoch.
template <class Dataset>
std::function<double()> pipeline_pass(const Dataset& dataset) {
  using data::vision::transforms::Compose, data::vision::transforms::ToTensor, data::vision::transforms::Normalize;
  struct State {
    Model model;
    data::DataLoader loader;
    explicit State(const Dataset& d)
        : loader(d.transform_first(Compose({ToTensor(), Normalize(0.13, 0.31)})),
                 {.batch_size = kBatch, .shuffle = true, .num_workers = 4}) {}
  };
  auto st = std::make_shared<State>(dataset);
  return [st] {
    const auto start = Clock::now();
    for (auto [x, y] : st->loader) st->model.step(x, y);
    nd::waitall();
    return seconds_since(start);
  };
}

// Preloaded: the normalized images as one array, batches sliced from a shuffled copy made before each epoch.
std::function<double()> preloaded_pass(const NDArray& images, const NDArray& labels) {
  auto model = std::make_shared<Model>();
  return [model, images, labels] {
    const std::int64_t n = labels.shape()[0];
    const NDArray order = nd::random::shuffle(nd::arange(0, static_cast<double>(n)));
    const NDArray x = nd::take(images, order), y = nd::take(labels, order);
    nd::waitall();
    const auto start = Clock::now();
    for (std::int64_t b = 0; b < n; b += kBatch) {
      const std::int64_t end = std::min(n, b + kBatch);
      model->step(x.slice(b, end), y.slice(b, end));
    }
    nd::waitall();
    return seconds_since(start);
  };
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const int rounds = flags.quick ? 1 : 3;
  const bool real = std::filesystem::exists(std::string(kRoot) + "/train-images-idx3-ubyte.gz");
  random::seed(0);
  nlohmann::json out{{"dataset", real ? "fashion-mnist" : "random"}, {"batch", kBatch}};
  bench::report_blas_core(out);

  // The images as uint8 (N, 28, 28, 1) and labels, from the dataset or random.
  NDArray raw_images, raw_labels;
  if (real) {
    const data::vision::FashionMNIST train(kRoot, true);
    raw_images = train.images();
    raw_labels = train.labels();
  } else {
    const std::int64_t n = flags.quick ? 1024 : 60000;
    raw_images = nd::floor(nd::random::uniform(0, 256, {n, 28, 28, 1})).astype(DType::kUint8);
    raw_labels = nd::floor(nd::random::uniform(0, 10, {n})).astype(DType::kInt32);
  }
  if (flags.quick) {
    raw_images = raw_images.slice(0, 1024);
    raw_labels = raw_labels.slice(0, 1024);
  }
  const std::int64_t n = raw_labels.shape()[0];
  std::printf("seed MLP epoch (%lld %s images, batch %d)\n", static_cast<long long>(n), real ? "Fashion-MNIST" : "random", kBatch);

  // The methods take turns, one epoch each per round (bench/common/interleaved.h); best of the rounds.
  const NDArray images = nd::image::normalize(nd::image::to_tensor(raw_images), {0.13}, {0.31}).reshape({n, 784});
  const NDArray labels = raw_labels.astype(DType::kFloat32);
  const std::vector<float> x = images.asnumpy<float>(), y = labels.asnumpy<float>();
  std::vector<std::function<double()>> passes = {pipeline_pass(data::ArrayDataset(raw_images, raw_labels)),
                                                 preloaded_pass(images, labels)};
  const auto torch = bench::passes_on_1_and_2_threads([&](int threads) { return bench::torch_epoch_pass(x, y, threads); });
  for (const auto& t : torch) passes.push_back(t.pass);
  const auto samples = bench::run_interleaved(passes, rounds);
  const double pipeline = bench::best_of(samples[0]), preloaded = bench::best_of(samples[1]);
  std::printf("  mxpp DataLoader pipeline   %.3f s\n  mxpp preloaded             %.3f s\n", pipeline, preloaded);
  out["mxpp_pipeline_s"] = pipeline;
  out["mxpp_preloaded_s"] = preloaded;
  out["pipeline_over_preloaded"] = pipeline / preloaded;
  double torch_best = std::numeric_limits<double>::max();
  for (std::size_t k = 0; k < torch.size(); ++k) {
    const double t = bench::best_of(samples[2 + k]);
    const int threads = torch[k].threads;
    std::printf("  libtorch preloaded, %d thread%s %.3f s\n", threads, threads > 1 ? "s" : " ", t);
    out["libtorch_s"][std::to_string(threads) + "_threads"] = t;
    torch_best = std::min(torch_best, t);
  }
  std::printf("  pipeline / preloaded %.2f (target <= 1.3)", pipeline / preloaded);
  if (!torch.empty()) {
    std::printf("   preloaded / libtorch-best %.2f (target <= 0.5)", preloaded / torch_best);
    out["preloaded_over_libtorch_best"] = preloaded / torch_best;
  }
  std::printf("\n");
  return bench::write_report(flags, out);
}
