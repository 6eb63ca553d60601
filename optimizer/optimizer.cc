#include <mx/optimizer/optimizer.h>

#include <algorithm>
#include <cmath>
#include <set>

#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/nn.h>
#include <mx/operators/random.h>
#include <mx/operators/reduce.h>
#include <mx/operators/select.h>
#include <mx/sparse/sparse_updates.h>

namespace mx::optimizer {

Optimizer::Optimizer(nd::UpdateRule rule, OptimizerOptions options, nd::UpdateHyperParams hyper)
    : rule_(rule), options_(std::move(options)), hyper_(hyper) {
  if (options_.lr_scheduler) options_.lr_scheduler->set_base_lr(options_.learning_rate);
}

namespace {
bool low_precision(DType dtype) { return dtype == DType::kFloat16 || dtype == DType::kBFloat16; }
}  // namespace

std::vector<NDArray> Optimizer::create_state(const NDArray& weight) const {
  if (!options_.multi_precision || !low_precision(weight.dtype())) return rule_states(weight);
  const NDArray master = weight.astype(DType::kFloat32);
  std::vector<NDArray> states = rule_states(master);
  states.push_back(master);
  return states;
}

std::vector<NDArray> Optimizer::rule_states(const NDArray& weight) const {
  std::vector<NDArray> states;
  for (int i = 0; i < nd::update_state_count(rule_); ++i) {
    states.push_back(nd::state_starts_as_weight(rule_, i) ? weight.copy()
                                                          : nd::zeros(weight.shape(), weight.context(), weight.dtype()));
  }
  return states;
}

double Optimizer::learning_rate() const {
  return options_.lr_scheduler ? (*options_.lr_scheduler)(std::max(num_update_, 1)) : options_.learning_rate;
}

void Optimizer::set_learning_rate(double lr) {
  if (options_.lr_scheduler) {
    throw Error(name() + ": the learning rate follows its lr_scheduler; set_learning_rate would be overwritten");
  }
  options_.learning_rate = lr;
}

void Optimizer::set_update_counts(std::map<int, int> counts) {
  counts_ = std::move(counts);
  num_update_ = 0;
  for (const auto& [index, count] : counts_) num_update_ = std::max(num_update_, count);
}

void Optimizer::set_param_info(int index, ParamInfo info) { params_[index] = std::move(info); }

const Optimizer::ParamInfo* Optimizer::param_info(int index) const {
  const auto it = params_.find(index);
  return it == params_.end() ? nullptr : &it->second;
}

void Optimizer::apply(int, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states,
                      const nd::UpdateHyperParams& step) {
  nd::optimizer_update(rule_, weight, grad, states, step);
}

void Optimizer::update(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states) {
  std::vector<std::vector<NDArray>> one = {std::move(states)};
  update(index, {weight}, {grad}, one);
  states = std::move(one[0]);
}

nd::UpdateHyperParams Optimizer::next_step(int index) {
  const int t = ++counts_[index];
  num_update_ = std::max(num_update_, t);
  nd::UpdateHyperParams h = hyper_;
  const ParamInfo* info = param_info(index);
  h.lr = learning_rate() * (info ? info->lr_mult : 1);
  h.wd = options_.wd * (info ? info->wd_mult : 1);
  h.rescale_grad = options_.rescale_grad;
  h.clip_gradient = options_.clip_gradient;
  h.step = t;
  nd::UpdateHyperParams step = step_params(h, t);
  begin_update(index, step);
  return step;
}

void Optimizer::update(int index, const std::vector<NDArray>& copies, const std::vector<RowSparseNDArray>& grads,
                       std::vector<std::vector<NDArray>>& states) {
  const bool by_rows =
      updates_rows() && std::none_of(copies.begin(), copies.end(), [](const NDArray& w) { return low_precision(w.dtype()); });
  if (!by_rows) {
    std::vector<NDArray> dense;
    for (const RowSparseNDArray& g : grads) dense.push_back(g.todense());
    update(index, copies, dense, states);
    return;
  }
  const nd::UpdateHyperParams step = next_step(index);
  for (std::size_t c = 0; c < copies.size(); ++c) {
    NDArray weight = copies[c];
    nd::sparse::optimizer_update(rule_, weight, grads[c], states[c], step, options_.lazy_update);
  }
}

void Optimizer::update(int index, const std::vector<NDArray>& copies, const std::vector<NDArray>& grads,
                       std::vector<std::vector<NDArray>>& states) {
  const nd::UpdateHyperParams step = next_step(index);
  for (std::size_t c = 0; c < copies.size(); ++c) {
    NDArray weight = copies[c];
    if (low_precision(weight.dtype())) {
      apply_low_precision(index, weight, grads[c], states[c], step);
    } else {
      apply(index, weight, grads[c], states[c], step);
    }
  }
}

void Optimizer::apply_low_precision(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states,
                                    const nd::UpdateHyperParams& step) {
  const NDArray grad32 = grad.astype(DType::kFloat32);
  const auto rule_count = static_cast<std::size_t>(nd::update_state_count(rule_));
  if (options_.multi_precision) {
    if (states.size() != rule_count + 1 || states.back().dtype() != DType::kFloat32) {
      throw Error(name() + ": multi_precision keeps a float32 copy of a " + dtype_name(weight.dtype()) + " weight " +
                  weight.shape().str() + " after its states; these states were not made by create_state with it");
    }
    NDArray master = states.back();
    std::vector<NDArray> own(states.begin(), states.end() - 1);  // the same arrays, updated in place
    apply(index, master, grad32, own, step);
    nd::copyto(master, weight);
    return;
  }
  NDArray weight32 = weight.astype(DType::kFloat32);
  std::vector<NDArray> states32;
  for (const NDArray& s : states) states32.push_back(s.astype(DType::kFloat32));
  apply(index, weight32, grad32, states32, step);
  nd::copyto(weight32, weight);
  for (std::size_t i = 0; i < states.size(); ++i) nd::copyto(states32[i], states[i]);
}

SGD::SGD(OptimizerOptions options, double momentum)
    : Optimizer(momentum == 0 ? nd::UpdateRule::kSGD : nd::UpdateRule::kSGDMomentum, std::move(options),
                {.momentum = momentum}) {}

NAG::NAG(OptimizerOptions options, double momentum)
    : Optimizer(nd::UpdateRule::kNAG, std::move(options), {.momentum = momentum}) {}

Adam::Adam(OptimizerOptions options, AdamParams p)
    : Optimizer(nd::UpdateRule::kAdam, std::move(options), {.beta1 = p.beta1, .beta2 = p.beta2, .epsilon = p.epsilon}) {}

// MXNet's: the bias corrections of both moments fold into the rate.
nd::UpdateHyperParams Adam::step_params(nd::UpdateHyperParams h, int t) const {
  h.lr *= std::sqrt(1 - std::pow(h.beta2, t)) / (1 - std::pow(h.beta1, t));
  return h;
}

AdamW::AdamW(OptimizerOptions options, AdamParams p)
    : Optimizer(nd::UpdateRule::kAdamW, std::move(options), {.beta1 = p.beta1, .beta2 = p.beta2, .epsilon = p.epsilon}) {}

// As Adam's, with the decay rescaled so that it stays lr * wd * w whatever the correction.
nd::UpdateHyperParams AdamW::step_params(nd::UpdateHyperParams h, int t) const {
  const double corrected = h.lr * std::sqrt(1 - std::pow(h.beta2, t)) / (1 - std::pow(h.beta1, t));
  h.wd = corrected > 0 ? h.wd * h.lr / corrected : 0;
  h.lr = corrected;
  return h;
}

RMSProp::RMSProp(OptimizerOptions options, RMSPropParams p)
    : Optimizer(p.centered ? nd::UpdateRule::kRMSPropCentered : nd::UpdateRule::kRMSProp, std::move(options),
                {.epsilon = p.epsilon, .gamma1 = p.gamma1, .gamma2 = p.gamma2, .clip_weights = p.clip_weights}) {}

AdaGrad::AdaGrad(OptimizerOptions options, double epsilon)
    : Optimizer(nd::UpdateRule::kAdaGrad, std::move(options), {.epsilon = epsilon}) {}

AdaDelta::AdaDelta(OptimizerOptions options, double rho, double epsilon)
    : Optimizer(nd::UpdateRule::kAdaDelta, std::move(options), {.epsilon = epsilon, .rho = rho}) {}

Adamax::Adamax(OptimizerOptions options, double beta1, double beta2)
    : Optimizer(nd::UpdateRule::kAdamax, std::move(options), {.beta1 = beta1, .beta2 = beta2}) {}

nd::UpdateHyperParams Adamax::step_params(nd::UpdateHyperParams h, int t) const {
  h.lr /= 1 - std::pow(h.beta1, t);
  return h;
}

LAMB::LAMB(OptimizerOptions options, AdamParams p)
    : Optimizer(nd::UpdateRule::kLAMB, std::move(options), {.beta1 = p.beta1, .beta2 = p.beta2, .epsilon = p.epsilon}) {}

nd::UpdateHyperParams LAMB::step_params(nd::UpdateHyperParams h, int t) const {
  h.step = t;  // the kernel corrects both moments itself
  return h;
}

Signum::Signum(OptimizerOptions options, double momentum)
    : Optimizer(nd::UpdateRule::kSignum, std::move(options), {.momentum = momentum}) {}

Ftrl::Ftrl(OptimizerOptions options, double lamda1, double beta)
    : Optimizer(nd::UpdateRule::kFtrl, std::move(options), {.lamda1 = lamda1, .beta = beta}) {}

Nadam::Nadam(OptimizerOptions options, AdamParams p, double schedule_decay)
    : Optimizer(nd::UpdateRule::kNadam, std::move(options), {.beta1 = p.beta1, .beta2 = p.beta2, .epsilon = p.epsilon}),
      schedule_decay_(schedule_decay) {}

double Nadam::momentum_at(double beta1, int t) const {
  return beta1 * (1 - 0.5 * std::pow(0.96, t * schedule_decay_));
}

nd::UpdateHyperParams Nadam::step_params(nd::UpdateHyperParams h, int t) const {
  double product = 0;
  {
    std::lock_guard lock(products_mutex_);
    while (static_cast<int>(products_.size()) <= t) {
      products_.push_back(products_.back() * momentum_at(h.beta1, static_cast<int>(products_.size())));
    }
    product = products_[static_cast<std::size_t>(t)];
  }
  h.momentum = momentum_at(h.beta1, t);
  h.momentum_next = momentum_at(h.beta1, t + 1);
  h.schedule = product;
  h.schedule_next = product * h.momentum_next;
  h.correction2 = 1 - std::pow(h.beta2, t);
  return h;
}

FTML::FTML(OptimizerOptions options, AdamParams p)
    : Optimizer(nd::UpdateRule::kFTML, std::move(options), {.beta1 = p.beta1, .beta2 = p.beta2, .epsilon = p.epsilon}) {}

nd::UpdateHyperParams FTML::step_params(nd::UpdateHyperParams h, int t) const {
  h.correction1 = 1 - std::pow(h.beta1, t);
  h.correction2 = 1 - std::pow(h.beta2, t);
  return h;
}

DCASGD::DCASGD(OptimizerOptions options, double momentum, double lamda)
    : Optimizer(nd::UpdateRule::kDCASGD, std::move(options), {.momentum = momentum, .lamda = lamda}) {}

namespace {
// The gradient as the fused rules first see it (update_rules.h's prepared), for the optimizers composed of array
// operations; also the rescaled one before the clip, which LARS's norm reads.
std::pair<NDArray, NDArray> prepared_gradient(const NDArray& grad, const nd::UpdateHyperParams& h) {
  const NDArray rescaled = grad * h.rescale_grad;
  return {h.clip_gradient > 0 ? nd::clip(rescaled, -h.clip_gradient, h.clip_gradient) : rescaled, rescaled};
}
}  // namespace

LARS::LARS(OptimizerOptions options, LARSParams params)
    : Optimizer(params.momentum == 0 ? nd::UpdateRule::kSGD : nd::UpdateRule::kSGDMomentum, std::move(options),
                {.momentum = params.momentum}),
      params_(params) {}

void LARS::apply(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states,
                 const nd::UpdateHyperParams& h) {
  const ParamInfo* info = param_info(index);
  const std::string name = info ? info->name : "";
  const bool unscaled = name.ends_with("bias") || name.ends_with("gamma") || name.ends_with("beta");
  const auto [g, rescaled] = prepared_gradient(grad, h);
  NDArray rate = nd::full({1}, h.lr, weight.context(), weight.dtype());
  if (!unscaled) {
    const NDArray w_norm = nd::norm(weight).reshape({1}), g_norm = nd::norm(rescaled).reshape({1});
    const NDArray lars = w_norm * params_.eta / (g_norm + w_norm * h.wd + params_.epsilon);
    rate = nd::where((w_norm > 0.0) * (g_norm > 0.0), lars * h.lr, rate);
  }
  const NDArray step = rate * (g + weight * h.wd);
  if (states.empty()) {
    weight -= step;
    return;
  }
  NDArray& m = states[0];
  m *= h.momentum;
  m -= step;
  weight += m;
}

void LARS::begin_update(int index, nd::UpdateHyperParams& h) {
  if (!params_.momentum_correction) return;
  const auto last = last_lr_.find(index);
  if (last != last_lr_.end() && last->second > 0) h.momentum *= h.lr / last->second;
  last_lr_[index] = h.lr;
}

SGLD::SGLD(OptimizerOptions options) : Optimizer(nd::UpdateRule::kSGD, std::move(options), {}) {}

void SGLD::begin_update(int, nd::UpdateHyperParams&) { noise_ = NDArray(); }

void SGLD::apply(int, NDArray& weight, const NDArray& grad, std::vector<NDArray>&, const nd::UpdateHyperParams& h) {
  if (noise_.is_none()) noise_ = nd::random::normal(0, std::sqrt(h.lr), weight.shape(), weight.context(), weight.dtype());
  const NDArray g = prepared_gradient(grad, h).first;
  weight += (g + weight * h.wd) * (-h.lr / 2) + noise_.as_in_context(weight.context());
}

std::shared_ptr<Optimizer> create(const std::string& name, const std::map<std::string, double>& params) {
  static const std::set<std::string> kCommon = {"learning_rate", "wd", "rescale_grad", "clip_gradient",
                                                "multi_precision", "lazy_update"};
  const std::map<std::string, std::set<std::string>> kOwn = {
      {"sgd", {"momentum"}},           {"nag", {"momentum"}},
      {"adam", {"beta1", "beta2", "epsilon"}}, {"adamw", {"beta1", "beta2", "epsilon"}},
      {"rmsprop", {"gamma1", "gamma2", "epsilon", "centered", "clip_weights"}}, {"adagrad", {"epsilon"}},
      {"adadelta", {"rho", "epsilon"}},  {"adamax", {"beta1", "beta2"}},
      {"lamb", {"beta1", "beta2", "epsilon"}}, {"signum", {"momentum"}},
      {"ftrl", {"lamda1", "beta"}}, {"nadam", {"beta1", "beta2", "epsilon", "schedule_decay"}},
      {"ftml", {"beta1", "beta2", "epsilon"}}, {"dcasgd", {"momentum", "lamda"}},
      {"lars", {"momentum", "eta", "epsilon", "momentum_correction"}}, {"sgld", {}}};
  const auto own = kOwn.find(name);
  if (own == kOwn.end()) {
    std::string known;
    for (const auto& [n, keys] : kOwn) known += (known.empty() ? "" : ", ") + n;
    throw Error("optimizer: unknown optimizer \"" + name + "\"; known: " + known);
  }
  for (const auto& [key, value] : params) {
    if (kCommon.count(key) == 0 && own->second.count(key) == 0) {
      std::string valid;
      for (const auto& k : kCommon) valid += " " + k;
      for (const auto& k : own->second) valid += " " + k;
      throw Error("optimizer " + name + ": unknown option \"" + key + "\"; valid:" + valid);
    }
  }
  auto get = [&](const char* key, double fallback) {
    const auto it = params.find(key);
    return it == params.end() ? fallback : it->second;
  };
  const double default_lr = name == "sgd" || name == "nag" || name == "adagrad" || name == "signum" || name == "dcasgd" ||
                                    name == "ftml" || name == "lars" || name == "sgld"
                                ? 0.01
                            : name == "adadelta"                                 ? 1.0
                            : name == "ftrl"                                     ? 0.1
                            : name == "adamax"                                   ? 0.002
                                                                                 : 0.001;
  const OptimizerOptions o{.learning_rate = get("learning_rate", default_lr),
                           .wd = get("wd", 0),
                           .rescale_grad = get("rescale_grad", 1),
                           .clip_gradient = get("clip_gradient", -1),
                           .multi_precision = get("multi_precision", 0) != 0,
                           .lazy_update = get("lazy_update", 1) != 0};
  const AdamParams adam{get("beta1", name == "ftml" ? 0.6 : 0.9), get("beta2", 0.999), get("epsilon", name == "lamb" ? 1e-6 : 1e-8)};
  if (name == "sgd") return std::make_shared<SGD>(o, get("momentum", 0));
  if (name == "nag") return std::make_shared<NAG>(o, get("momentum", 0.9));
  if (name == "adam") return std::make_shared<Adam>(o, adam);
  if (name == "adamw") return std::make_shared<AdamW>(o, adam);
  if (name == "rmsprop") {
    const double centered = get("centered", 0);
    if (centered != 0 && centered != 1) throw Error("optimizer rmsprop: centered must be 0 or 1, got " + std::to_string(centered));
    return std::make_shared<RMSProp>(o, RMSPropParams{.gamma1 = get("gamma1", 0.9),
                                                      .gamma2 = get("gamma2", 0.9),
                                                      .epsilon = get("epsilon", 1e-8),
                                                      .centered = centered == 1,
                                                      .clip_weights = get("clip_weights", -1)});
  }
  if (name == "ftml") return std::make_shared<FTML>(o, adam);
  if (name == "lars") {
    const double correction = get("momentum_correction", 1);
    if (correction != 0 && correction != 1) throw Error("optimizer lars: momentum_correction must be 0 or 1");
    return std::make_shared<LARS>(o, LARSParams{.momentum = get("momentum", 0),
                                                .eta = get("eta", 0.001),
                                                .epsilon = get("epsilon", 0),
                                                .momentum_correction = correction == 1});
  }
  if (name == "sgld") return std::make_shared<SGLD>(o);
  if (name == "dcasgd") return std::make_shared<DCASGD>(o, get("momentum", 0), get("lamda", 0.04));
  if (name == "adagrad") return std::make_shared<AdaGrad>(o, get("epsilon", 1e-7));
  if (name == "adadelta") return std::make_shared<AdaDelta>(o, get("rho", 0.9), get("epsilon", 1e-5));
  if (name == "adamax") return std::make_shared<Adamax>(o, get("beta1", 0.9), get("beta2", 0.999));
  if (name == "signum") return std::make_shared<Signum>(o, get("momentum", 0.9));
  if (name == "nadam") return std::make_shared<Nadam>(o, adam, get("schedule_decay", 0.004));
  if (name == "ftrl") return std::make_shared<Ftrl>(o, get("lamda1", 0.01), get("beta", 1));
  return std::make_shared<LAMB>(o, adam);
}

}  // namespace mx::optimizer
