// A LeNet-style CNN with BatchNorm and Dropout on Fashion-MNIST: five epochs, the test accuracy, then the
// parameters saved, reloaded into a fresh network, and the reloaded network scored again.
//   train_cnn [--epochs N] [--data DIR]
#include <chrono>
#include <cstdio>
#include <string>

#include <mx/mx.h>

#include "cli.h"
#include "progress.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;
namespace data = gluon::data;

nn::Sequential lenet() {
  nn::Sequential net;
  net.add(nn::Conv2D(20, {5}), nn::BatchNorm(), nn::Activation("relu"), nn::MaxPool2D(),
          nn::Conv2D(50, {5}), nn::BatchNorm(), nn::Activation("relu"), nn::MaxPool2D(),
          nn::Flatten(), nn::Dense(500, "relu"), nn::Dropout(0.5), nn::Dense(10));
  return net;
}

double test_accuracy(nn::Sequential& net, data::DataLoader& test_data) {
  metric::Accuracy accuracy;
  for (auto [X, y] : test_data) accuracy.update(y, net(X));
  return accuracy.get().second;
}

int run(int argc, char** argv) {
  using data::vision::transforms::Compose, data::vision::transforms::ToTensor, data::vision::transforms::Normalize;
  int epochs = 5;
  std::string root = "/usr/share/datasets/fashion-mnist";
  for (int i = 1; i < argc; i += 2) {
    const std::string option = argv[i];
    if (i + 1 == argc || (option != "--epochs" && option != "--data")) {
      std::fprintf(stderr, "usage: %s [--epochs N] [--data DIR]\n", argv[0]);
      return 2;
    }
    if (option == "--epochs") epochs = static_cast<int>(examples::whole_number(option, argv[i + 1]));
    else root = argv[i + 1];
  }
  auto trans = Compose({ToTensor(), Normalize(0.286, 0.353)});
  data::DataLoader train_data(data::vision::FashionMNIST(root, true).transform_first(trans),
                              {.batch_size = 128, .shuffle = true, .num_workers = 2});
  data::DataLoader test_data(data::vision::FashionMNIST(root, false).transform_first(trans),
                             {.batch_size = 500, .num_workers = 2});

  nn::Sequential net = lenet();
  net.initialize(init::Xavier());
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.05}, {"momentum", 0.9}, {"wd", 1e-4}});
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
      trainer.step(X.shape()[0]);
      const double batch_loss = loss.mean().asscalar<float>();
      total_loss += batch_loss;
      progress.step(X.shape()[0], batch_loss);
    }
    progress.finish();
    std::printf("epoch %d, avg loss %.4f, time %.2f\n", epoch, total_loss / static_cast<double>(train_data.size()),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - tic).count());
  }
  const double accuracy = test_accuracy(net, test_data);
  std::printf("test accuracy %.4f\n", accuracy);

  const std::string path = "train_cnn.params";
  net.save_parameters(path);
  nn::Sequential reloaded = lenet();
  reloaded.load_parameters(path);
  const double reloaded_accuracy = test_accuracy(reloaded, test_data);
  std::printf("reloaded from %s: test accuracy %.4f (%s)\n", path.c_str(), reloaded_accuracy,
              reloaded_accuracy == accuracy ? "the same" : "DIFFERENT");
  return reloaded_accuracy == accuracy ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return examples::report_errors(argv[0], [&] { return run(argc, argv); });
}
