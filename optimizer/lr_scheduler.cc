#include <mx/optimizer/lr_scheduler.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include <mx/engine/error.h>

namespace mx::lr_scheduler {

LRScheduler::LRScheduler(double base_lr, WarmUp warmup) : base_lr_(base_lr), warmup_(std::move(warmup)) {
  if (warmup_.warmup_steps < 0) throw Error("LRScheduler: warmup_steps must not be negative");
  if (warmup_.warmup_mode != "linear" && warmup_.warmup_mode != "constant") {
    throw Error("LRScheduler: warmup_mode must be \"linear\" or \"constant\", got \"" + warmup_.warmup_mode + "\"");
  }
}

double LRScheduler::operator()(int num_update) const {
  if (num_update < warmup_.warmup_steps) {
    if (warmup_.warmup_mode == "constant") return warmup_.warmup_begin_lr;
    return warmup_.warmup_begin_lr +
           (base_lr_ - warmup_.warmup_begin_lr) * num_update / static_cast<double>(warmup_.warmup_steps);
  }
  return after_warmup(num_update);
}

FactorScheduler::FactorScheduler(int step, double factor, double stop_factor_lr, double base_lr, WarmUp warmup)
    : LRScheduler(base_lr, std::move(warmup)), step_(step), factor_(factor), stop_factor_lr_(stop_factor_lr) {
  if (step < 1) throw Error("FactorScheduler: step must be at least 1, got " + std::to_string(step));
  if (factor > 1) throw Error("FactorScheduler: factor must not exceed 1, got " + std::to_string(factor));
}

double FactorScheduler::after_warmup(int num_update) const {
  const int decays = std::max(0, (num_update - 1) / step_);
  return std::max(base_lr() * std::pow(factor_, decays), std::min(stop_factor_lr_, base_lr()));
}

MultiFactorScheduler::MultiFactorScheduler(std::vector<int> steps, double factor, double base_lr, WarmUp warmup)
    : LRScheduler(base_lr, std::move(warmup)), steps_(std::move(steps)), factor_(factor) {
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (steps_[i] < 1 || (i > 0 && steps_[i] <= steps_[i - 1])) {
      throw Error("MultiFactorScheduler: steps must be increasing and at least 1");
    }
  }
}

double MultiFactorScheduler::after_warmup(int num_update) const {
  const auto passed = std::count_if(steps_.begin(), steps_.end(), [&](int s) { return num_update > s; });
  return base_lr() * std::pow(factor_, static_cast<double>(passed));
}

PolyScheduler::PolyScheduler(int max_update, double base_lr, double pwr, double final_lr, WarmUp warmup)
    : LRScheduler(base_lr, std::move(warmup)), max_update_(max_update), pwr_(pwr), final_lr_(final_lr) {
  if (max_update <= warmup_steps()) throw Error("PolyScheduler: max_update must exceed warmup_steps");
}

double PolyScheduler::after_warmup(int num_update) const {
  if (num_update > max_update_) return final_lr_;
  const double t = (num_update - warmup_steps()) / static_cast<double>(max_update_ - warmup_steps());
  return final_lr_ + (base_lr() - final_lr_) * std::pow(1 - t, pwr_);
}

CosineScheduler::CosineScheduler(int max_update, double base_lr, double final_lr, WarmUp warmup)
    : LRScheduler(base_lr, std::move(warmup)), max_update_(max_update), final_lr_(final_lr) {
  if (max_update <= warmup_steps()) throw Error("CosineScheduler: max_update must exceed warmup_steps");
}

double CosineScheduler::after_warmup(int num_update) const {
  if (num_update > max_update_) return final_lr_;
  const double t = (num_update - warmup_steps()) / static_cast<double>(max_update_ - warmup_steps());
  return final_lr_ + (base_lr() - final_lr_) * (1 + std::cos(std::numbers::pi * t)) / 2;
}

}  // namespace mx::lr_scheduler
