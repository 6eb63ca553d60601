#pragma once
// Convolution and pooling layers over 1, 2 or 3 spatial axes, data (N, C, *spatial) ("NCW", "NCHW", "NCDHW").
// Conv: weight (channels, in_channels / groups, *kernel), bias (channels); in_channels 0 is learned at the first
// forward. The transposed ones (Conv1DTranspose, Conv2DTranspose, Conv3DTranspose): weight (in_channels,
// channels / groups, *kernel).
#include <string>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/operators/convolution.h>

namespace mx::gluon::nn {

// Per spatial axis; a single value applies to every axis.
struct ConvOptions {
  std::vector<std::int64_t> strides = {1};
  std::vector<std::int64_t> padding = {0};
  std::vector<std::int64_t> dilation = {1};
  std::vector<std::int64_t> output_padding = {0};  // the transposed ones only
  std::int64_t groups = 1;
  std::string activation{};  // as Dense's
  bool use_bias = true;
  init::InitializerRef weight_initializer{};
  init::InitializerRef bias_initializer = init::Zero();
  std::int64_t in_channels = 0;
  Prefix prefix{};  // see Block
};

class Conv : public HybridBlock {
 public:
  Conv(int spatial_axes, bool transpose, std::int64_t channels, std::vector<std::int64_t> kernel_size,
       ConvOptions options);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;
  Parameter weight() const { return weight_; }
  Parameter bias() const { return bias_; }

 private:
  int spatial_axes_;
  bool transpose_;
  std::int64_t channels_;
  nd::ConvShape shape_;
  std::vector<std::int64_t> output_padding_;
  ConvOptions options_;
  Parameter weight_, bias_;
};

class Conv1D : public Conv {
 public:
  Conv1D(std::int64_t channels, std::vector<std::int64_t> kernel_size, ConvOptions options = {})
      : Conv(1, false, channels, std::move(kernel_size), std::move(options)) {}
};
class Conv2D : public Conv {
 public:
  Conv2D(std::int64_t channels, std::vector<std::int64_t> kernel_size, ConvOptions options = {})
      : Conv(2, false, channels, std::move(kernel_size), std::move(options)) {}
};
class Conv3D : public Conv {
 public:
  Conv3D(std::int64_t channels, std::vector<std::int64_t> kernel_size, ConvOptions options = {})
      : Conv(3, false, channels, std::move(kernel_size), std::move(options)) {}
};
class Conv1DTranspose : public Conv {
 public:
  Conv1DTranspose(std::int64_t channels, std::vector<std::int64_t> kernel_size, ConvOptions options = {})
      : Conv(1, true, channels, std::move(kernel_size), std::move(options)) {}
};
class Conv2DTranspose : public Conv {
 public:
  Conv2DTranspose(std::int64_t channels, std::vector<std::int64_t> kernel_size, ConvOptions options = {})
      : Conv(2, true, channels, std::move(kernel_size), std::move(options)) {}
};
class Conv3DTranspose : public Conv {
 public:
  Conv3DTranspose(std::int64_t channels, std::vector<std::int64_t> kernel_size, ConvOptions options = {})
      : Conv(3, true, channels, std::move(kernel_size), std::move(options)) {}
};

struct PoolLayerOptions {
  std::vector<std::int64_t> strides = {};  // empty: the pool size, as Gluon's
  std::vector<std::int64_t> padding = {0};
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling
  Prefix prefix{};                  // see Block
};

class Pool : public HybridBlock {
 public:
  Pool(int spatial_axes, nd::PoolType type, bool global, std::vector<std::int64_t> pool_size, PoolLayerOptions options);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 private:
  int spatial_axes_;
  nd::ConvShape shape_;
  nd::PoolOptions pool_;
};

#define MX_POOL_LAYER(Name, axes, type)                                                                         \
  class Name : public Pool {                                                                                    \
   public:                                                                                                      \
    explicit Name(std::vector<std::int64_t> pool_size = std::vector<std::int64_t>(axes, 2),                     \
                  PoolLayerOptions options = {})                                                               \
        : Pool(axes, type, false, std::move(pool_size), std::move(options)) {}                                 \
  };
MX_POOL_LAYER(MaxPool1D, 1, nd::PoolType::kMax)
MX_POOL_LAYER(MaxPool2D, 2, nd::PoolType::kMax)
MX_POOL_LAYER(MaxPool3D, 3, nd::PoolType::kMax)
MX_POOL_LAYER(AvgPool1D, 1, nd::PoolType::kAvg)
MX_POOL_LAYER(AvgPool2D, 2, nd::PoolType::kAvg)
MX_POOL_LAYER(AvgPool3D, 3, nd::PoolType::kAvg)
#undef MX_POOL_LAYER

// The whole spatial extent pooled to 1 per channel: (N, C, H, W) to (N, C, 1, 1), and so on.
#define MX_GLOBAL_POOL_LAYER(Name, axes, type)                                                                  \
  class Name : public Pool {                                                                                    \
   public:                                                                                                      \
    explicit Name(Prefix prefix = std::nullopt)                                                                 \
        : Pool(axes, type, true, std::vector<std::int64_t>(axes, 1), {.prefix = std::move(prefix)}) {}          \
  };
MX_GLOBAL_POOL_LAYER(GlobalMaxPool1D, 1, nd::PoolType::kMax)
MX_GLOBAL_POOL_LAYER(GlobalMaxPool2D, 2, nd::PoolType::kMax)
MX_GLOBAL_POOL_LAYER(GlobalMaxPool3D, 3, nd::PoolType::kMax)
MX_GLOBAL_POOL_LAYER(GlobalAvgPool1D, 1, nd::PoolType::kAvg)
MX_GLOBAL_POOL_LAYER(GlobalAvgPool2D, 2, nd::PoolType::kAvg)
MX_GLOBAL_POOL_LAYER(GlobalAvgPool3D, 3, nd::PoolType::kAvg)
#undef MX_GLOBAL_POOL_LAYER

}  // namespace mx::gluon::nn
