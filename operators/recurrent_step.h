#pragma once
// One time step of the recurrences that the cells and the layers share, in MXNet's (and cuDNN's) form. With H
// hidden units and G gates, i2h is x W_i2h^T + b_i2h for the step, (N, G*H), and h2h the same of the previous
// output h. Gate order in the weights, as MXNet's and cuDNN's:
//   RNN   (G = 1): h' = act(i2h + h2h)
//   LSTM  (G = 4): i, f, g, o; c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c')
//   GRU   (G = 3): r, z, n; r = sigmoid(i2h_r + h2h_r), z = sigmoid(i2h_z + h2h_z),
//                  n = tanh(i2h_n + r (h2h_n)), h' = (1 - z) n + z h
#include <cstdint>
#include <vector>

#include <optional>
#include <string_view>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::recurrent {

enum class CellKind { kRNNTanh, kRNNRelu, kLSTM, kGRU };

int gate_count(CellKind kind);   // G
int state_count(CellKind kind);  // 2 for LSTM (h, c), else 1 (h)

struct StepOutput {
  NDArray output;
  std::vector<NDArray> states;
};

// MXNet's lstm_state_clip_min/max: each step's LSTM cell state c' clipped to [min, max].
struct StateClip {
  double min, max;
};

// LSTM's options beyond the equations above: the clip, and a projection of the output (LSTMP, Sak et al.):
// h' = W_h2r (sigmoid(o) tanh(c')) with h2r_weight (P, H) and no bias, so that h is (N, P) and h2h_weight
// (4H, P), while c stays (N, H). No projection when h2r_weight is none.
struct LSTMExtras {
  std::optional<StateClip> clip = {};
  NDArray h2r_weight = {};
};

// `states` are the previous states, each (N, H), or empty for zeros (the first step from a zero begin state,
// which skips the product with h). h2h_weight (G*H, H), h2h_bias (G*H).
StepOutput recurrent_step(CellKind kind, const NDArray& i2h, const std::vector<NDArray>& states,
                          const NDArray& h2h_weight, const NDArray& h2h_bias, const LSTMExtras& lstm = {});
// The gates of a step whose two products are formed: i2h and h2h (N, G*H, ...) with the gates along axis 1 and
// any axes after it (the convolutional cells' maps), states (N, H, ...); h2h may be the bias (G*H) alone when
// `states` is empty (zeros). `activation` takes tanh's place in LSTM (the candidate and the output) and in GRU
// (the candidate): "tanh" or another act_type of Activation, as the convolutional cells' option.
StepOutput gated_step(CellKind kind, const NDArray& i2h, const NDArray& h2h, const std::vector<NDArray>& states,
                      const LSTMExtras& lstm = {}, std::string_view activation = "tanh");

// Holds a step of sequences already past their lengths: `inside` (N, 1) is 1 where the step lies inside the
// sequence, else 0. There the output becomes 0 and the states keep their `previous` values (zeros when
// `previous` is empty), so that each sequence's last states are those of its own last step.
void hold_past_length(StepOutput& step, const std::vector<NDArray>& previous, const NDArray& inside);

// The recurrence over a whole sequence: i2h (T, N, G*H) holds every step's input product. Runs forwards, or
// backwards, from `states` (empty: zeros), holding sequences past their lengths where `inside` (length_masks)
// is given. Returns the outputs stacked along `stack_axis` ((T, N, H) for 0, (N, T, H) for 1) and the states
// after the last step.
StepOutput run_sequence(CellKind kind, const NDArray& i2h, std::vector<NDArray> states, const NDArray& h2h_weight,
                        const NDArray& h2h_bias, const std::vector<NDArray>& inside, bool backwards = false,
                        int stack_axis = 0, const LSTMExtras& lstm = {});

// `inside` masks for steps 0..T-1 of sequences of `lengths` (N,), in dtype `dtype`; mx::ShapeError naming `who`
// unless lengths is (N,).
std::vector<NDArray> length_masks(const char* who, const NDArray& lengths, std::int64_t steps, std::int64_t batch,
                                  DType dtype);

}  // namespace mx::nd::recurrent
