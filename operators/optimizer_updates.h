#pragma once
// MXNet's fused optimizer updates: each rewrites a weight and its optimizer states in place as one engine
// operation, so that a Trainer step pushes one operation per parameter. The gradient is first rescaled
// (rescale_grad), clipped to [-clip_gradient, clip_gradient] when clip_gradient > 0, and (except for the
// decoupled rules, AdamW and LAMB) given weight decay wd * weight. float32 and float64 weights; the gradient and
// the states have the weight's shape and dtype.
#include <span>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

enum class UpdateRule {
  kSGD,       // w -= lr * g                                                        states: none
  kSGDMomentum,  // m = momentum * m - lr * g; w += m                                states: m
  kNAG,       // m = momentum * m + g; w -= lr * (g + momentum * m)                    states: m
  kAdam,      // m, v moments; w -= lr * m / (sqrt(v) + epsilon) (bias correction in lr)    states: m, v
  kAdamW,     // Adam with decoupled decay: w -= lr * (m / (sqrt(v) + epsilon) + wd * w)    states: m, v
  kRMSProp,   // n = gamma1 * n + (1 - gamma1) g^2; w -= lr * g / sqrt(n + epsilon)     states: n
  kAdaGrad,   // h += g^2; w -= lr * g / (sqrt(h) + epsilon)                             states: h
  kAdaDelta,  // Zeiler's rule with decay rho                                          states: acc_g, acc_delta
  kAdamax,    // m = b1 m + (1 - b1) g; u = max(b2 u, |g|); w -= lr * m / u (bias correction in lr)  states: m, u
  kLAMB,      // Adam's direction plus decoupled decay, scaled by the trust ratio |w| / |direction|  states: m, v
};

struct UpdateHyperParams {
  double lr = 0.01;
  double wd = 0;
  double rescale_grad = 1;
  double clip_gradient = -1;  // off when <= 0
  double momentum = 0;
  double beta1 = 0.9, beta2 = 0.999;  // Adam, AdamW, Adamax, LAMB
  double epsilon = 1e-8;
  double gamma1 = 0.9;  // RMSProp's decay
  double rho = 0.9;     // AdaDelta's decay
  int step = 1;         // LAMB's bias correction: the update's number, from 1
};

// The number of optimizer states `rule` keeps (each an array of the weight's shape, zeros at the start).
constexpr int update_state_count(UpdateRule rule) {
  switch (rule) {
    case UpdateRule::kSGD: return 0;
    case UpdateRule::kSGDMomentum:
    case UpdateRule::kNAG:
    case UpdateRule::kRMSProp:
    case UpdateRule::kAdaGrad: return 1;
    default: return 2;
  }
}

// Updates `weight` and `states` in place. Throws mx::ShapeError / mx::DTypeError naming the update at the call.
void optimizer_update(UpdateRule rule, NDArray& weight, const NDArray& grad, std::span<NDArray> states,
                      const UpdateHyperParams& hyper);

}  // namespace mx::nd
