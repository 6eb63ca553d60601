// The LSTM training step in libtorch C++: nn::LSTM, mean squared error, optim::SGD.
#include "torch_peer.h"

#include <torch/torch.h>

#include <memory>

#include "../common/torch_timed_pass.h"

namespace bench {

std::function<double()> torch_lstm_pass(const LstmShape& s, int iterations, int threads) {
  torch::manual_seed(0);
  struct State {
    torch::nn::LSTM lstm;
    torch::optim::SGD optimizer;
    torch::Tensor x, target;
    explicit State(const LstmShape& s)
        : lstm(torch::nn::LSTMOptions(s.features, s.hidden).num_layers(s.layers)),
          optimizer(lstm->parameters(), torch::optim::SGDOptions(0.01)),
          x(torch::rand({s.steps, s.batch, s.features}) * 2 - 1),
          target(torch::rand({s.steps, s.batch, s.hidden}) * 2 - 1) {}
    void step() {
      optimizer.zero_grad();
      auto out = std::get<0>(lstm->forward(x));
      auto loss = torch::mse_loss(out, target);
      loss.backward();
      optimizer.step();
    }
  };
  return timed_pass(std::make_shared<State>(s), iterations, threads);
}

}  // namespace bench
