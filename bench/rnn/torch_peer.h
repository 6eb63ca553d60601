#pragma once
// libtorch's side of the recurrent benchmark; reports nothing when libtorch is not installed.
#include <cstdint>
#include <functional>

namespace bench {

struct LstmShape {
  std::int64_t steps, batch, features, hidden, layers;
};

// torch::nn::LSTM of `shape` (time-major input) with an L2 loss against a fixed target and SGD, on `threads`
// intra-op threads; each call runs `iterations` training steps and returns seconds per step
// (bench/common/interleaved.h). Empty when libtorch is not installed.
std::function<double()> torch_lstm_pass(const LstmShape& shape, int iterations, int threads);

}  // namespace bench
