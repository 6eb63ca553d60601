// The same training step in libtorch: linear, relu, linear, summed cross-entropy, backward, SGD by hand.
#include "torch_peer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace bench {

std::optional<double> torch_mlp_seconds(const MlpShape& s, int threads, int repeats) {
  at::set_num_threads(threads);
  torch::manual_seed(0);
  auto x = torch::rand({s.batch, s.in}) * 2 - 1;
  auto y = torch::randint(0, s.out, {s.batch}, torch::kLong);
  std::vector<torch::Tensor> params = {
      (torch::rand({s.hidden, s.in}) * 0.1 - 0.05).requires_grad_(), torch::zeros({s.hidden}).requires_grad_(),
      (torch::rand({s.out, s.hidden}) * 0.1 - 0.05).requires_grad_(), torch::zeros({s.out}).requires_grad_()};
  const auto step = [&] {
    auto hidden = torch::relu(torch::linear(x, params[0], params[1]));
    auto loss = torch::nn::functional::cross_entropy(
        torch::linear(hidden, params[2], params[3]),
        y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    loss.backward();
    torch::NoGradGuard no_grad;
    for (auto& p : params) {
      p.sub_(p.grad() * (s.learning_rate / s.batch));
      p.mutable_grad() = torch::Tensor();  // as grad_req write: the next backward writes afresh
    }
  };
  step();
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < s.steps; ++i) step();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace bench
