#pragma once
// Learning-rate schedules, as MXNet's mx.lr_scheduler: lr(num_update) for the update's number (from 1), with
// an optional warm-up from warmup_begin_lr over the first warmup_steps updates (linear, or constant).
#include <string>
#include <vector>

namespace mx::lr_scheduler {

struct WarmUp {
  int warmup_steps = 0;
  double warmup_begin_lr = 0;
  std::string warmup_mode = "linear";  // or "constant"
};

class LRScheduler {
 public:
  explicit LRScheduler(double base_lr = 0.01, WarmUp warmup = {});
  virtual ~LRScheduler() = default;
  double operator()(int num_update) const;
  double base_lr() const { return base_lr_; }
  void set_base_lr(double lr) { base_lr_ = lr; }

 protected:
  // The schedule after warm-up.
  virtual double after_warmup(int num_update) const = 0;
  int warmup_steps() const { return warmup_.warmup_steps; }

 private:
  double base_lr_;
  WarmUp warmup_;
};

// base_lr * factor^k after k * step updates, never below stop_factor_lr.
class FactorScheduler : public LRScheduler {
 public:
  FactorScheduler(int step, double factor = 1, double stop_factor_lr = 1e-8, double base_lr = 0.01, WarmUp warmup = {});

 protected:
  double after_warmup(int num_update) const override;

 private:
  int step_;
  double factor_, stop_factor_lr_;
};

// base_lr * factor^k once the update passes k of the `steps` (increasing).
class MultiFactorScheduler : public LRScheduler {
 public:
  MultiFactorScheduler(std::vector<int> steps, double factor = 1, double base_lr = 0.01, WarmUp warmup = {});

 protected:
  double after_warmup(int num_update) const override;

 private:
  std::vector<int> steps_;
  double factor_;
};

// final_lr + (base_lr - final_lr) (1 - t)^pwr, t the fraction of max_update (after warm-up) done.
class PolyScheduler : public LRScheduler {
 public:
  PolyScheduler(int max_update, double base_lr = 0.01, double pwr = 2, double final_lr = 0, WarmUp warmup = {});

 protected:
  double after_warmup(int num_update) const override;

 private:
  int max_update_;
  double pwr_, final_lr_;
};

// final_lr + (base_lr - final_lr) (1 + cos(pi t)) / 2.
class CosineScheduler : public LRScheduler {
 public:
  CosineScheduler(int max_update, double base_lr = 0.01, double final_lr = 0, WarmUp warmup = {});

 protected:
  double after_warmup(int num_update) const override;

 private:
  int max_update_;
  double final_lr_;
};

}  // namespace mx::lr_scheduler
