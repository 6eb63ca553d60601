#include <mx/gluon/amp.h>

#include <algorithm>
#include <cmath>

#include <mx/autograd/autograd.h>
#include <mx/gluon/block_state.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/reduce.h>

namespace mx::amp {

LossScaler::LossScaler(LossScalerOptions options) : options_(options), scale_(options.init_scale) {
  if (!(options.init_scale > 0) || !(options.factor > 1) || options.window < 1 || !(options.min_scale > 0)) {
    throw Error("amp::LossScaler: needs init_scale > 0, factor > 1, window >= 1 and min_scale > 0");
  }
}

bool LossScaler::has_overflow(const std::vector<NDArray>& grads) const {
  autograd::pause no_recording;
  // x * 0 is NaN exactly where x is inf or NaN, so one sum per gradient carries any of them.
  double total = 0;
  std::vector<NDArray> sums;
  for (const NDArray& g : grads) sums.push_back(nd::sum(g.astype(DType::kFloat32) * 0.0));
  for (const NDArray& s : sums) total += s.asscalar<double>();
  return !std::isfinite(total);
}

void LossScaler::update_scale(bool overflow) {
  if (overflow) {
    scale_ = std::max(options_.min_scale, scale_ / options_.factor);
    clean_steps_ = 0;
    ++skipped_;
  } else if (++clean_steps_ >= options_.window) {
    scale_ *= options_.factor;
    clean_steps_ = 0;
  }
}

void init_trainer(gluon::Trainer& trainer, LossScalerOptions options) {
  trainer.set_loss_scaler(std::make_shared<LossScaler>(options));
}

NDArray scale_loss(const NDArray& loss, gluon::Trainer& trainer) {
  const LossScaler* scaler = trainer.loss_scaler();
  if (scaler == nullptr) throw Error("amp::scale_loss: the trainer has no loss scaler; call amp::init_trainer first");
  return loss * scaler->scale();
}

void convert_hybrid_block(gluon::HybridBlock& block, DType target) {
  scope check(target);  // validates the target
  block.set_amp_target(target);
}

}  // namespace mx::amp
