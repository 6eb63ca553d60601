// The seed tutorial ("PyTorch vs Apache MXNet"), its MXNet column step by step in C++: NDArray basics, the
// Fashion-MNIST data pipeline, the MLP, its loss and trainer, five epochs of training, then the test accuracy.
//   seed_tutorial [--epochs N] [--data DIR] [--logdir DIR]
// --logdir writes the loss and accuracy for TensorBoard (gluon::contrib::SummaryWriter).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <mx/mx.h>

#include "cli.h"
#include "progress.h"

namespace {

int run(int argc, char** argv) {
  using namespace mx;
  namespace nn = gluon::nn;
  namespace data = gluon::data;
  using data::vision::transforms::Compose, data::vision::transforms::ToTensor, data::vision::transforms::Normalize;

  int epochs = 5;
  std::string root = "/usr/share/datasets/fashion-mnist", logdir;
  for (int i = 1; i < argc; i += 2) {
    const std::string option = argv[i];
    if (i + 1 == argc || (option != "--epochs" && option != "--data" && option != "--logdir")) {
      std::fprintf(stderr, "usage: %s [--epochs N] [--data DIR] [--logdir DIR]\n", argv[0]);
      return 2;
    }
    const std::string value = argv[i + 1];
    if (option == "--epochs") epochs = static_cast<int>(examples::whole_number(option, value));
    else if (option == "--data") root = value;
    else logdir = value;
  }
  std::unique_ptr<gluon::contrib::SummaryWriter> summary;
  if (!logdir.empty()) summary = std::make_unique<gluon::contrib::SummaryWriter>(logdir);

  // Data manipulation.
  auto x = nd::ones({5, 3});
  auto y = x + 1;
  std::cout << y << "\n";

  // 1. Read data.
  auto trans = Compose({ToTensor(), Normalize(0.13, 0.31)});
  data::DataLoader train_data(data::vision::FashionMNIST(root, /*train=*/true).transform_first(trans),
                              {.batch_size = 128, .shuffle = true, .num_workers = 4});

  // 2. The model: the input size of the first layer is learned at the first forward pass.
  nn::Sequential net;
  net.add(nn::Dense(256, "relu"), nn::Dense(10));
  net.initialize();

  // 3. Loss and optimization algorithm.
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});

  // 4. Training.
  std::int64_t step = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double total_loss = 0;
    const auto tic = std::chrono::steady_clock::now();
    examples::Progress progress(train_data.size(), "epoch " + std::to_string(epoch));
    for (auto [X, y] : train_data) {
      NDArray loss;
      {
        autograd::record record;
        loss = loss_fn(net(X), y);
      }
      loss.backward();
      trainer.step(128);
      const double batch_loss = loss.mean().asscalar<float>();  // the batch-end sync point
      total_loss += batch_loss;
      progress.step(X.shape()[0], batch_loss);
      if (summary && step % 100 == 0) summary->add_scalar("batch loss", batch_loss, step);
      ++step;
    }
    progress.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tic).count();
    const double avg_loss = total_loss / static_cast<double>(train_data.size());
    std::printf("epoch %d, avg loss %.4f, time %.2f\n", epoch, avg_loss, seconds);
    if (summary) summary->add_scalar("avg loss", avg_loss, epoch);
  }

  // Test accuracy on the 10,000 test images.
  data::DataLoader test_data(data::vision::FashionMNIST(root, /*train=*/false).transform_first(trans),
                             {.batch_size = 1000, .num_workers = 2});
  metric::Accuracy accuracy;
  for (auto [X, y] : test_data) accuracy.update(y, net(X));
  std::printf("test accuracy %.4f\n", accuracy.get().second);
  if (summary) summary->add_scalar("test accuracy", accuracy.get().second, epochs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return examples::report_errors(argv[0], [&] { return run(argc, argv); });
}
