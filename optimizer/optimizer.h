#pragma once
// Optimizers, as MXNet's mx.optimizer: used by gluon's Trainer and, for updates on the store, by the kvstore.
// Each keeps per-weight states and applies its rule as one fused engine operation per
// weight (nd::optimizer_update). Options common to all: learning_rate, wd, rescale_grad (the Trainer sets it
// to 1 / batch_size times this), clip_gradient, and an optional learning-rate schedule.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <mx/optimizer/lr_scheduler.h>
#include <mx/operators/optimizer_updates.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::optimizer {

struct OptimizerOptions {
  double learning_rate = 0.01;
  double wd = 0;
  double rescale_grad = 1;
  double clip_gradient = -1;  // off when <= 0
  std::shared_ptr<lr_scheduler::LRScheduler> lr_scheduler = nullptr;
  // MXNet's multi_precision: a float16 or bfloat16 weight gets a float32 master copy (its last state) which the
  // updates accumulate into, the weight being its rounding. Without it such a weight and its states are updated
  // in float32 arithmetic and stored back in their own precision, so steps smaller than the weight's
  // resolution are lost (as MXNet warns).
  bool multi_precision = false;
  // MXNet's lazy_update, for row-sparse gradients: only the rows the gradient stores are updated, their weight
  // decay and momentum included (an embedding's step then costs the batch's rows, not the table's). Off: every
  // row is updated as the dense gradient would update it.
  bool lazy_update = true;
};

class Optimizer {
 public:
  Optimizer(nd::UpdateRule rule, OptimizerOptions options, nd::UpdateHyperParams hyper);
  virtual ~Optimizer() = default;

  // Zero states for `weight` (how many depends on the rule; with multi_precision, a 16-bit weight's float32
  // copy after them).
  std::vector<NDArray> create_state(const NDArray& weight) const;
  // One step for the weight numbered `index`: its count of updates advances, which bias corrections and the
  // schedule read. Pushes one engine operation.
  void update(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states);
  // The same for a weight kept as one copy per context, each with its gradient and states: the count advances
  // once and every copy takes the same step (one engine operation per copy).
  void update(int index, const std::vector<NDArray>& copies, const std::vector<NDArray>& grads,
              std::vector<std::vector<NDArray>>& states);
  // The same with row-sparse gradients (a Parameter with grad_stype row_sparse), lazily unless lazy_update is
  // off. Rules that need the whole gradient (LAMB, LARS, SGLD) and 16-bit weights take it densified.
  void update(int index, const std::vector<NDArray>& copies, const std::vector<RowSparseNDArray>& grads,
              std::vector<std::vector<NDArray>>& states);

  // The rate the next update uses (the schedule's, when there is one).
  double learning_rate() const;
  // Throws mx::Error when a schedule sets the rate.
  void set_learning_rate(double lr);
  double rescale_grad() const { return options_.rescale_grad; }
  void set_rescale_grad(double scale) { options_.rescale_grad = scale; }
  int num_update() const { return num_update_; }
  // What the Trainer tells of the weight numbered `index`: its name (LARS leaves biases and BatchNorm's gamma and
  // beta unscaled, as MXNet's does by name) and Gluon's lr_mult and wd_mult, which scale its rate and decay.
  struct ParamInfo {
    std::string name;
    double lr_mult = 1, wd_mult = 1;
  };
  void set_param_info(int index, ParamInfo info);
  // For save_states / load_states.
  const std::map<int, int>& update_counts() const { return counts_; }
  void set_update_counts(std::map<int, int> counts);

  virtual std::string name() const = 0;

 protected:
  // The rule's parameters for the t-th update of a weight (bias corrections fold into lr here).
  virtual nd::UpdateHyperParams step_params(nd::UpdateHyperParams base, int /*t*/) const { return base; }
  // Called once per update of weight `index`, before its copies are updated (what must be alike for every copy).
  virtual void begin_update(int /*index*/, nd::UpdateHyperParams& /*step*/) {}
  // Applies one step to one copy: the rule's fused operation, unless an optimizer composes its own.
  virtual void apply(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states,
                     const nd::UpdateHyperParams& step);
  const ParamInfo* param_info(int index) const;
  // Whether apply() is the rule's elementwise update, which a row-sparse gradient can drive row by row; false for
  // optimizers that compose their own from whole arrays.
  virtual bool updates_rows() const { return rule_ != nd::UpdateRule::kLAMB; }

 private:
  // The step's parameters for the next update of weight `index` (its count advances).
  nd::UpdateHyperParams next_step(int index);
  std::vector<NDArray> rule_states(const NDArray& weight) const;
  // apply() for a float16 or bfloat16 weight: on its float32 master copy, or on float32 copies stored back.
  void apply_low_precision(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states,
                           const nd::UpdateHyperParams& step);

 private:
  nd::UpdateRule rule_;
  OptimizerOptions options_;
  nd::UpdateHyperParams hyper_;
  std::map<int, int> counts_;  // updates per weight index
  std::map<int, ParamInfo> params_;  // per weight index, as the Trainer set them
  int num_update_ = 0;         // the largest count: the schedule's clock, as MXNet's
};

class SGD : public Optimizer {
 public:
  explicit SGD(OptimizerOptions options = {}, double momentum = 0);
  std::string name() const override { return "sgd"; }
};

// Nesterov's accelerated gradient.
class NAG : public Optimizer {
 public:
  explicit NAG(OptimizerOptions options = {}, double momentum = 0.9);
  std::string name() const override { return "nag"; }
};

struct AdamParams {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};
class Adam : public Optimizer {
 public:
  explicit Adam(OptimizerOptions options = {.learning_rate = 0.001}, AdamParams params = {});
  std::string name() const override { return "adam"; }

 protected:
  nd::UpdateHyperParams step_params(nd::UpdateHyperParams base, int t) const override;
};

// Adam with decoupled weight decay (Loshchilov and Hutter): w -= lr * wd * w apart from the gradient.
class AdamW : public Optimizer {
 public:
  explicit AdamW(OptimizerOptions options = {.learning_rate = 0.001}, AdamParams params = {});
  std::string name() const override { return "adamw"; }

 protected:
  nd::UpdateHyperParams step_params(nd::UpdateHyperParams base, int t) const override;
};

struct RMSPropParams {
  double gamma1 = 0.9;       // the decay of the moments
  double gamma2 = 0.9;       // the momentum of the step (centered only)
  double epsilon = 1e-8;
  bool centered = false;     // Graves's: divide by the gradient's estimated deviation, not its root mean square
  double clip_weights = -1;  // weights clipped to [-clip_weights, clip_weights] after each update; off when <= 0
};
// Tieleman and Hinton's RMSProp; centered, Graves's (MXNet's rmspropalex_update, three states).
class RMSProp : public Optimizer {
 public:
  explicit RMSProp(OptimizerOptions options = {.learning_rate = 0.001}, RMSPropParams params = {});
  RMSProp(OptimizerOptions options, double gamma1, double epsilon = 1e-8)
      : RMSProp(std::move(options), RMSPropParams{.gamma1 = gamma1, .epsilon = epsilon}) {}
  std::string name() const override { return "rmsprop"; }
};

class AdaGrad : public Optimizer {
 public:
  explicit AdaGrad(OptimizerOptions options = {}, double epsilon = 1e-7);
  std::string name() const override { return "adagrad"; }
};

class AdaDelta : public Optimizer {
 public:
  explicit AdaDelta(OptimizerOptions options = {.learning_rate = 1.0}, double rho = 0.9, double epsilon = 1e-5);
  std::string name() const override { return "adadelta"; }
};

class Adamax : public Optimizer {
 public:
  explicit Adamax(OptimizerOptions options = {.learning_rate = 0.002}, double beta1 = 0.9, double beta2 = 0.999);
  std::string name() const override { return "adamax"; }

 protected:
  nd::UpdateHyperParams step_params(nd::UpdateHyperParams base, int t) const override;
};

// Layer-wise adaptive moments (You et al.): Adam's step scaled per weight by |w| / |step|.
class LAMB : public Optimizer {
 public:
  explicit LAMB(OptimizerOptions options = {.learning_rate = 0.001}, AdamParams params = {.epsilon = 1e-6});
  std::string name() const override { return "lamb"; }

 protected:
  nd::UpdateHyperParams step_params(nd::UpdateHyperParams base, int t) const override;
};

// Sign of the momentum (Bernstein et al.), MXNet's Signum; with momentum 0, signSGD. (MXNet's wd_lh is not
// offered.)
class Signum : public Optimizer {
 public:
  explicit Signum(OptimizerOptions options = {}, double momentum = 0.9);
  std::string name() const override { return "signum"; }
};

// FTRL-proximal (McMahan et al.) with L1 strength lamda1, as MXNet's Ftrl: sparse weights for linear models.
class Ftrl : public Optimizer {
 public:
  explicit Ftrl(OptimizerOptions options = {.learning_rate = 0.1}, double lamda1 = 0.01, double beta = 1);
  std::string name() const override { return "ftrl"; }
};

// Adam with Nesterov momentum (Dozat), as MXNet's Nadam: the momentum warms up as
// mu_t = beta1 (1 - 0.5 * 0.96^(t * schedule_decay)), and its running product is per step t (MXNet 1.x's kept
// one product for all weights, so it fell with their number).
class Nadam : public Optimizer {
 public:
  explicit Nadam(OptimizerOptions options = {.learning_rate = 0.001}, AdamParams params = {},
                 double schedule_decay = 0.004);
  std::string name() const override { return "nadam"; }

 protected:
  nd::UpdateHyperParams step_params(nd::UpdateHyperParams base, int t) const override;

 private:
  double momentum_at(double beta1, int t) const;
  double schedule_decay_;
  mutable std::mutex products_mutex_;       // updates on the store run on engine workers
  mutable std::vector<double> products_ = {1};  // mu_1 ... mu_t at t, filled as steps arrive
};

// Follow the moving leader (Zheng and Kwok), as MXNet's FTML: d_t = (1 - beta1^t) / lr (sqrt(v_t / (1 - beta2^t))
// + epsilon), z = beta1 z + (1 - beta1) g - (d_t - beta1 d_{t-1}) w, w = -z / d_t (weight decay added before the
// gradient is clipped, as MXNet's kernel does).
class FTML : public Optimizer {
 public:
  explicit FTML(OptimizerOptions options = {}, AdamParams params = {.beta1 = 0.6});
  std::string name() const override { return "ftml"; }

 protected:
  nd::UpdateHyperParams step_params(nd::UpdateHyperParams base, int t) const override;
};

// Delay-compensated SGD for asynchronous updates (Zheng et al.), as MXNet's DCASGD: the gradient corrected by
// lamda g^2 (w - w_prev), w_prev the weight at the previous update (the state starts as the weight).
class DCASGD : public Optimizer {
 public:
  explicit DCASGD(OptimizerOptions options = {}, double momentum = 0, double lamda = 0.04);
  std::string name() const override { return "dcasgd"; }
};

// Layer-wise adaptive rate scaling (You et al.), as MXNet's LARS: SGD with momentum whose rate for each weight is
// lr * eta * |w| / (|g| + wd |w| + eps) (lr where either norm is 0), except for parameters named ...bias,
// ...gamma or ...beta, which keep lr. With momentum_correction, a rate changed by the schedule scales the momentum
// by new rate / old rate (Goyal et al.). Composed of array operations: runs wherever they run.
struct LARSParams {
  double momentum = 0;
  double eta = 0.001;
  double epsilon = 0;
  bool momentum_correction = true;
};
class LARS : public Optimizer {
 public:
  explicit LARS(OptimizerOptions options = {}, LARSParams params = {});
  std::string name() const override { return "lars"; }

 protected:
  void begin_update(int index, nd::UpdateHyperParams& step) override;  // the momentum correction
  void apply(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states,
             const nd::UpdateHyperParams& step) override;
  bool updates_rows() const override { return false; }

 private:
  LARSParams params_;
  std::map<int, double> last_lr_;  // the rate of each weight's last update
};

// Stochastic gradient Langevin dynamics (Welling and Teh), as MXNet's SGLD: w += -lr / 2 (g + wd w) + N(0, lr)
// noise, drawn from the weight's device's generator (random::seed makes it repeat).
class SGLD : public Optimizer {
 public:
  explicit SGLD(OptimizerOptions options = {});
  std::string name() const override { return "sgld"; }

 protected:
  void begin_update(int index, nd::UpdateHyperParams& step) override;
  void apply(int index, NDArray& weight, const NDArray& grad, std::vector<NDArray>& states,
             const nd::UpdateHyperParams& step) override;
  bool updates_rows() const override { return false; }

 private:
  NDArray noise_;  // one draw per update, added to every copy so that they stay alike
};

// By name ("sgd", "nag", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "lamb", "signum", "ftrl", "nadam",
// "ftml", "dcasgd", "lars", "sgld") with MXNet's keyword names as keys (learning_rate, wd, momentum, beta1, beta2,
// epsilon, gamma1, gamma2, centered (0 or 1), clip_weights, rho, lamda1, beta, schedule_decay, lamda, eta,
// momentum_correction (0 or 1), rescale_grad, clip_gradient, multi_precision and lazy_update (0 or 1)). Unknown
// names or keys are an mx::Error listing the valid ones.
std::shared_ptr<Optimizer> create(const std::string& name, const std::map<std::string, double>& params = {});

}  // namespace mx::optimizer
