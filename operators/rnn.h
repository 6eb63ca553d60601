#pragma once
// MXNet's fused RNN operator (nd.RNN, the node a hybridized Gluon recurrent layer exports) and the stack it
// runs: num_layers layers of one recurrence (recurrent_step.h), optionally bidirectional, over a time-major
// sequence. Built from the library's operators, so it runs on every device and differentiates by autograd; a
// trace shows one "RNN" node, so symbol files MXNet wrote for recurrent layers load and run.
//
// Its parameters come packed as MXNet and cuDNN pack them, in one vector: every weight flattened, layer by
// layer, the forward direction before the reverse, i2h (G*H, C_l) then h2h (G*H, H); then every bias in the
// same order, i2h then h2h (G*H each). C_0 is the input size, C_l = D*H above it; G as recurrent_step.h.
// With an LSTM's projection_size P (LSTMP), each layer and direction also has h2r (P, H), packed after its h2h
// weight (no bias), h2h is (4H, P), C_l = D*P, and the output and h are P wide (c stays H).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/recurrent_step.h>

namespace mx::nd {

struct RNNOptions {
  std::int64_t state_size = 0;  // H
  int num_layers = 1;
  bool bidirectional = false;
  std::string mode = "lstm";  // "rnn_relu", "rnn_tanh", "lstm" or "gru"
  double p = 0;               // dropout between layers, in training mode
  bool state_outputs = false; // also return the last states
  std::optional<double> lstm_state_clip_min = {}, lstm_state_clip_max = {};  // both or neither
  std::optional<std::int64_t> projection_size = {};  // LSTM only
};

// data (T, N, C); parameters packed as above (rnn_param_size); states [h], or [h, c] for LSTM, each
// (L*D, N, H) (h (L*D, N, P) with a projection), or empty for zeros; a state (L*D, 0, H) also counts as zeros (MXNet's exported begin states,
// whose batch is left unknown). sequence_length (N,) or none: MXNet's use_sequence_length, each sequence's
// outputs past its length 0 and its states those of its own last step. Returns [output (T, N, D*H)], followed
// with state_outputs by the last states. Errors name RNN, the shapes and the mode.
std::vector<NDArray> RNN(const NDArray& data, const NDArray& parameters, const std::vector<NDArray>& states,
                         const NDArray& sequence_length, const RNNOptions& options);

// The length of RNN's packed parameter vector for input size `input_size`.
std::int64_t rnn_param_size(const RNNOptions& options, std::int64_t input_size);

// MXNet's _rnn_param_concat: the arrays flattened and joined into one vector, RNN's parameters.
NDArray rnn_param_concat(const std::vector<NDArray>& arrays);

namespace recurrent {

// MXNet's mode names; mx::Error naming `who` for any other.
CellKind cell_kind(const char* who, const std::string& mode);
const char* mode_name(CellKind kind);

struct LayerWeights {
  NDArray i2h_weight, h2h_weight, i2h_bias, h2h_bias;
  NDArray h2r_weight = {};  // LSTMP's projection, or none
};

struct StackOptions {
  int num_layers = 1;
  bool bidirectional = false;
  double dropout = 0;
  std::optional<StateClip> clip = {};
};

// The stack over `sequence` (T, N, C): weights of layer l, direction d at l*D + d; `begin` each (L*D, N, H) or
// empty for zeros; `inside` length_masks or empty. Returns the output (T, N, D*H) and the last states, each
// (L*D, N, H). Shapes are the caller's to check.
StepOutput run_stack(CellKind kind, const NDArray& sequence, std::span<const LayerWeights> weights,
                     const std::vector<NDArray>& begin, const std::vector<NDArray>& inside,
                     const StackOptions& options);

// RNN for weights already apart: `parameters`, their packing (rnn_param_concat), is what the node reads as
// traced and exported, while the steps read `weights` directly, sparing the cut of the packed vector and the
// join of its gradient (hybridize drops the unread packing). Untraced, `parameters` may be none.
std::vector<NDArray> rnn_node(const NDArray& data, const NDArray& parameters, std::span<const LayerWeights> weights,
                              const std::vector<NDArray>& states, const NDArray& sequence_length,
                              const RNNOptions& options);

}  // namespace recurrent

}  // namespace mx::nd
