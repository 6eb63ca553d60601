#pragma once
// MXNet's contrib SyncBatchNorm: BatchNorm whose statistics in training are those of the whole batch split across
// `ndev` devices of one process (data parallel), so that small batches per device normalize as one large batch.
// Each device's call reduces its part to a count, mean and sum of squared deviations per channel; the calls that
// share `key` meet in an exchange (exchange.h) that combines the parts exactly (the pairwise update of Chan et
// al.) into the batch's mean and variance. Every device normalizes with those and updates its moving statistics
// with them, so every copy stays alike. Backward exchanges the statistics' gradients the same way, so each
// device's data gradient is the whole batch's. Call it on every device, in any order, before waiting on any
// output. Outside training, or with use_global_stats, it is BatchNorm with the moving statistics. Data is
// (N, C, ...), channels on axis 1; gamma, beta and the moving statistics have C values.
#include <string>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::contrib {

struct SyncBatchNormOptions {
  double eps = 1e-3;
  double momentum = 0.9;
  bool fix_gamma = true;  // MXNet's default: gamma taken as 1
  bool use_global_stats = false;
  int ndev = 1;
  std::string key;         // calls with one key meet (MXNet's: the layer's name)
  double timeout_s = 120;  // a step that some device never calls fails after this (mxpp's; MXNet waits forever)
};

NDArray SyncBatchNorm(const NDArray& data, const NDArray& gamma, const NDArray& beta, NDArray& moving_mean,
                      NDArray& moving_var, const SyncBatchNormOptions& options);

}  // namespace mx::nd::contrib
