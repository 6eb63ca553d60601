// The same MLPs in libtorch C++: nn::Sequential of Linear and ReLU, called under NoGradGuard.
#include "torch_peer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace bench {

std::optional<double> torch_forward_us(const std::vector<long>& widths, int threads, int calls, int repeats) {
  at::set_num_threads(threads);
  torch::manual_seed(0);
  torch::nn::Sequential net;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    net->push_back(torch::nn::Linear(widths[i], widths[i + 1]));
    if (i + 2 < widths.size()) net->push_back(torch::nn::ReLU());
  }
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({1, widths.front()});
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    float sink = 0;
    for (int c = 0; c < calls; ++c) sink += net->forward(x).data_ptr<float>()[0];
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, us / calls + 0 * sink);
  }
  return best;
}

}  // namespace bench
