#pragma once
// Mixed precision for Gluon (MXNet's contrib.amp): operators cast by operators/amp.h's lists, a block converted to
// run its operators so, and dynamic loss scaling for the Trainer.
//
//   amp::init(DType::kBFloat16);                 // or amp::convert_hybrid_block(net, DType::kBFloat16)
//   amp::init_trainer(trainer);
//   { autograd::record r; loss = amp::scale_loss(loss_fn(net(X), y), trainer); }
//   loss.backward();
//   trainer.step(batch_size);                    // unscales; on inf/NaN skips the step and halves the scale
#include <cstddef>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/gluon/trainer.h>
#include <mx/operators/amp.h>

namespace mx::amp {

// MXNet's dynamic loss scaler: the scale halves (not below min_scale) on an overflow and doubles after `window`
// steps without one.
struct LossScalerOptions {
  double init_scale = 65536;
  double factor = 2;
  int window = 2000;
  double min_scale = 1;
};

class LossScaler {
 public:
  explicit LossScaler(LossScalerOptions options = {});
  double scale() const { return scale_; }
  // Whether any gradient holds an inf or NaN: waits for them (a sync point, as in MXNet).
  bool has_overflow(const std::vector<NDArray>& grads) const;
  void update_scale(bool overflow);
  std::size_t skipped_steps() const { return skipped_; }

 private:
  LossScalerOptions options_;
  double scale_;
  int clean_steps_ = 0;
  std::size_t skipped_ = 0;
};

// Attaches a loss scaler to the trainer: its step divides the gradients by the scale, and skips the update (and
// lowers the scale) when they overflowed.
void init_trainer(gluon::Trainer& trainer, LossScalerOptions options = {});
// The loss times the trainer's current scale (inside autograd::record); mx::Error without init_trainer.
NDArray scale_loss(const NDArray& loss, gluon::Trainer& trainer);
// Runs the block's operators under AMP to `target` from now on, whether or not init was called (its cached
// graphs are traced again).
void convert_hybrid_block(gluon::HybridBlock& block, DType target = DType::kFloat16);

}  // namespace mx::amp
