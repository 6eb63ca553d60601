#pragma once
// The optimizer update rules, one element at a time: shared by the CPU loops (optimizer_updates.cc) and the CUDA
// kernels (optimizer_updates.cu). C++17, no mxpp types: nvcc compiles it too.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <mx/operators/host_device.h>

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
  kSignum,    // m = momentum * m - (1 - momentum) (g + wd * w); w += lr * sign(m)        states: m
  kFtrl,      // McMahan's FTRL-proximal with L1 strength lamda1 and beta (MXNet's)     states: z, n
  kNadam,     // Adam with Nesterov momentum on a warming schedule (Dozat)               states: m, v
  kRMSPropCentered,  // Graves's: n, g moments; delta = gamma2 delta - lr g / sqrt(n - g^2 + eps); w += delta  states: n, g, delta
  kFTML,      // follow the moving leader (Zheng and Kwok)                             states: d, v, z
  kDCASGD,    // delay-compensated SGD (Zheng et al.): momentum on g + lamda g^2 (w - w_prev)  states: m, w_prev
};
inline constexpr UpdateRule kLastUpdateRule = UpdateRule::kDCASGD;

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
  double lamda1 = 0.01, beta = 1;  // Ftrl's
  // Nadam's, for the update's step t (Nadam::step_params): momentum holds mu_t, momentum_next mu_{t+1};
  // schedule the product mu_1 ... mu_t, schedule_next that times mu_{t+1}; correction2 is 1 - beta2^t.
  double momentum_next = 0, schedule = 0, schedule_next = 0, correction2 = 1;
  double gamma2 = 0.9;      // centered RMSProp's momentum
  double clip_weights = -1; // RMSProp's: weights clipped to [-clip_weights, clip_weights] after the update; off when <= 0
  // FTML's, for step t: 1 - beta1^t and 1 - beta2^t.
  double correction1 = 1;
  double lamda = 0.04;  // DCASGD's compensation strength
};

// The number of optimizer states `rule` keeps (each an array of the weight's shape, zeros at the start).
MX_HOST_DEVICE constexpr int update_state_count(UpdateRule rule) {
  switch (rule) {
    case UpdateRule::kSGD: return 0;
    case UpdateRule::kSGDMomentum:
    case UpdateRule::kNAG:
    case UpdateRule::kRMSProp:
    case UpdateRule::kAdaGrad:
    case UpdateRule::kSignum: return 1;
    case UpdateRule::kRMSPropCentered:
    case UpdateRule::kFTML: return 3;
    default: return 2;
  }
}

// Whether state `index` of `rule` starts as a copy of the weight rather than zeros (DCASGD's previous weight).
MX_HOST_DEVICE constexpr bool state_starts_as_weight(UpdateRule rule, int index) {
  return rule == UpdateRule::kDCASGD && index == 1;
}

// Whether the rule clips the gradient after adding weight decay (FTML, as MXNet's kernel) rather than before.
MX_HOST_DEVICE constexpr bool clips_after_decay(UpdateRule rule) { return rule == UpdateRule::kFTML; }

// The gradient as every rule first sees it. `clip` is +infinity when clipping is off, so the loop has no branch.
template <class T>
MX_HOST_DEVICE T prepared(T g, T rescale, T clip) {
  return std::clamp(static_cast<T>(g * rescale), -clip, clip);
}

template <class T>
MX_HOST_DEVICE T clip_bound(const UpdateHyperParams& h) {
  return h.clip_gradient > 0 ? static_cast<T>(h.clip_gradient) : std::numeric_limits<T>::infinity();
}

// The gradient as rule R first sees it: rescaled, and clipped unless the rule clips after adding decay.
template <UpdateRule R, class T>
MX_HOST_DEVICE T prepared_for(T g, T rescale, T clip) {
  if constexpr (clips_after_decay(R)) return static_cast<T>(g * rescale);
  return prepared(g, rescale, clip);
}

// One element of rule R: w the weight, g the prepared gradient (without decay), s0, s1 and s2 the states. R is a
// template argument so that each rule's loop is compiled on its own and vectorizes.
template <UpdateRule R, class T>
MX_HOST_DEVICE void update_element(const UpdateHyperParams& h, T& w, T g, T& s0, T& s1, T& s2) {
  const T lr = static_cast<T>(h.lr), wd = static_cast<T>(h.wd), eps = static_cast<T>(h.epsilon);
  const T b1 = static_cast<T>(h.beta1), b2 = static_cast<T>(h.beta2);
  if constexpr (R == UpdateRule::kSGD) {
    w -= lr * (g + wd * w);
  } else if constexpr (R == UpdateRule::kSGDMomentum) {
    s0 = static_cast<T>(h.momentum) * s0 - lr * (g + wd * w);
    w += s0;
  } else if constexpr (R == UpdateRule::kNAG) {
    const T decayed = g + wd * w;
    s0 = static_cast<T>(h.momentum) * s0 + decayed;
    w -= lr * (decayed + static_cast<T>(h.momentum) * s0);
  } else if constexpr (R == UpdateRule::kAdam || R == UpdateRule::kAdamW) {
    const T grad = R == UpdateRule::kAdam ? g + wd * w : g;
    s0 = b1 * s0 + (1 - b1) * grad;
    s1 = b2 * s1 + (1 - b2) * grad * grad;
    const T step = s0 / (std::sqrt(s1) + eps);
    w -= R == UpdateRule::kAdam ? lr * step : lr * (step + wd * w);
  } else if constexpr (R == UpdateRule::kRMSProp) {
    const T decayed = g + wd * w, gamma = static_cast<T>(h.gamma1);
    s0 = gamma * s0 + (1 - gamma) * decayed * decayed;
    w -= lr * decayed / std::sqrt(s0 + eps);
    if (h.clip_weights > 0) w = std::clamp(w, static_cast<T>(-h.clip_weights), static_cast<T>(h.clip_weights));
  } else if constexpr (R == UpdateRule::kRMSPropCentered) {
    const T decayed = g + wd * w, gamma = static_cast<T>(h.gamma1);
    s0 = gamma * s0 + (1 - gamma) * decayed * decayed;
    s1 = gamma * s1 + (1 - gamma) * decayed;
    s2 = static_cast<T>(h.gamma2) * s2 - lr * decayed / std::sqrt(s0 - s1 * s1 + eps);
    w += s2;
    if (h.clip_weights > 0) w = std::clamp(w, static_cast<T>(-h.clip_weights), static_cast<T>(h.clip_weights));
  } else if constexpr (R == UpdateRule::kFTML) {
    // s0: d of the previous step, s1: v, s2: z. The gradient comes unclipped: decay first, then the clip.
    const T clip = clip_bound<T>(h);
    const T grad = std::clamp(static_cast<T>(g + wd * w), -clip, clip);
    s1 = b2 * s1 + (1 - b2) * grad * grad;
    const T d = static_cast<T>(h.correction1) / lr * (std::sqrt(s1 / static_cast<T>(h.correction2)) + eps);
    s2 = b1 * s2 + (1 - b1) * grad - (d - b1 * s0) * w;
    s0 = d;
    w = -s2 / d;
  } else if constexpr (R == UpdateRule::kDCASGD) {
    // s0: the momentum, s1: the weight before the last update.
    s0 = static_cast<T>(h.momentum) * s0 - lr * (g + wd * w + static_cast<T>(h.lamda) * g * g * (w - s1));
    s1 = w;
    w += s0;
  } else if constexpr (R == UpdateRule::kAdaGrad) {
    const T decayed = g + wd * w;
    s0 += decayed * decayed;
    w -= lr * decayed / (std::sqrt(s0) + eps);
  } else if constexpr (R == UpdateRule::kAdaDelta) {
    const T decayed = g + wd * w, rho = static_cast<T>(h.rho);
    s0 = rho * s0 + (1 - rho) * decayed * decayed;
    const T delta = std::sqrt(s1 + eps) / std::sqrt(s0 + eps) * decayed;
    s1 = rho * s1 + (1 - rho) * delta * delta;
    w -= delta;
  } else if constexpr (R == UpdateRule::kAdamax) {
    const T decayed = g + wd * w;
    s0 = b1 * s0 + (1 - b1) * decayed;
    s1 = std::max(b2 * s1, std::abs(decayed));
    w -= lr * s0 / (s1 + eps);
  } else if constexpr (R == UpdateRule::kSignum) {
    const T momentum = static_cast<T>(h.momentum);
    s0 = momentum * s0 - (1 - momentum) * (g + wd * w);
    w += lr * static_cast<T>((s0 > 0) - (s0 < 0));
  } else if constexpr (R == UpdateRule::kNadam) {
    const T decayed = g + wd * w, mu = static_cast<T>(h.momentum), mu_next = static_cast<T>(h.momentum_next);
    s0 = b1 * s0 + (1 - b1) * decayed;
    s1 = b2 * s1 + (1 - b2) * decayed * decayed;
    const T blended = (1 - mu) * decayed / static_cast<T>(1 - h.schedule) + mu_next * s0 / static_cast<T>(1 - h.schedule_next);
    w -= lr * blended / (std::sqrt(s1 / static_cast<T>(h.correction2)) + eps);
  } else if constexpr (R == UpdateRule::kFtrl) {
    const T lamda1 = static_cast<T>(h.lamda1), beta = static_cast<T>(h.beta);
    s0 += g - (std::sqrt(s1 + g * g) - std::sqrt(s1)) * w / lr;
    s1 += g * g;
    const T shrunk = static_cast<T>((s0 > 0) - (s0 < 0)) * lamda1 - s0;
    w = std::abs(s0) > lamda1 ? shrunk / ((beta + std::sqrt(s1)) / lr + wd) : T{0};
  }
}

}  // namespace mx::nd
