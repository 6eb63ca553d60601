// The same convolution workloads in libtorch (Debian's build runs its convolutions on oneDNN).
#include "torch_peer.h"

#include <torch/torch.h>

#include <functional>
#include <memory>

#include "../common/interleaved.h"
#include "../common/standalone_blas.h"

namespace {

// A pass of `steps` of `state`'s steps with OpenBLAS threaded as libtorch has it alone (its gemm-based
// convolutions); seconds per step.
template <class State>
std::function<double()> torch_steps_pass(std::shared_ptr<State> state, int steps) {
  std::function<double()> pass;
  {
    bench::StandaloneBlasThreads blas;  // for the warm-up step
    pass = bench::steps_pass(std::move(state), steps, [] {});
  }
  return [pass] {
    bench::StandaloneBlasThreads blas;
    return pass();
  };
}

}  // namespace

namespace bench {

std::function<double()> torch_lenet_pass(int steps) {
  torch::manual_seed(0);
  struct State {
    torch::Tensor x = torch::rand({128, 1, 28, 28});
    torch::Tensor w1 = (torch::rand({20, 1, 5, 5}) - 0.5).requires_grad_(), b1 = torch::zeros({20}).requires_grad_();
    torch::Tensor w2 = (torch::rand({50, 20, 5, 5}) * 0.1 - 0.05).requires_grad_(),
                  b2 = torch::zeros({50}).requires_grad_();
    void step() {
      auto h = torch::max_pool2d(torch::relu(torch::conv2d(x, w1, b1)), 2, 2);
      auto out = torch::max_pool2d(torch::relu(torch::conv2d(h, w2, b2)), 2, 2);
      out.sum().backward();
      for (auto* p : {&w1, &b1, &w2, &b2}) p->mutable_grad() = torch::Tensor();
    }
  };
  return torch_steps_pass(std::make_shared<State>(), steps);
}

std::function<double()> torch_resblock_pass(int steps) {
  torch::manual_seed(0);
  struct State {
    torch::Tensor x = torch::rand({32, 64, 56, 56}).requires_grad_();
    torch::Tensor w1 = (torch::rand({64, 64, 3, 3}) * 0.1 - 0.05).requires_grad_();
    torch::Tensor w2 = (torch::rand({64, 64, 3, 3}) * 0.1 - 0.05).requires_grad_();
    void step() {
      auto h = torch::relu(torch::conv2d(x, w1, {}, 1, 1));
      auto out = torch::relu(torch::conv2d(h, w2, {}, 1, 1) + x);
      out.sum().backward();
      for (auto* p : {&x, &w1, &w2}) p->mutable_grad() = torch::Tensor();
    }
  };
  return torch_steps_pass(std::make_shared<State>(), steps);
}

}  // namespace bench
