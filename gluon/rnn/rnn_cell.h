#pragma once
// Gluon's recurrent cells: one time step of a recurrence, for loops written by hand or unrolled over a sequence.
// x (N, C) and states (N, H) each; a step returns the output (N, H) and the next states. LSTMCell's states are
// [h, c], the others' [h]. Parameters as MXNet 1.x names them: i2h_weight (G*H, C), h2h_weight (G*H, H),
// i2h_bias and h2h_bias (G*H), with G gates (1, 4 for LSTM, 3 for GRU; order in recurrent_step.h), so
// "lstm0_i2h_weight" and its kin load from MXNet's files. C 0 (input_size) is learned at the first call.
//
//   rnn::LSTMCell cell(100);
//   cell.initialize();
//   auto state = cell.begin_state(32);
//   auto [out, next] = cell(x, state);              // one step
//   auto [outs, last] = cell.unroll(5, seq, {}, "NTC");  // (32, 5, 100) and [h, c] after the fifth step
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/operators/recurrent_step.h>

namespace mx::gluon::rnn {

// What a cell or a recurrent layer returns: its output and its states after the last step (the recurrence's own
// StepOutput).
using RecurrentOutput = nd::recurrent::StepOutput;

struct CellOptions {
  std::int64_t input_size = 0;
  DType dtype = DType::kFloat32;
  init::InitializerRef i2h_weight_initializer{};  // empty: the one given to initialize()
  init::InitializerRef h2h_weight_initializer{};
  init::InitializerRef i2h_bias_initializer = init::Zero();
  init::InitializerRef h2h_bias_initializer = init::Zero();
  Prefix prefix{};  // see Block
};

// What every cell does, the gated cells below and the cells that wrap or stack others (cell_wrappers.h): a step
// from states, zero begin states, and MXNet's unroll over a sequence.
class BaseCell : public HybridBlock {
 public:
  using HybridBlock::operator();
  // One step from `states` (as begin_state gives them).
  RecurrentOutput operator()(const NDArray& x, const std::vector<NDArray>& states) { return step(x, states); }
  virtual RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) = 0;
  // One step from zero states: the output alone (the form hybridize caches).
  NDArray forward(const NDArray& x) override;
  // Zero states for a batch of `batch_size` (none for a cell without state), and how many there are.
  virtual std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const = 0;
  virtual std::size_t num_states() const = 0;
  // MXNet's unroll: `length` steps over `inputs` ((N, T, C) for "NTC", (T, N, C) for "TNC"; T must be
  // `length`), from `begin_state` (zeros when empty). The outputs merged along T in the same layout. With
  // `valid_length` (N,), sequence n ends after valid_length[n] steps: its later outputs are 0 and its states
  // are those after its last step. This one steps the cell; cells override it where a whole sequence goes faster.
  virtual RecurrentOutput unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state = {},
                                 std::string_view layout = "NTC", const NDArray& valid_length = {});
  // Forgets what a cell keeps between steps (ZoneoutCell's previous output); unroll calls it first.
  virtual void reset() {}

 protected:
  BaseCell(std::string alias, Prefix prefix) : HybridBlock(std::move(alias), std::move(prefix)) {}
  // unroll's inputs as (T, N, C), checking that T is `length`; mx::ShapeError naming `who` otherwise.
  // `maps`: the steps may be feature maps, (N, C, ...), as the convolutional cells' (and the wrappers', which
  // leave the check of a step to their cells).
  static NDArray time_major(const std::string& who, const NDArray& inputs, std::int64_t length, std::string_view layout,
                            bool maps = true);
  // The steps of unroll, time-major, for cells that step: inputs (T, N, C).
  RecurrentOutput step_through(const char* who, const NDArray& sequence, std::vector<NDArray> states,
                               const NDArray& valid_length, std::string_view layout);
};

class RecurrentCell : public BaseCell {
 public:
  using BaseCell::operator();
  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  NDArray forward(const NDArray& x) override;
  std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const override;
  std::size_t num_states() const override { return static_cast<std::size_t>(nd::recurrent::state_count(kind_)); }
  // All steps' input products as one product, then the recurrence.
  RecurrentOutput unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state = {},
                         std::string_view layout = "NTC", const NDArray& valid_length = {}) override;

  std::int64_t hidden_size() const { return hidden_size_; }
  std::string repr() const override;

 protected:
  RecurrentCell(nd::recurrent::CellKind kind, std::string alias, std::string name, std::int64_t hidden_size,
                CellOptions options);

 private:
  // x W_i2h^T + b_i2h over x's last axis, learning C on the first call.
  NDArray input_product(const NDArray& x);
  void check_states(const std::vector<NDArray>& states, std::int64_t batch) const;

  nd::recurrent::CellKind kind_;
  std::string name_;  // "LSTMCell", for messages and repr
  std::int64_t hidden_size_;
  Parameter i2h_weight_, h2h_weight_, i2h_bias_, h2h_bias_;
};

// Elman RNN cell: h' = activation(x W_i2h^T + b_i2h + h W_h2h^T + b_h2h); activation "tanh" or "relu".
class RNNCell : public RecurrentCell {
 public:
  explicit RNNCell(std::int64_t hidden_size, const char* activation = "tanh", CellOptions options = {});
  RNNCell(std::int64_t hidden_size, CellOptions options) : RNNCell(hidden_size, "tanh", std::move(options)) {}
};

class LSTMCell : public RecurrentCell {
 public:
  explicit LSTMCell(std::int64_t hidden_size, CellOptions options = {});
};

class GRUCell : public RecurrentCell {
 public:
  explicit GRUCell(std::int64_t hidden_size, CellOptions options = {});
};

// The recurrence's kind for an RNN activation name; mx::Error naming `who` for any other.
nd::recurrent::CellKind rnn_kind(const char* who, std::string_view activation);
// (T, N, C) from `layout` "TNC" or "NTC", checking the input has three axes (at least three with `maps`: the
// steps are feature maps); mx::Error naming `who` otherwise.
NDArray to_time_major(const char* who, const NDArray& x, std::string_view layout, bool maps = false);

}  // namespace mx::gluon::rnn
