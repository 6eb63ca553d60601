#pragma once
// Gluon's cells that stack, wrap or modify other cells (MXNet 1.x's gluon.rnn): SequentialRNNCell (cells one
// after another, their states side by side), BidirectionalCell (one cell forwards and one backwards over a
// sequence, outputs joined along C; unroll only), DropoutCell (dropout on the input, no state), ResidualCell (a
// cell's output plus its input) and ZoneoutCell (Krueger et al.: in training, each unit of the output and states
// keeps its previous value with probability zoneout_outputs / zoneout_states).
//
//   rnn::SequentialRNNCell stack;
//   stack.add(rnn::LSTMCell(64), rnn::DropoutCell(0.5), rnn::ResidualCell(rnn::LSTMCell(64)));
//   auto [outputs, states] = stack.unroll(10, x, {}, "NTC");
#include <memory>
#include <vector>

#include <mx/gluon/rnn/rnn_cell.h>

namespace mx::gluon::rnn {

class SequentialRNNCell : public BaseCell {
 public:
  explicit SequentialRNNCell(Prefix prefix = std::nullopt) : BaseCell("sequentialrnncell", std::move(prefix)) {}
  template <class... Cells>
    requires(std::derived_from<Cells, BaseCell> && ...)
  void add(const Cells&... cells) {
    (register_child(cells), ...);
  }
  std::size_t size() const { return children().size(); }

  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const override;
  std::size_t num_states() const override;
  // Cell after cell, each over the whole sequence (a gated cell's unroll computes its input products at once).
  RecurrentOutput unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state = {},
                         std::string_view layout = "NTC", const NDArray& valid_length = {}) override;
  void reset() override;
  std::string repr() const override { return "SequentialRNNCell(" + std::to_string(size()) + " cells)"; }

 private:
  BaseCell& cell(std::size_t i) const { return static_cast<BaseCell&>(*children().at(i).second); }
  // Each cell's share of `states` (each empty when `states` is).
  std::vector<std::vector<NDArray>> split_states(const std::vector<NDArray>& states) const;
};

// MXNet's HybridSequentialRNNCell: the same, every cell here being hybridizable.
using HybridSequentialRNNCell = SequentialRNNCell;

class BidirectionalCell : public BaseCell {
 public:
  template <class L, class R>
    requires std::derived_from<L, BaseCell> && std::derived_from<R, BaseCell>
  BidirectionalCell(const L& left, const R& right, Prefix prefix = std::nullopt)
      : BaseCell("bidirectionalcell", std::move(prefix)) {
    register_child(left, "l_cell");
    register_child(right, "r_cell");
  }

  // mx::Error: a bidirectional cell needs the whole sequence (MXNet's refuses a step too).
  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const override;
  std::size_t num_states() const override { return left().num_states() + right().num_states(); }
  // Outputs (..., C_left + C_right), the left cell's states then the right's. With valid_length each sequence is
  // reversed within its own length for the right cell.
  RecurrentOutput unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state = {},
                         std::string_view layout = "NTC", const NDArray& valid_length = {}) override;
  std::string repr() const override { return "BidirectionalCell"; }

 private:
  BaseCell& left() const { return static_cast<BaseCell&>(*children().at(0).second); }
  BaseCell& right() const { return static_cast<BaseCell&>(*children().at(1).second); }
};

// Dropout of rate `rate` on the input in training; no states. One draw is shared along `axes` of the array it
// is given, as MXNet's: a step's (N, C), or in unroll the whole sequence (NTC's axes {1}: the same units dropped
// at every step).
class DropoutCell : public BaseCell {
 public:
  explicit DropoutCell(double rate, std::vector<int> axes = {}, Prefix prefix = std::nullopt);
  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  std::vector<NDArray> begin_state(std::int64_t, Context = current_context()) const override { return {}; }
  std::size_t num_states() const override { return 0; }
  // The whole sequence at once.
  RecurrentOutput unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state = {},
                         std::string_view layout = "NTC", const NDArray& valid_length = {}) override;
  std::string repr() const override { return "DropoutCell(rate=" + std::to_string(rate_) + ")"; }

 private:
  double rate_;
  std::vector<int> axes_;
};

// MXNet's ModifierCell: a cell that wraps one other, its child "base_cell", whose states it keeps.
class ModifierCell : public BaseCell {
 public:
  std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const override {
    return base().begin_state(batch_size, ctx);
  }
  std::size_t num_states() const override { return base().num_states(); }
  void reset() override { base().reset(); }

 protected:
  template <class C>
    requires std::derived_from<C, BaseCell>
  ModifierCell(std::string alias, const C& base, Prefix prefix) : BaseCell(std::move(alias), std::move(prefix)) {
    register_child(base, "base_cell");
  }
  BaseCell& base() const { return static_cast<BaseCell&>(*children().at(0).second); }
};

class ResidualCell : public ModifierCell {
 public:
  template <class C>
    requires std::derived_from<C, BaseCell>
  explicit ResidualCell(const C& base, Prefix prefix = std::nullopt) : ModifierCell("residualcell", base, std::move(prefix)) {}
  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  RecurrentOutput unroll(std::int64_t length, const NDArray& inputs, const std::vector<NDArray>& begin_state = {},
                         std::string_view layout = "NTC", const NDArray& valid_length = {}) override;
  std::string repr() const override { return "ResidualCell(" + base().repr() + ")"; }
};

class ZoneoutCell : public ModifierCell {
 public:
  template <class C>
    requires std::derived_from<C, BaseCell>
  ZoneoutCell(const C& base, double zoneout_outputs = 0, double zoneout_states = 0, Prefix prefix = std::nullopt)
      : ModifierCell("zoneoutcell", base, std::move(prefix)), zoneout_outputs_(zoneout_outputs),
        zoneout_states_(zoneout_states) {
    check_rates();
  }
  RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  void reset() override;
  std::string repr() const override { return "ZoneoutCell(" + base().repr() + ")"; }

 private:
  void check_rates() const;
  double zoneout_outputs_, zoneout_states_;
  NDArray previous_output_;  // the last step's output (zeros before the first), between steps of one sequence
};

}  // namespace mx::gluon::rnn
