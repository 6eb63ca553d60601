#pragma once
// Gluon's recurrent layers: RNN, LSTM and GRU over whole sequences, stacked num_layers deep and optionally
// bidirectional (MXNet's gluon.rnn layers, cuDNN's equations). Input (T, N, C) for layout "TNC" (the default)
// or (N, T, C) for "NTC"; output (T, N, D*H) or (N, T, D*H), D 2 when bidirectional. States: LSTM's [h, c],
// the others' [h], each (num_layers*D, N, H), layer l's reverse direction at row l*D + 1.
// Parameters as MXNet 1.x names them, so that its files load: per layer l, "l<l>_" (and "r<l>_" for the
// reverse direction) + i2h_weight (G*H, C_l), h2h_weight (G*H, H), i2h_bias, h2h_bias (G*H), where C_0 is the
// input size (0: learned at the first call) and C_l = D*H above it.
// Run, the layer steps its weights as they are; traced by hybridize, it packs them and calls MXNet's fused RNN
// operator (operators/rnn.h), so that its export is MXNet's: _rnn_param_concat and one RNN node.
//
//   rnn::LSTM lstm(100, {.num_layers = 2, .layout = "NTC"});
//   lstm.initialize();
//   NDArray out = lstm(x);                               // from zero states
//   auto [out2, states] = lstm(x, lstm.begin_state(32)); // from given states; also returns the last ones
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/gluon/rnn/rnn_cell.h>

namespace mx::gluon::rnn {

struct RecurrentLayerOptions {
  int num_layers = 1;
  std::string layout = "TNC";
  double dropout = 0;  // between layers, in training mode (not after the last)
  bool bidirectional = false;
  std::int64_t input_size = 0;
  DType dtype = DType::kFloat32;
  init::InitializerRef i2h_weight_initializer{};  // empty: the one given to initialize()
  init::InitializerRef h2h_weight_initializer{};
  init::InitializerRef i2h_bias_initializer = init::Zero();
  init::InitializerRef h2h_bias_initializer = init::Zero();
  Prefix prefix{};  // see Block
  // LSTM only, as MXNet's LSTM: each step's cell state clipped to [min, max] (both or neither); and a
  // projection of the output to projection_size P (LSTMP): parameters "l0_h2r_weight" (P, H) and h2h_weight
  // (4H, P), output (.., D*P) and h states (L*D, N, P), c states still (L*D, N, H).
  std::optional<double> state_clip_min = {}, state_clip_max = {};
  std::optional<std::int64_t> projection_size = {};
  init::InitializerRef h2r_weight_initializer{};
};

class RecurrentLayer : public HybridBlock {
 public:
  using HybridBlock::operator();
  // The sequence from `states` (as begin_state gives them; zeros when empty): the output and the states after
  // the last step. With `sequence_length` (N,) (MXNet's use_sequence_length), sequence n ends after
  // sequence_length[n] steps: its later outputs are 0, its states are those after its own last step, and the
  // reverse direction starts from that step. Runs imperatively, also when hybridized (the cached graph takes
  // the input alone).
  RecurrentOutput operator()(const NDArray& x, const std::vector<NDArray>& states, const NDArray& sequence_length = {});
  // The sequence from zero states: the output alone.
  NDArray forward(const NDArray& x) override;
  // Zero states for a batch of `batch_size`.
  std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const;

  std::int64_t hidden_size() const { return hidden_size_; }
  std::string repr() const override;

 protected:
  RecurrentLayer(nd::recurrent::CellKind kind, std::string alias, std::string name, std::int64_t hidden_size,
                 RecurrentLayerOptions options);

 private:
  struct Weights {
    Parameter i2h_weight, h2h_weight, i2h_bias, h2h_bias;
    Parameter h2r_weight = {};  // with a projection
  };
  RecurrentOutput run(const NDArray& x, const std::vector<NDArray>& states, const NDArray& lengths);
  int directions() const { return options_.bidirectional ? 2 : 1; }
  std::int64_t output_width() const { return options_.projection_size.value_or(hidden_size_); }

  nd::recurrent::CellKind kind_;
  std::string name_;  // "LSTM", for messages and repr
  std::int64_t hidden_size_;
  RecurrentLayerOptions options_;
  std::vector<Weights> weights_;  // layer l, direction d at l * directions() + d
};

// Elman RNN with activation "tanh" or "relu".
class RNN : public RecurrentLayer {
 public:
  explicit RNN(std::int64_t hidden_size, const char* activation = "tanh", RecurrentLayerOptions options = {});
  RNN(std::int64_t hidden_size, RecurrentLayerOptions options) : RNN(hidden_size, "tanh", std::move(options)) {}
};

class LSTM : public RecurrentLayer {
 public:
  explicit LSTM(std::int64_t hidden_size, RecurrentLayerOptions options = {});
};

class GRU : public RecurrentLayer {
 public:
  explicit GRU(std::int64_t hidden_size, RecurrentLayerOptions options = {});
};

}  // namespace mx::gluon::rnn
