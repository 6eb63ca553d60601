// The seed MLP in libtorch C++: nn::Sequential of Linear, ReLU, Linear; CrossEntropyLoss; optim::SGD.
#include "torch_peer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "../common/standalone_blas.h"

namespace bench {

std::optional<double> torch_epoch_seconds(const std::vector<float>& x, const std::vector<float>& y, int threads,
                                          int repeats) {
  at::set_num_threads(threads);
  StandaloneBlasThreads blas;  // OpenBLAS threaded as libtorch has it alone
  torch::manual_seed(0);
  const auto n = static_cast<std::int64_t>(y.size());
  const auto images = torch::from_blob(const_cast<float*>(x.data()), {n, 784}).clone();
  const auto labels = torch::from_blob(const_cast<float*>(y.data()), {n}).to(torch::kLong);
  torch::nn::Sequential net(torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 10));
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1));
  torch::nn::CrossEntropyLoss loss_fn;
  constexpr std::int64_t kBatch = 128;
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto order = torch::randperm(n);
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t b = 0; b < n; b += kBatch) {
      const auto idx = order.slice(0, b, std::min(n, b + kBatch));
      optimizer.zero_grad();
      const auto loss = loss_fn(net->forward(images.index_select(0, idx)), labels.index_select(0, idx));
      loss.backward();
      optimizer.step();
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace bench
