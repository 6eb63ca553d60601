// The fused optimizer updates, one operator per rule (named as MXNet's), one elementwise kernel each.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/optimizer_updates.h>
#include <mx/operators/simd_clones.h>

#include "rule_dispatch.h"

namespace mx::nd {
namespace {

struct UpdateParams {
  UpdateRule rule = UpdateRule::kSGD;
  UpdateHyperParams hyper;
};

// The elementwise rules over [0, n), split across the workers. Rules with fewer states read dummies, never arrays.
template <UpdateRule R, class T>
void update_elements(const UpdateHyperParams& h, T* w, const T* g, T* s0, T* s1, T* s2, std::int64_t n) {
  const T rescale = static_cast<T>(h.rescale_grad), clip = clip_bound<T>(h);
  constexpr int states = update_state_count(R);
  op::parallel_for_simd<T>(n, [&](std::int64_t begin, std::int64_t end) {
    const UpdateHyperParams hyper = h;  // a local copy: the compiler knows writes to w cannot change it
    T unused0 = 0, unused1 = 0, unused2 = 0;
    for (std::int64_t i = begin; i < end; ++i) {
      update_element<R>(hyper, w[i], prepared_for<R>(g[i], rescale, clip), states > 0 ? s0[i] : unused0,
                        states > 1 ? s1[i] : unused1, states > 2 ? s2[i] : unused2);
    }
  });
}

// LAMB (You et al.): the Adam direction r = m_hat / (sqrt(v_hat) + eps) + wd * w, scaled by |w| / |r|.
template <class T>
void lamb(const UpdateHyperParams& h, T* w, const T* g, T* m, T* v, std::int64_t n) {
  const double b1 = h.beta1, b2 = h.beta2;
  const double correction1 = 1 - std::pow(b1, h.step), correction2 = 1 - std::pow(b2, h.step);
  std::vector<double> direction(static_cast<std::size_t>(n));
  double weight_norm = 0, direction_norm = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double grad = prepared(g[i], static_cast<T>(h.rescale_grad), clip_bound<T>(h));
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
    case UpdateRule::kSignum: return "signum_update";
    case UpdateRule::kFtrl: return "ftrl_update";
    case UpdateRule::kNadam: return "nadam_update";
    case UpdateRule::kRMSPropCentered: return "rmspropalex_update";
    case UpdateRule::kFTML: return "ftml_update";
    case UpdateRule::kDCASGD: return "dcasgd_update";
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
    T* s2 = out.size() > 3 ? out[3].ptr<T>() : nullptr;
    with_rule(p.rule, [&](auto rule) {
      constexpr UpdateRule R = decltype(rule)::value;
      if constexpr (R == UpdateRule::kLAMB) {
        lamb(p.hyper, w, g, s0, s1, n);  // two passes over the whole weight: no elementwise form
      } else {
        update_elements<R>(p.hyper, w, g, s0, s1, s2, n);
      }
    });
  };
  if (in[0].dtype == DType::kFloat32) run(float{});
  else run(double{});
}

#if MXPP_USE_CUDA
void update_gpu(const UpdateParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  op::gpu::optimizer_update(p.rule, p.hyper, static_cast<int>(in[0].dtype), out[0].data, in[1].data,
                            out.size() > 1 ? out[1].data : nullptr, out.size() > 2 ? out[2].data : nullptr,
                            out.size() > 3 ? out[3].data : nullptr, in[0].size(), ctx.run.stream);
}
#endif

op::Operator<UpdateParams> update_operator(UpdateRule rule) {
  const int states = update_state_count(rule);
  return op::define<UpdateParams>({.name = rule_name(rule),
                                   .num_inputs = 2 + states,
                                   .num_outputs = 1 + states,
                                   .infer = &infer_update,
                                   .cpu = &update_cpu,
                                   .gpu = MX_GPU(&update_gpu)});
}

const std::vector<op::Operator<UpdateParams>>& update_operators() {
  static const std::vector<op::Operator<UpdateParams>> operators = [] {
    std::vector<op::Operator<UpdateParams>> all;
    for (int r = 0; r <= static_cast<int>(kLastUpdateRule); ++r) all.push_back(update_operator(static_cast<UpdateRule>(r)));
    return all;
  }();
  return operators;
}
// Registered when the library loads, so that the registry lists them before first use.
[[maybe_unused]] const auto& kUpdateOperators = update_operators();

}  // namespace

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
