// The same convolution workloads in libtorch (Debian's build runs its convolutions on oneDNN).
#include "torch_peer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>

#include "../common/standalone_blas.h"

namespace bench {
namespace {

double best_seconds(int steps, int repeats, const std::function<void()>& step) {
  step();
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps);
  }
  return best;
}

}  // namespace

std::optional<double> torch_lenet_seconds(int steps, int repeats) {
  StandaloneBlasThreads blas;  // OpenBLAS threaded as libtorch has it alone (its gemm-based convolutions)
  torch::manual_seed(0);
  auto x = torch::rand({128, 1, 28, 28});
  auto w1 = (torch::rand({20, 1, 5, 5}) - 0.5).requires_grad_(), b1 = torch::zeros({20}).requires_grad_();
  auto w2 = (torch::rand({50, 20, 5, 5}) * 0.1 - 0.05).requires_grad_(), b2 = torch::zeros({50}).requires_grad_();
  return best_seconds(steps, repeats, [&] {
    auto h = torch::max_pool2d(torch::relu(torch::conv2d(x, w1, b1)), 2, 2);
    auto out = torch::max_pool2d(torch::relu(torch::conv2d(h, w2, b2)), 2, 2);
    out.sum().backward();
    for (auto* p : {&w1, &b1, &w2, &b2}) p->mutable_grad() = torch::Tensor();
  });
}

std::optional<double> torch_resblock_seconds(int steps, int repeats) {
  StandaloneBlasThreads blas;  // OpenBLAS threaded as libtorch has it alone (its gemm-based convolutions)
  torch::manual_seed(0);
  auto x = torch::rand({32, 64, 56, 56}).requires_grad_();
  auto w1 = (torch::rand({64, 64, 3, 3}) * 0.1 - 0.05).requires_grad_();
  auto w2 = (torch::rand({64, 64, 3, 3}) * 0.1 - 0.05).requires_grad_();
  return best_seconds(steps, repeats, [&] {
    auto h = torch::relu(torch::conv2d(x, w1, {}, 1, 1));
    auto out = torch::relu(torch::conv2d(h, w2, {}, 1, 1) + x);
    out.sum().backward();
    for (auto* p : {&x, &w1, &w2}) p->mutable_grad() = torch::Tensor();
  });
}

}  // namespace bench
