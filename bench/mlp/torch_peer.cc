// The seed MLP in libtorch C++: nn::Sequential of Linear, ReLU, Linear; CrossEntropyLoss; optim::SGD.
#include "torch_peer.h"

#include <torch/torch.h>

#include <algorithm>
#include <memory>

#include "../common/interleaved.h"
#include "../common/standalone_blas.h"

namespace bench {

std::function<double()> torch_epoch_pass(const std::vector<float>& x, const std::vector<float>& y, int threads) {
  torch::manual_seed(0);
  struct State {
    torch::Tensor images, labels;
    torch::nn::Sequential net{torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 10)};
    torch::optim::SGD optimizer{net->parameters(), torch::optim::SGDOptions(0.1)};
    torch::nn::CrossEntropyLoss loss_fn;
  };
  auto st = std::make_shared<State>();
  const auto n = static_cast<std::int64_t>(y.size());
  st->images = torch::from_blob(const_cast<float*>(x.data()), {n, 784}).clone();
  st->labels = torch::from_blob(const_cast<float*>(y.data()), {n}).to(torch::kLong);
  return [st, n, threads] {
    at::set_num_threads(threads);
    StandaloneBlasThreads blas;  // OpenBLAS threaded as libtorch has it alone
    constexpr std::int64_t kBatch = 128;
    const auto order = torch::randperm(n);
    return seconds_of([&] {
      for (std::int64_t b = 0; b < n; b += kBatch) {
        const auto idx = order.slice(0, b, std::min(n, b + kBatch));
        st->optimizer.zero_grad();
        const auto loss = st->loss_fn(st->net->forward(st->images.index_select(0, idx)), st->labels.index_select(0, idx));
        loss.backward();
        st->optimizer.step();
      }
    });
  };
}

}  // namespace bench
