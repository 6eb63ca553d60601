// The same training step in libtorch: linear, relu, linear, summed cross-entropy, backward, SGD by hand.
#include "torch_peer.h"

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "../common/interleaved.h"
#include "../common/standalone_blas.h"

namespace bench {

namespace {

struct TorchMlp {
  MlpShape s;
  torch::Tensor x, y;
  std::vector<torch::Tensor> params;

  explicit TorchMlp(const MlpShape& shape) : s(shape) {
    torch::manual_seed(0);
    x = torch::rand({s.batch, s.in}) * 2 - 1;
    y = torch::randint(0, s.out, {s.batch}, torch::kLong);
    params = {(torch::rand({s.hidden, s.in}) * 0.1 - 0.05).requires_grad_(), torch::zeros({s.hidden}).requires_grad_(),
              (torch::rand({s.out, s.hidden}) * 0.1 - 0.05).requires_grad_(), torch::zeros({s.out}).requires_grad_()};
  }

  void step() {
    auto hidden = torch::relu(torch::linear(x, params[0], params[1]));
    auto loss = torch::nn::functional::cross_entropy(
        torch::linear(hidden, params[2], params[3]), y,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    loss.backward();
    torch::NoGradGuard no_grad;
    for (auto& p : params) {
      p.sub_(p.grad() * (s.learning_rate / s.batch));
      p.mutable_grad() = torch::Tensor();  // as grad_req write: the next backward writes afresh
    }
  }
};

}  // namespace

std::function<double()> torch_mlp_pass(const MlpShape& shape, int threads) {
  auto mlp = std::make_shared<TorchMlp>(shape);
  {
    at::set_num_threads(threads);
    StandaloneBlasThreads blas;
    mlp->step();
  }
  return [mlp, threads] {
    at::set_num_threads(threads);  // the other thread count's pass may have run since
    StandaloneBlasThreads blas;
    return seconds_of([&] {
      for (int i = 0; i < mlp->s.steps; ++i) mlp->step();
    });
  };
}

}  // namespace bench
