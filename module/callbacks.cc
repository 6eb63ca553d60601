#include <mx/module/callbacks.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

namespace mx::mod {
namespace {

std::ostream& stream(std::ostream* out) { return out != nullptr ? *out : std::cout; }

std::string metric_text(const gluon::metric::EvalMetric& metric, const char* prefix) {
  std::string text;
  for (const auto& [name, value] : metric.get_name_value()) {
    char number[64];
    std::snprintf(number, sizeof number, "%f", value);
    text += "\t" + std::string(prefix) + name + "=" + number;
  }
  return text;
}

}  // namespace

BatchEndCallback Speedometer(int batch_size, int frequent, bool auto_reset, std::ostream* out) {
  struct State {
    bool started = false;
    int last_count = 0;
    std::chrono::steady_clock::time_point tic;
  };
  auto state = std::make_shared<State>();
  return [=](const BatchEndParam& param) {
    const int count = param.nbatch;
    if (state->last_count > count) state->started = false;  // a new epoch
    state->last_count = count;
    const auto now = std::chrono::steady_clock::now();
    if (!state->started) {
      state->started = true;
      state->tic = now;
      return;
    }
    if (count % frequent != 0) return;
    const double seconds = std::chrono::duration<double>(now - state->tic).count();
    const double speed = static_cast<double>(frequent) * batch_size / std::max(seconds, 1e-9);
    char line[128];
    if (param.eval_metric != nullptr) {
      std::snprintf(line, sizeof line, "Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec", param.epoch,
                    count - frequent, count, speed);
      stream(out) << line << metric_text(*param.eval_metric, "") << "\n";
      if (auto_reset) param.eval_metric->reset();
    } else {
      std::snprintf(line, sizeof line, "Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count, speed);
      stream(out) << line << "\n";
    }
    state->tic = now;
  };
}

BatchEndCallback log_train_metric(int period, bool auto_reset, std::ostream* out) {
  return [=](const BatchEndParam& param) {
    if (param.nbatch % period != 0 || param.eval_metric == nullptr) return;
    stream(out) << "Iter[" << param.epoch << "] Batch[" << param.nbatch << "]"
                << metric_text(*param.eval_metric, "Train-") << "\n";
    if (auto_reset) param.eval_metric->reset();
  };
}

EpochEndCallback do_checkpoint(const std::string& prefix, int period) {
  return [=](int epoch, const sym::Symbol& symbol, const ParamDict& arg_params, const ParamDict& aux_params) {
    if ((epoch + 1) % period == 0) save_checkpoint(prefix, epoch + 1, symbol, arg_params, aux_params);
  };
}

}  // namespace mx::mod
