#pragma once
// Normalization layers. BatchNorm: (N, C, ...) normalized per channel (axis 1) by the batch's statistics in
// training and the running ones when predicting; LayerNorm: over the last axis per sample; InstanceNorm: per
// sample and channel over the spatial axes; GroupNorm: per sample over each group of channels and the spatial
// axes. Channel counts of 0 are learned at the first forward.
#include <string>

#include <mx/gluon/block.h>

namespace mx::gluon::nn {

struct BatchNormOptions {
  int axis = 1;
  double momentum = 0.9;
  double epsilon = 1e-5;
  bool center = true;   // learn beta (else 0)
  bool scale = true;    // learn gamma (else 1)
  bool use_global_stats = false;
  std::int64_t in_channels = 0;
  Prefix prefix{};  // see Block
};

// Parameters gamma, beta, running_mean and running_var (the last two not trained).
class BatchNorm : public HybridBlock {
 public:
  explicit BatchNorm(BatchNormOptions options = {}) : BatchNorm("batchnorm", std::move(options)) {}
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 protected:
  // For layers with BatchNorm's parameters and names under another kind (SyncBatchNorm).
  BatchNorm(std::string alias, BatchNormOptions options);
  // The channel extent of x, given to each parameter whose shape is still unknown.
  void set_channels(const NDArray& x);

  BatchNormOptions options_;
  Parameter gamma_, beta_, running_mean_, running_var_;
};

struct NormOptions {
  int axis = -1;  // LayerNorm's; InstanceNorm normalizes (N, C, ...) per channel
  double epsilon = 1e-5;
  bool center = true;
  bool scale = true;
  std::int64_t in_channels = 0;
  Prefix prefix{};  // see Block
};

class LayerNorm : public HybridBlock {
 public:
  explicit LayerNorm(NormOptions options = {});
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "LayerNorm"; }

 private:
  NormOptions options_;
  Parameter gamma_, beta_;
};

class InstanceNorm : public HybridBlock {
 public:
  explicit InstanceNorm(NormOptions options = {.axis = 1});
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "InstanceNorm"; }

 private:
  NormOptions options_;
  Parameter gamma_, beta_;
};

struct GroupNormOptions {
  int num_groups = 1;
  double epsilon = 1e-5;
  bool center = true;
  bool scale = true;
  Prefix prefix{};  // see Block
};

// MXNet 1.x's GroupNorm: (N, C, ...) with C a multiple of num_groups, each sample's groups of C / num_groups
// channels normalized over those channels and the spatial axes, then scaled and shifted by gamma and beta, one
// value per group ((num_groups,), as MXNet 1.x's parameters, so that its files load).
class GroupNorm : public HybridBlock {
 public:
  explicit GroupNorm(GroupNormOptions options = {});
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "GroupNorm(num_groups=" + std::to_string(options_.num_groups) + ")"; }

 private:
  GroupNormOptions options_;
  Parameter gamma_, beta_;
};

}  // namespace mx::gluon::nn
