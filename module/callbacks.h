#pragma once
// MXNet's mx.callback for Module::fit: what runs after each batch (Speedometer, log_train_metric) and after
// each epoch (do_checkpoint).
#include <functional>
#include <iosfwd>
#include <string>

#include <mx/gluon/metric.h>
#include <mx/module/checkpoint.h>

namespace mx::mod {

struct BatchEndParam {
  int epoch = 0;
  int nbatch = 0;  // batches done in this epoch, less one
  gluon::metric::EvalMetric* eval_metric = nullptr;
};
using BatchEndCallback = std::function<void(const BatchEndParam&)>;
using EpochEndCallback =
    std::function<void(int epoch, const sym::Symbol& symbol, const ParamDict& arg_params, const ParamDict& aux_params)>;

// Every `frequent` batches, the samples per second since the last report and the metric:
// "Epoch[0] Batch [100-200]\tSpeed: 12345.67 samples/sec\taccuracy=0.912000"; with auto_reset the metric is
// reset after each report. Writes to `out`, std::cout when null.
BatchEndCallback Speedometer(int batch_size, int frequent = 50, bool auto_reset = true, std::ostream* out = nullptr);
// Every `period` batches, the metric: "Iter[0] Batch[100] Train-accuracy=0.912000".
BatchEndCallback log_train_metric(int period, bool auto_reset = false, std::ostream* out = nullptr);
// Saves a checkpoint every `period` epochs, numbered epoch + 1 as MXNet numbers them (the epochs done).
EpochEndCallback do_checkpoint(const std::string& prefix, int period = 1);

}  // namespace mx::mod
