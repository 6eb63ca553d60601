#include <mx/module/base_module.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include <mx/ndarray/error.h>
#include <mx/operators/shape_ops.h>

namespace mx::mod {
namespace {

std::string epoch_line(int epoch, const std::string& what) { return "Epoch[" + std::to_string(epoch) + "] " + what; }

}  // namespace

std::shared_ptr<gluon::metric::EvalMetric> resolve_metric(const MetricRef& metric) {
  if (const auto* name = std::get_if<std::string>(&metric)) return gluon::metric::create(*name);
  if (const auto* names = std::get_if<std::vector<std::string>>(&metric)) return gluon::metric::create(*names);
  const auto& given = std::get<std::shared_ptr<gluon::metric::EvalMetric>>(metric);
  if (given == nullptr) throw Error("Module: the metric is null");
  return given;
}

void BaseModule::set_params(const ParamDict& arg_params, const ParamDict& aux_params, bool allow_missing, bool force_init,
                        bool allow_extra) {
  init_params(init::Zero(), {.arg_params = &arg_params, .aux_params = &aux_params, .allow_missing = allow_missing,
                             .force_init = force_init, .allow_extra = allow_extra});
}

void BaseModule::forward_backward(const io::DataBatch& batch) {
  forward(batch, true);
  backward();
}

void BaseModule::fit(io::DataIter& train_data, const FitOptions& options) {
  std::ostream& log = options.log != nullptr ? *options.log : std::cout;
  bind(train_data.provide_data(), train_data.provide_label(), {.for_training = true, .force_rebind = options.force_rebind});
  if (options.initializer) {
    init_params(*options.initializer, {.arg_params = options.arg_params, .aux_params = options.aux_params,
                                       .allow_missing = options.allow_missing, .force_init = options.force_init});
  } else {
    init_params(init::Uniform(0.01), {.arg_params = options.arg_params, .aux_params = options.aux_params,
                                      .allow_missing = options.allow_missing, .force_init = options.force_init});
  }
  init_optimizer({.kvstore = options.kvstore, .optimizer = options.optimizer, .optimizer_params = options.optimizer_params});
  const std::shared_ptr<gluon::metric::EvalMetric> metric = resolve_metric(options.eval_metric);
  // The epoch's own copy: callbacks may reset theirs (Speedometer's auto_reset), and the epoch line reports every
  // batch, as MXNet's global statistics do.
  std::shared_ptr<gluon::metric::EvalMetric> epoch_metric = metric->clone();
  const MetricRef validation = options.validation_metric.value_or(options.eval_metric);
  for (int epoch = options.begin_epoch; epoch < options.num_epoch; ++epoch) {
    const auto tic = std::chrono::steady_clock::now();
    metric->reset();
    if (epoch_metric) epoch_metric->reset();
    int nbatch = 0;
    while (train_data.next()) {
      const io::DataBatch batch = train_data.batch();
      forward_backward(batch);
      update();
      update_metric(*metric, batch.label);
      if (epoch_metric) update_metric(*epoch_metric, batch.label);
      for (const BatchEndCallback& callback : options.batch_end_callback) callback({epoch, nbatch, metric.get()});
      ++nbatch;
    }
    for (const auto& [name, value] : (epoch_metric ? *epoch_metric : *metric).get_name_value()) {
      char number[64];
      std::snprintf(number, sizeof number, "%f", value);
      log << epoch_line(epoch, "Train-" + name + "=" + number) << "\n";
    }
    char seconds[64];
    std::snprintf(seconds, sizeof seconds, "%.3f",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - tic).count());
    log << epoch_line(epoch, std::string("Time cost=") + seconds) << "\n";
    const auto [arg_params, aux_params] = get_params();
    for (const EpochEndCallback& callback : options.epoch_end_callback) callback(epoch, symbol(), arg_params, aux_params);
    if (options.eval_data != nullptr) {
      for (const auto& [name, value] : score(*options.eval_data, validation, -1, options.eval_batch_end_callback,
                                             true, epoch, options.eval_end_callback)) {
        char number[64];
        std::snprintf(number, sizeof number, "%f", value);
        log << epoch_line(epoch, "Validation-" + name + "=" + number) << "\n";
      }
    }
    train_data.reset();
  }
}

std::vector<std::pair<std::string, double>> BaseModule::score(io::DataIter& eval_data, const MetricRef& metric_ref,
                                                          int num_batch,
                                                          const std::vector<BatchEndCallback>& batch_end_callback,
                                                          bool reset, int epoch,
                                                          const std::vector<BatchEndCallback>& score_end_callback) {
  if (!binded() || !params_initialized()) throw Error("Module.score: call bind and init_params first");
  if (reset) eval_data.reset();
  const std::shared_ptr<gluon::metric::EvalMetric> metric = resolve_metric(metric_ref);
  metric->reset();
  int nbatch = 0;
  while ((num_batch < 0 || nbatch < num_batch) && eval_data.next()) {
    const io::DataBatch& batch = eval_data.batch();
    forward(batch, false);
    update_metric(*metric, batch.label);
    for (const BatchEndCallback& callback : batch_end_callback) callback({epoch, nbatch, metric.get()});
    ++nbatch;
  }
  for (const BatchEndCallback& callback : score_end_callback) callback({epoch, nbatch, metric.get()});
  return metric->get_name_value();
}

std::vector<NDArray> BaseModule::predict(io::DataIter& eval_data, int num_batch, bool reset) {
  if (!binded() || !params_initialized()) throw Error("Module.predict: call bind and init_params first");
  if (reset) eval_data.reset();
  std::vector<std::vector<NDArray>> pieces;
  int nbatch = 0;
  while ((num_batch < 0 || nbatch < num_batch) && eval_data.next()) {
    const io::DataBatch& batch = eval_data.batch();
    forward(batch, false);
    const std::vector<NDArray> outputs = get_outputs();
    pieces.resize(outputs.size());
    for (std::size_t j = 0; j < outputs.size(); ++j) {
      const std::int64_t rows = outputs[j].shape()[0] - batch.pad;
      pieces[j].push_back(batch.pad > 0 ? outputs[j].slice(0, rows).copy() : outputs[j]);
    }
    ++nbatch;
  }
  std::vector<NDArray> result;
  for (const std::vector<NDArray>& parts : pieces) result.push_back(parts.size() == 1 ? parts.front() : nd::concat(parts, 0));
  return result;
}

}  // namespace mx::mod
