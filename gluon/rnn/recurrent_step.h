#pragma once
// One time step of the recurrences that the cells and the layers share, in MXNet's (and cuDNN's) form. With H
// hidden units and G gates, i2h is x W_i2h^T + b_i2h for the step, (N, G*H), and h2h the same of the previous
// output h. Gate order in the weights, as MXNet's and cuDNN's:
//   RNN   (G = 1): h' = act(i2h + h2h)
//   LSTM  (G = 4): i, f, g, o; c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c')
//   GRU   (G = 3): r, z, n; r = sigmoid(i2h_r + h2h_r), z = sigmoid(i2h_z + h2h_z),
//                  n = tanh(i2h_n + r (h2h_n)), h' = (1 - z) n + z h
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::rnn::detail {

enum class CellKind { kRNNTanh, kRNNRelu, kLSTM, kGRU };

int gate_count(CellKind kind);   // G
int state_count(CellKind kind);  // 2 for LSTM (h, c), else 1 (h)

struct StepOutput {
  NDArray output;
  std::vector<NDArray> states;
};

// `states` are the previous states, each (N, H), or empty for zeros (the first step from a zero begin state,
// which skips the product with h). h2h_weight (G*H, H), h2h_bias (G*H).
StepOutput recurrent_step(CellKind kind, const NDArray& i2h, const std::vector<NDArray>& states,
                          const NDArray& h2h_weight, const NDArray& h2h_bias);

}  // namespace mx::gluon::rnn::detail
