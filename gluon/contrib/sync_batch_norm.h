#pragma once
// Gluon's contrib SyncBatchNorm: BatchNorm for data-parallel training in one process, whose statistics in training
// are those of the whole batch across the devices (operators/sync_batch_norm.h): the network is called on each
// device's slice (split_and_load), every device's call to this layer meets the others', and each normalizes by the
// batch's mean and variance, so a batch of 8 per device on 4 devices normalizes as one of 32. Parameters and their
// names are BatchNorm's (gamma, beta, running_mean, running_var), so files move between the two.
//
// Call the network on every device before waiting on any output (as with the kvstore); a device that never calls
// fails the step with an error after `timeout_s` rather than hanging.
#include <cstdint>

#include <mx/gluon/nn/normalization.h>

namespace mx::gluon::contrib::nn {

struct SyncBatchNormOptions {
  std::int64_t in_channels = 0;  // 0: learned at the first forward
  int num_devices = 0;           // 0: the number of contexts the layer's parameters were initialized on
  double momentum = 0.9;
  double epsilon = 1e-5;
  bool center = true;   // learn beta (else 0)
  bool scale = true;    // learn gamma (else 1)
  bool use_global_stats = false;
  double timeout_s = 120;
  Prefix prefix{};  // see Block
};

// BatchNorm's parameters, channels on axis 1.
class SyncBatchNorm : public gluon::nn::BatchNorm {
 public:
  explicit SyncBatchNorm(SyncBatchNormOptions options = {});
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 private:
  int num_devices_;
  double timeout_s_;
  std::string key_;  // the layer's name and a number of its own, shared by its copies
};

}  // namespace mx::gluon::contrib::nn
