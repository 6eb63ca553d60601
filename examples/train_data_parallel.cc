// Data-parallel training, the seed tutorial's "Multi-GPU training" and "Distributed training" rows: the batch
// split over a list of contexts, one backward over their losses, and the Trainer summing gradients through a
// kvstore; under mpirun every process reads its own shard and the gradients are summed across processes too.
//
//   train_data_parallel --ctx cpu:0,cpu:1                      # two devices, one process (kvstore "device")
//   mx-launch -n 2 ./train_data_parallel --ctx cpu:0           # two processes (kvstore "dist_sync")
//
// Options: --net mlp|cnn|cnn-bn|cnn-syncbn (the seed's MLP, a LeNet, or the LeNet with BatchNorm after each
// convolution, its statistics per context or, SyncBatchNorm, over every context of the process), --epochs N, --batch-size N (per process), --kvstore TYPE,
// --data DIR (Fashion-MNIST), --synthetic N (N generated images instead: a quick check without the dataset),
// --gc-type 2bit|1bit and --gc-threshold X (the store sends compressed gradients, as MXNet's example's flags).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include <mx/mx.h>

#include "cli.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;
namespace data = gluon::data;

struct Options {
  std::vector<Context> ctx = {cpu(0)};
  std::string net = "mlp", kvstore, root = "/usr/share/datasets/fashion-mnist";
  int epochs = 2;
  std::int64_t batch_size = 128, synthetic = 0;
  std::string gc_type = "none";
  double gc_threshold = 0.5;
};

// "cpu:0,cpu:1" or "gpu:0,gpu:1".
std::vector<Context> parse_contexts(const std::string& text) {
  std::vector<Context> contexts;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    const auto colon = item.find(':');
    const std::string kind = item.substr(0, colon);
    const std::string number = colon == std::string::npos ? "0" : item.substr(colon + 1);
    const int id = static_cast<int>(examples::whole_number("--ctx", number, 0));
    if (kind == "cpu") contexts.push_back(cpu(id));
    else if (kind == "gpu") contexts.push_back(gpu(id));
    else throw Error("--ctx: expected cpu:N or gpu:N, got '" + item + "'");
  }
  if (contexts.empty()) throw Error("--ctx: no context given");
  return contexts;
}

Options parse(int argc, char** argv) {
  Options o;
  // Under mpirun the processes sum across each other; on its own, the contexts of one process do.
  o.kvstore = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr ? "dist_sync" : "device";
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw Error("missing a value after " + flag);
    const std::string value = argv[i + 1];
    if (flag == "--ctx") o.ctx = parse_contexts(value);
    else if (flag == "--net") o.net = value;
    else if (flag == "--kvstore") o.kvstore = value;
    else if (flag == "--data") o.root = value;
    else if (flag == "--epochs") o.epochs = static_cast<int>(examples::whole_number(flag, value));
    else if (flag == "--batch-size") o.batch_size = examples::whole_number(flag, value);
    else if (flag == "--synthetic") o.synthetic = examples::whole_number(flag, value);
    else if (flag == "--gc-type") o.gc_type = value;
    else if (flag == "--gc-threshold") o.gc_threshold = examples::real_number(flag, value);
    else throw Error("unknown option " + flag);
  }
  if (o.net != "mlp" && o.net != "cnn" && o.net != "cnn-bn" && o.net != "cnn-syncbn") {
    throw Error("--net: mlp, cnn, cnn-bn or cnn-syncbn, got '" + o.net + "'");
  }
  return o;
}

nn::Sequential make_net(const std::string& kind) {
  nn::Sequential net;
  if (kind == "mlp") {
    net.add(nn::Flatten(), nn::Dense(256, "relu"), nn::Dense(10));
  } else if (kind == "cnn") {
    net.add(nn::Conv2D(20, {5}), nn::Activation("relu"), nn::MaxPool2D(), nn::Conv2D(50, {5}),
            nn::Activation("relu"), nn::MaxPool2D(), nn::Flatten(), nn::Dense(500, "relu"), nn::Dense(10));
  } else if (kind == "cnn-bn") {
    net.add(nn::Conv2D(20, {5}), nn::BatchNorm(), nn::Activation("relu"), nn::MaxPool2D(), nn::Conv2D(50, {5}),
            nn::BatchNorm(), nn::Activation("relu"), nn::MaxPool2D(), nn::Flatten(), nn::Dense(500, "relu"),
            nn::Dense(10));
  } else {
    using gluon::contrib::nn::SyncBatchNorm;
    net.add(nn::Conv2D(20, {5}), SyncBatchNorm(), nn::Activation("relu"), nn::MaxPool2D(), nn::Conv2D(50, {5}),
            SyncBatchNorm(), nn::Activation("relu"), nn::MaxPool2D(), nn::Flatten(), nn::Dense(500, "relu"),
            nn::Dense(10));
  }
  return net;
}

// Images whose class k brightens the k-th band of rows: learnable in a few steps.
data::ArrayDataset synthetic_images(std::int64_t n) {
  random::seed(3);  // the same images in every process
  NDArray x = nd::random::uniform(0, 0.5, {n, 1, 28, 28});
  std::vector<float> pixels = x.asnumpy<float>(), labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(i % 10);
    labels[static_cast<std::size_t>(i)] = static_cast<float>(k);
    for (int row = 2 * k + 4; row < 2 * k + 6; ++row) {
      for (int col = 0; col < 28; ++col) pixels[static_cast<std::size_t>(i * 784 + row * 28 + col)] += 0.5f;
    }
  }
  return data::ArrayDataset(nd::array(pixels, Shape{n, 1, 28, 28}), nd::array(labels));
}

int run_training(const Options& o) {
  using data::vision::transforms::Compose, data::vision::transforms::ToTensor, data::vision::transforms::Normalize;
  // The store first: its rank and number of workers choose this process's shard of the data.
  auto kv = kvstore::create(o.kvstore);
  const int rank = kv->rank(), workers = kv->num_workers();

  std::shared_ptr<const data::Dataset> train, test;
  if (o.synthetic > 0) {
    train = std::make_shared<data::ArrayDataset>(synthetic_images(o.synthetic));
    test = train;
  } else {
    auto trans = Compose({ToTensor(), Normalize(0.13, 0.31)});
    train = std::make_shared<data::TransformedDataset>(data::vision::FashionMNIST(o.root, true).transform_first(trans));
    test = std::make_shared<data::TransformedDataset>(data::vision::FashionMNIST(o.root, false).transform_first(trans));
  }
  data::DataLoader train_data(train, {.batch_size = static_cast<std::size_t>(o.batch_size),
                                      .sampler = std::make_shared<data::SplitSampler>(train->size(), workers, rank),
                                      .last_batch = data::LastBatch::kDiscard, .num_workers = 2});
  data::DataLoader test_data(test, {.batch_size = 500});

  nn::Sequential net = make_net(o.net);
  net.initialize(init::Xavier(), o.ctx);
  net(nd::zeros({1, 1, 28, 28}, o.ctx[0]));  // shapes known: the Trainer hands rank 0's values to every rank now
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  std::optional<kvstore::GradientCompression> compression;
  if (o.gc_type != "none") compression = kvstore::GradientCompression{.type = o.gc_type, .threshold = o.gc_threshold};
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}, {"momentum", 0.9}}, kv, compression);
  if (rank == 0) {
    std::printf("%d process(es) x %zu context(s), kvstore %s%s, %s, %zu batches of %lld per process and epoch\n",
                workers, o.ctx.size(), kv->type().c_str(), compression ? (" (" + o.gc_type + " gradients)").c_str() : "",
                o.net.c_str(), train_data.size(), static_cast<long long>(o.batch_size));
  }
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    const auto tic = std::chrono::steady_clock::now();
    double total_loss = 0;
    for (auto [X, y] : train_data) {
      const auto xs = gluon::utils::split_and_load(X, o.ctx, 0, /*even_split=*/false);
      const auto ys = gluon::utils::split_and_load(y, o.ctx, 0, /*even_split=*/false);
      std::vector<NDArray> losses;
      {
        autograd::record record;
        for (std::size_t i = 0; i < o.ctx.size(); ++i) losses.push_back(loss_fn(net(xs[i]), ys[i]));
      }
      autograd::backward(losses);
      trainer.step(static_cast<double>(X.shape()[0] * workers));  // the samples of the whole step
      for (const NDArray& l : losses) total_loss += l.sum().asscalar<float>();  // the batch-end sync point
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tic).count();
    const double samples = static_cast<double>(train_data.size() * static_cast<std::size_t>(o.batch_size));
    if (rank == 0) std::printf("epoch %d, avg loss %.4f (rank 0's shard), time %.2f s\n", epoch, total_loss / samples, seconds);
  }
  metric::Accuracy accuracy;
  for (auto [X, y] : test_data) accuracy.update(y, net(X.as_in_context(o.ctx[0])));
  if (rank == 0) std::printf("test accuracy %.4f\n", accuracy.get().second);
  kv->barrier();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\nusage: %s [--ctx cpu:0,cpu:1] [--net mlp|cnn|cnn-bn|cnn-syncbn] [--epochs N] [--batch-size N] "
                 "[--kvstore TYPE] [--data DIR] [--synthetic N] [--gc-type 2bit|1bit] [--gc-threshold X]\n", e.what(), argv[0]);
    return 2;
  }
  try {
    return run_training(o);
  } catch (const std::exception& e) {
    // Out at once, past MPI's finalize, which would wait for the other ranks (still in a collective): mpirun
    // then stops them.
    std::fprintf(stderr, "%s: error: %s\n", argv[0], e.what());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
  }
}
