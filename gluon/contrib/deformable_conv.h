#pragma once
// Gluon's contrib DeformableConvolution and ModulatedDeformableConvolution layers (gluon.contrib.cnn): a 2-D
// convolution whose sampling offsets (and, modulated, masks) a plain convolution of the same kernel, strides,
// padding and dilation computes from the input; it starts at zero, so the layer starts as a Conv2D.
// data (N, C, H, W) to (N, channels, OH, OW). Parameters: weight (channels, C / groups, KH, KW), bias (channels),
// offset_weight (K, C / groups, KH, KW), offset_bias (K), with K = 2 KH KW num_deformable_group (3 KH KW
// num_deformable_group modulated: the last third, through 2 sigmoid, is the mask). CPU only.
#include <cstdint>
#include <string>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/gluon/init.h>
#include <mx/operators/convolution.h>

namespace mx::gluon::contrib::cnn {

struct DeformableConvOptions {
  std::vector<std::int64_t> strides = {1};  // one value, or one per axis (h, w)
  std::vector<std::int64_t> padding = {0};
  std::vector<std::int64_t> dilation = {1};
  std::int64_t groups = 1;
  std::int64_t num_deformable_group = 1;
  bool use_bias = true;
  std::int64_t in_channels = 0;  // 0: learned at the first forward
  std::string activation{};
  init::InitializerRef weight_initializer{};
  init::InitializerRef bias_initializer = init::Zero();
  init::InitializerRef offset_weight_initializer = init::Zero();
  init::InitializerRef offset_bias_initializer = init::Zero();
  bool offset_use_bias = true;
  Prefix prefix{};
};

class DeformableConvolution : public HybridBlock {
 public:
  DeformableConvolution(std::int64_t channels, std::vector<std::int64_t> kernel_size, DeformableConvOptions options = {});
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 protected:
  DeformableConvolution(std::int64_t channels, std::vector<std::int64_t> kernel_size, DeformableConvOptions options,
                        bool modulated);

 private:
  std::int64_t channels_;
  bool modulated_;
  nd::ConvShape shape_;
  DeformableConvOptions options_;
  Parameter weight_, bias_, offset_weight_, offset_bias_;
};

class ModulatedDeformableConvolution : public DeformableConvolution {
 public:
  ModulatedDeformableConvolution(std::int64_t channels, std::vector<std::int64_t> kernel_size,
                                 DeformableConvOptions options = {})
      : DeformableConvolution(channels, std::move(kernel_size), std::move(options), true) {}
};

}  // namespace mx::gluon::contrib::cnn
