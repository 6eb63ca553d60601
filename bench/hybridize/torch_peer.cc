// The same MLPs in libtorch C++: nn::Sequential of Linear and ReLU, called under NoGradGuard.
#include "torch_peer.h"

#include <torch/torch.h>

#include <memory>

#include "../common/interleaved.h"
#include "../common/standalone_blas.h"

namespace bench {

std::function<double()> torch_forward_pass(const std::vector<long>& widths, int threads, int calls) {
  torch::manual_seed(0);
  torch::nn::Sequential net;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    net->push_back(torch::nn::Linear(widths[i], widths[i + 1]));
    if (i + 2 < widths.size()) net->push_back(torch::nn::ReLU());
  }
  const auto x = torch::rand({1, widths.front()});
  return [net, x, threads, calls]() mutable {
    at::set_num_threads(threads);
    StandaloneBlasThreads blas;  // OpenBLAS threaded as libtorch has it alone
    torch::NoGradGuard no_grad;
    float sink = 0;
    const double seconds = seconds_of([&] {
      for (int c = 0; c < calls; ++c) sink += net->forward(x).data_ptr<float>()[0];
    });
    return seconds / calls * 1e6 + 0 * sink;
  };
}

namespace {

torch::nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, std::int64_t pad) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(pad).bias(false));
}

// torchvision's BasicBlock.
struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride)
      : conv1(register_module("conv1", conv(in, out, 3, stride, 1))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
        conv2(register_module("conv2", conv(out, out, 3, 1, 1))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      downsample = register_module("downsample",
                                   torch::nn::Sequential(conv(in, out, 1, stride, 0), torch::nn::BatchNorm2d(out)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return torch::relu(y + (downsample ? downsample->forward(x) : x));
  }
  torch::nn::Conv2d conv1, conv2;
  torch::nn::BatchNorm2d bn1, bn2;
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct ResNet18Impl : torch::nn::Module {
  explicit ResNet18Impl(std::int64_t classes = 1000) {
    stem = register_module("stem", torch::nn::Sequential(conv(3, 64, 7, 2, 3), torch::nn::BatchNorm2d(64),
                                                         torch::nn::ReLU(),
                                                         torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1))));
    const std::int64_t widths[] = {64, 128, 256, 512};
    std::int64_t in = 64;
    for (int stage = 0; stage < 4; ++stage) {
      const std::int64_t stride = stage == 0 ? 1 : 2;
      blocks->push_back(BasicBlock(in, widths[stage], stride));
      blocks->push_back(BasicBlock(widths[stage], widths[stage], 1));
      in = widths[stage];
    }
    register_module("blocks", blocks);
    fc = register_module("fc", torch::nn::Linear(512, classes));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = blocks->forward(stem->forward(x));
    return fc(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }
  torch::nn::Sequential stem{nullptr}, blocks;
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet18);

}  // namespace

std::function<double()> torch_resnet18_pass(int threads, int calls) {
  torch::manual_seed(0);
  ResNet18 net;
  net->eval();
  const auto x = torch::rand({1, 3, 224, 224});
  return [net, x, threads, calls]() mutable {
    at::set_num_threads(threads);
    StandaloneBlasThreads blas;
    torch::NoGradGuard no_grad;
    float sink = 0;
    const double seconds = seconds_of([&] {
      for (int c = 0; c < calls; ++c) sink += net->forward(x).data_ptr<float>()[0];
    });
    return seconds / calls * 1e3 + 0 * sink;
  };
}

std::function<double()> torch_resnet18_train_pass(int threads, int steps) {
  torch::manual_seed(0);
  struct State {
    ResNet18 net{10};
    torch::optim::SGD sgd{net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9)};
    torch::Tensor x = torch::rand({32, 3, 32, 32}), y = torch::randint(0, 10, {32}, torch::kLong);
    float step() {
      sgd.zero_grad();
      torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), y);
      loss.backward();
      sgd.step();
      return loss.item<float>();
    }
  };
  auto state = std::make_shared<State>();
  state->net->train();
  return [state, threads, steps] {
    at::set_num_threads(threads);
    StandaloneBlasThreads blas;
    float sink = 0;
    const double seconds = seconds_of([&] {
      for (int s = 0; s < steps; ++s) sink += state->step();
    });
    return seconds / steps * 1e3 + 0 * sink;
  };
}

}  // namespace bench
