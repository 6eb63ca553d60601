#pragma once
// Gluon's contrib recurrent cells (gluon.contrib.rnn): VariationalDropoutCell (Gal and Ghahramani: one dropout mask
// per sequence, drawn at its first step and reused at every step, on the inputs, the first state h and the
// outputs) and LSTMPCell (an LSTM step whose output is projected, Sak et al.: states [r (N, P), c (N, H)]).
#include <cstdint>

#include <mx/gluon/rnn/cell_wrappers.h>

namespace mx::gluon::contrib::rnn {

using gluon::rnn::BaseCell;
using gluon::rnn::RecurrentOutput;

class VariationalDropoutCell : public gluon::rnn::ModifierCell {
 public:
  template <class C>
    requires std::derived_from<C, BaseCell>
  VariationalDropoutCell(const C& base, double drop_inputs = 0, double drop_states = 0, double drop_outputs = 0,
                         Prefix prefix = std::nullopt)
      : ModifierCell("variationaldropoutcell", base, std::move(prefix)), drop_inputs_(drop_inputs),
        drop_states_(drop_states), drop_outputs_(drop_outputs) {
    check_rates();
  }
  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  // New masks for the next sequence (unroll calls it first).
  void reset() override;
  std::string repr() const override { return "VariationalDropoutCell(" + base().repr() + ")"; }

 private:
  void check_rates() const;
  double drop_inputs_, drop_states_, drop_outputs_;
  NDArray inputs_mask_, states_mask_, outputs_mask_;  // drawn at a sequence's first step in training
};

struct LSTMPCellOptions {
  std::int64_t input_size = 0;
  init::InitializerRef i2h_weight_initializer{};
  init::InitializerRef h2h_weight_initializer{};
  init::InitializerRef h2r_weight_initializer{};
  init::InitializerRef i2h_bias_initializer = init::Zero();
  init::InitializerRef h2h_bias_initializer = init::Zero();
  Prefix prefix{};
};

// Parameters i2h_weight (4H, C), h2h_weight (4H, P), h2r_weight (P, H), i2h_bias and h2h_bias (4H), as MXNet's.
class LSTMPCell : public BaseCell {
 public:
  LSTMPCell(std::int64_t hidden_size, std::int64_t projection_size, LSTMPCellOptions options = {});
  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const override;
  std::size_t num_states() const override { return 2; }
  std::string repr() const override;

 private:
  std::int64_t hidden_size_, projection_size_;
  Parameter i2h_weight_, h2h_weight_, h2r_weight_, i2h_bias_, h2h_bias_;
};

}  // namespace mx::gluon::contrib::rnn
