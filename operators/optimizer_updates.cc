// The fused optimizer updates, one operator per rule (named as MXNet's), one elementwise kernel each.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/optimizer_updates.h>
#include <mx/operators/parallel.h>

namespace mx::nd {
namespace {

struct UpdateParams {
  UpdateRule rule = UpdateRule::kSGD;
  UpdateHyperParams hyper;
};

// The gradient as every rule first sees it.
template <class T>
T prepared(T g, const UpdateHyperParams& h) {
  g = static_cast<T>(g * h.rescale_grad);
  if (h.clip_gradient > 0) g = std::clamp(g, static_cast<T>(-h.clip_gradient), static_cast<T>(h.clip_gradient));
  return g;
}

// One element of each rule: w the weight, g the prepared gradient (without decay), s the states.
template <class T>
void update_element(UpdateRule rule, const UpdateHyperParams& h, T& w, T g, T* s0, T* s1) {
  const T lr = static_cast<T>(h.lr), wd = static_cast<T>(h.wd), eps = static_cast<T>(h.epsilon);
  const T b1 = static_cast<T>(h.beta1), b2 = static_cast<T>(h.beta2);
  switch (rule) {
    case UpdateRule::kSGD: w -= lr * (g + wd * w); return;
    case UpdateRule::kSGDMomentum:
      *s0 = static_cast<T>(h.momentum) * *s0 - lr * (g + wd * w);
      w += *s0;
      return;
    case UpdateRule::kNAG: {
      const T decayed = g + wd * w;
      *s0 = static_cast<T>(h.momentum) * *s0 + decayed;
      w -= lr * (decayed + static_cast<T>(h.momentum) * *s0);
      return;
    }
    case UpdateRule::kAdam:
    case UpdateRule::kAdamW: {
      const T grad = rule == UpdateRule::kAdam ? g + wd * w : g;
      *s0 = b1 * *s0 + (1 - b1) * grad;
      *s1 = b2 * *s1 + (1 - b2) * grad * grad;
      const T step = *s0 / (std::sqrt(*s1) + eps);
      w -= rule == UpdateRule::kAdam ? lr * step : lr * (step + wd * w);
      return;
    }
    case UpdateRule::kRMSProp: {
      const T decayed = g + wd * w, gamma = static_cast<T>(h.gamma1);
      *s0 = gamma * *s0 + (1 - gamma) * decayed * decayed;
      w -= lr * decayed / std::sqrt(*s0 + eps);
      return;
    }
    case UpdateRule::kAdaGrad: {
      const T decayed = g + wd * w;
      *s0 += decayed * decayed;
      w -= lr * decayed / (std::sqrt(*s0) + eps);
      return;
    }
    case UpdateRule::kAdaDelta: {
      const T decayed = g + wd * w, rho = static_cast<T>(h.rho);
      *s0 = rho * *s0 + (1 - rho) * decayed * decayed;
      const T delta = std::sqrt(*s1 + eps) / std::sqrt(*s0 + eps) * decayed;
      *s1 = rho * *s1 + (1 - rho) * delta * delta;
      w -= delta;
      return;
    }
    case UpdateRule::kAdamax: {
      const T decayed = g + wd * w;
      *s0 = b1 * *s0 + (1 - b1) * decayed;
      *s1 = std::max(b2 * *s1, std::abs(decayed));
      w -= lr * *s0 / (*s1 + eps);
      return;
    }
    case UpdateRule::kLAMB: return;  // two passes over the whole array: see lamb()
  }
}

// LAMB (You et al.): the Adam direction r = m_hat / (sqrt(v_hat) + eps) + wd * w, scaled by |w| / |r|.
template <class T>
void lamb(const UpdateHyperParams& h, T* w, const T* g, T* m, T* v, std::int64_t n) {
  const double b1 = h.beta1, b2 = h.beta2;
  const double correction1 = 1 - std::pow(b1, h.step), correction2 = 1 - std::pow(b2, h.step);
  std::vector<double> direction(static_cast<std::size_t>(n));
  double weight_norm = 0, direction_norm = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double grad = prepared(g[i], h);
    m[i] = static_cast<T>(b1 * m[i] + (1 - b1) * grad);
    v[i] = static_cast<T>(b2 * v[i] + (1 - b2) * grad * grad);
    const double r = (m[i] / correction1) / (std::sqrt(v[i] / correction2) + h.epsilon) + h.wd * w[i];
    direction[static_cast<std::size_t>(i)] = r;
    weight_norm += static_cast<double>(w[i]) * w[i];
    direction_norm += r * r;
  }
  weight_norm = std::sqrt(weight_norm);
  direction_norm = std::sqrt(direction_norm);
  const double ratio = weight_norm > 0 && direction_norm > 0 ? weight_norm / direction_norm : 1.0;
  for (std::int64_t i = 0; i < n; ++i) w[i] = static_cast<T>(w[i] - h.lr * ratio * direction[static_cast<std::size_t>(i)]);
}

const char* rule_name(UpdateRule rule) {
  switch (rule) {
    case UpdateRule::kSGD: return "sgd_update";
    case UpdateRule::kSGDMomentum: return "sgd_mom_update";
    case UpdateRule::kNAG: return "nag_mom_update";
    case UpdateRule::kAdam: return "adam_update";
    case UpdateRule::kAdamW: return "adamw_update";
    case UpdateRule::kRMSProp: return "rmsprop_update";
    case UpdateRule::kAdaGrad: return "adagrad_update";
    case UpdateRule::kAdaDelta: return "adadelta_update";
    case UpdateRule::kAdamax: return "adamax_update";
    case UpdateRule::kLAMB: return "lamb_update";
  }
  return "update";
}

// Inputs: weight, grad, states...; outputs: weight, states... (the same arrays, written in place).
void infer_update(const UpdateParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const char* name = rule_name(p.rule);
  if (in[0].dtype != DType::kFloat32 && in[0].dtype != DType::kFloat64) {
    throw DTypeError(std::string(name) + ": weights must be float32 or float64, got " + dtype_name(in[0].dtype));
  }
  for (std::size_t i = 1; i < in.size(); ++i) {
    if (in[i].shape != in[0].shape || in[i].dtype != in[0].dtype) {
      throw ShapeError(std::string(name) + ": " + (i == 1 ? "the gradient" : "a state") + " " + in[i].shape.str() + " " +
                       dtype_name(in[i].dtype) + " does not match the weight " + in[0].shape.str() + " " +
                       dtype_name(in[0].dtype));
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[i == 0 ? 0 : i + 1];
}

void update_cpu(const UpdateParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const std::int64_t n = in[0].size();
  auto run = [&](auto tag) {
    using T = decltype(tag);
    T* w = out[0].ptr<T>();
    const T* g = in[1].ptr<T>();
    T* s0 = out.size() > 1 ? out[1].ptr<T>() : nullptr;
    T* s1 = out.size() > 2 ? out[2].ptr<T>() : nullptr;
    if (p.rule == UpdateRule::kLAMB) return lamb(p.hyper, w, g, s0, s1, n);
    op::parallel_for(n, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        update_element(p.rule, p.hyper, w[i], prepared(g[i], p.hyper), s0 ? s0 + i : nullptr, s1 ? s1 + i : nullptr);
      }
    });
  };
  if (in[0].dtype == DType::kFloat32) run(float{});
  else run(double{});
}

op::Operator<UpdateParams> update_operator(UpdateRule rule) {
  const int states = update_state_count(rule);
  return op::define<UpdateParams>({.name = rule_name(rule),
                                   .num_inputs = 2 + states,
                                   .num_outputs = 1 + states,
                                   .infer = &infer_update,
                                   .cpu = &update_cpu});
}

const std::vector<op::Operator<UpdateParams>>& update_operators() {
  static const std::vector<op::Operator<UpdateParams>> operators = [] {
    std::vector<op::Operator<UpdateParams>> all;
    for (int r = 0; r <= static_cast<int>(UpdateRule::kLAMB); ++r) all.push_back(update_operator(static_cast<UpdateRule>(r)));
    return all;
  }();
  return operators;
}
// Registered when the library loads, so that the registry lists them before first use.
[[maybe_unused]] const auto& kUpdateOperators = update_operators();

}  // namespace

int update_state_count(UpdateRule rule) {
  switch (rule) {
    case UpdateRule::kSGD: return 0;
    case UpdateRule::kSGDMomentum:
    case UpdateRule::kNAG:
    case UpdateRule::kRMSProp:
    case UpdateRule::kAdaGrad: return 1;
    default: return 2;
  }
}

void optimizer_update(UpdateRule rule, NDArray& weight, const NDArray& grad, std::span<NDArray> states,
                      const UpdateHyperParams& hyper) {
  const auto& op = update_operators()[static_cast<std::size_t>(rule)];
  if (static_cast<int>(states.size()) != update_state_count(rule)) {
    throw Error(std::string(op.name) + ": takes " + std::to_string(update_state_count(rule)) + " states, got " +
                std::to_string(states.size()));
  }
  std::vector<NDArray> inputs{weight, grad}, outputs{weight};
  for (const NDArray& s : states) {
    inputs.push_back(s);
    outputs.push_back(s);
  }
  op::invoke(op, std::span<const NDArray>(inputs), UpdateParams{rule, hyper}, std::span(outputs));
}

}  // namespace mx::nd
