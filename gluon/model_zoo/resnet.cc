// ResNet v1 and v2, as MXNet 1.x's model zoo builds them (its BottleneckV1 gives its 1x1 convolutions biases),
// and v1b, GluonCV's and torchvision's ResNet (names as this zoo's v1, with the prefix resnetv1b).
#include <mx/gluon/model_zoo/vision.h>

#include <mx/gluon/nn/activations.h>
#include <mx/gluon/nn/basic_layers.h>
#include <mx/gluon/nn/conv_layers.h>
#include <mx/gluon/nn/dense.h>
#include <mx/gluon/nn/normalization.h>
#include <mx/gluon/nn/sequential.h>
#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/elemwise.h>

namespace mx::gluon::model_zoo::vision {
namespace {

using Ints = std::vector<std::int64_t>;

nn::Conv2D conv3x3(std::int64_t channels, std::int64_t stride, std::int64_t in_channels) {
  return nn::Conv2D(channels, {3, 3},
                    {.strides = {stride, stride}, .padding = {1, 1}, .use_bias = false, .in_channels = in_channels});
}
nn::Conv2D conv1x1(std::int64_t channels, std::int64_t stride, bool use_bias, std::int64_t in_channels = 0) {
  return nn::Conv2D(channels, {1, 1}, {.strides = {stride, stride}, .use_bias = use_bias, .in_channels = in_channels});
}

// The residual blocks are built in their stage's name scope with prefix "" (MXNet's prefix=''), so their layers
// are numbered in the stage: stage1_conv0, stage1_batchnorm0, ...
// Version 1: relu(body(x) + x), or + downsample(x) where the shape changes.
class ResidualV1 : public HybridBlock {
 public:
  NDArray forward(const NDArray& x) override {
    const NDArray residual = downsample_ ? (*downsample_)(x) : x;
    return nd::Activation(body_(x) + residual, "relu");
  }

 protected:
  explicit ResidualV1(std::string alias) : HybridBlock(std::move(alias), "") {}
  // After the body's layers: registers it, then the downsampling branch (MXNet's order, so its numbering).
  void finish(std::int64_t channels, std::int64_t stride, bool downsample, std::int64_t in_channels) {
    register_child(body_, "body");
    if (!downsample) return;
    downsample_ = nn::HybridSequential("");
    downsample_->add(conv1x1(channels, stride, false, in_channels));
    downsample_->add(nn::BatchNorm());
    register_child(*downsample_, "downsample");
  }
  nn::HybridSequential body_{""};

 private:
  std::optional<nn::HybridSequential> downsample_;
};

class BasicBlockV1 : public ResidualV1 {
 public:
  BasicBlockV1(std::int64_t channels, std::int64_t stride, bool downsample, std::int64_t in_channels)
      : ResidualV1("basicblockv1") {
    body_.add(conv3x3(channels, stride, in_channels));
    body_.add(nn::BatchNorm());
    body_.add(nn::Activation("relu"));
    body_.add(conv3x3(channels, 1, channels));
    body_.add(nn::BatchNorm());
    finish(channels, stride, downsample, in_channels);
  }
  std::string repr() const override { return "BasicBlockV1"; }
};

// MXNet's v1 bottleneck strides in its first 1x1 convolution and gives both 1x1 convolutions biases; v1b
// (GluonCV's, torchvision's "v1.5") strides in the 3x3 convolution and has no biases: 4x the 3x3's work in each
// stage's first block, and the accuracy of the later papers.
template <bool kV1b>
class Bottleneck : public ResidualV1 {
 public:
  Bottleneck(std::int64_t channels, std::int64_t stride, bool downsample, std::int64_t in_channels)
      : ResidualV1(kV1b ? "bottleneckv1b" : "bottleneckv1") {
    body_.add(conv1x1(channels / 4, kV1b ? 1 : stride, !kV1b));
    body_.add(nn::BatchNorm());
    body_.add(nn::Activation("relu"));
    body_.add(conv3x3(channels / 4, kV1b ? stride : 1, channels / 4));
    body_.add(nn::BatchNorm());
    body_.add(nn::Activation("relu"));
    body_.add(conv1x1(channels, 1, !kV1b));
    body_.add(nn::BatchNorm());
    finish(channels, stride, downsample, in_channels);
  }
  std::string repr() const override { return kV1b ? "BottleneckV1b" : "BottleneckV1"; }
};
using BottleneckV1 = Bottleneck<false>;
using BottleneckV1b = Bottleneck<true>;

class BasicBlockV2 : public HybridBlock {
 public:
  BasicBlockV2(std::int64_t channels, std::int64_t stride, bool downsample, std::int64_t in_channels)
      : HybridBlock("basicblockv2", "") {
    bn1_ = &register_child(nn::BatchNorm(), "bn1");
    conv1_ = &register_child(conv3x3(channels, stride, in_channels), "conv1");
    bn2_ = &register_child(nn::BatchNorm(), "bn2");
    conv2_ = &register_child(conv3x3(channels, 1, channels), "conv2");
    if (downsample) downsample_ = &register_child(conv1x1(channels, stride, false, in_channels), "downsample");
  }
  NDArray forward(const NDArray& x) override {
    NDArray y = nd::Activation((*bn1_)(x), "relu");
    const NDArray residual = downsample_ != nullptr ? (*downsample_)(y) : x;
    y = (*conv1_)(y);
    y = (*conv2_)(nd::Activation((*bn2_)(y), "relu"));
    return y + residual;
  }
  std::string repr() const override { return "BasicBlockV2"; }

 private:
  nn::BatchNorm *bn1_ = nullptr, *bn2_ = nullptr;
  nn::Conv2D *conv1_ = nullptr, *conv2_ = nullptr, *downsample_ = nullptr;
};

class BottleneckV2 : public HybridBlock {
 public:
  BottleneckV2(std::int64_t channels, std::int64_t stride, bool downsample, std::int64_t in_channels)
      : HybridBlock("bottleneckv2", "") {
    bn1_ = &register_child(nn::BatchNorm(), "bn1");
    conv1_ = &register_child(conv1x1(channels / 4, 1, false), "conv1");
    bn2_ = &register_child(nn::BatchNorm(), "bn2");
    conv2_ = &register_child(conv3x3(channels / 4, stride, channels / 4), "conv2");
    bn3_ = &register_child(nn::BatchNorm(), "bn3");
    conv3_ = &register_child(conv1x1(channels, 1, false), "conv3");
    if (downsample) downsample_ = &register_child(conv1x1(channels, stride, false, in_channels), "downsample");
  }
  NDArray forward(const NDArray& x) override {
    NDArray y = nd::Activation((*bn1_)(x), "relu");
    const NDArray residual = downsample_ != nullptr ? (*downsample_)(y) : x;
    y = (*conv1_)(y);
    y = (*conv2_)(nd::Activation((*bn2_)(y), "relu"));
    y = (*conv3_)(nd::Activation((*bn3_)(y), "relu"));
    return y + residual;
  }
  std::string repr() const override { return "BottleneckV2"; }

 private:
  nn::BatchNorm *bn1_ = nullptr, *bn2_ = nullptr, *bn3_ = nullptr;
  nn::Conv2D *conv1_ = nullptr, *conv2_ = nullptr, *conv3_ = nullptr, *downsample_ = nullptr;
};

enum class BlockKind { kBasic, kBottleneck, kBottleneckV1b };

template <class Block>
nn::HybridSequential make_stage(std::int64_t num_blocks, std::int64_t channels, std::int64_t stride, int index,
                                std::int64_t in_channels) {
  nn::HybridSequential stage("stage" + std::to_string(index) + "_");
  NameScope scope = stage.name_scope();
  stage.add(Block(channels, stride, channels != in_channels, in_channels));
  for (std::int64_t i = 1; i < num_blocks; ++i) stage.add(Block(channels, 1, false, channels));
  return stage;
}

class ResNetV1 : public HybridBlock {
 public:
  ResNetV1(BlockKind kind, const Ints& layers, const Ints& channels, int classes, Prefix prefix)
      : HybridBlock(kind == BlockKind::kBottleneckV1b ? "resnetv1b" : "resnetv1", std::move(prefix)) {
    NameScope scope = name_scope();
    features.add(nn::Conv2D(channels[0], {7, 7}, {.strides = {2, 2}, .padding = {3, 3}, .use_bias = false, .in_channels = 3}));
    features.add(nn::BatchNorm());
    features.add(nn::Activation("relu"));
    features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}, .padding = {1, 1}}));
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::int64_t stride = i == 0 ? 1 : 2;
      const int index = static_cast<int>(i) + 1;
      if (kind == BlockKind::kBasic) {
        features.add(make_stage<BasicBlockV1>(layers[i], channels[i + 1], stride, index, channels[i]));
      } else if (kind == BlockKind::kBottleneck) {
        features.add(make_stage<BottleneckV1>(layers[i], channels[i + 1], stride, index, channels[i]));
      } else {
        features.add(make_stage<BottleneckV1b>(layers[i], channels[i + 1], stride, index, channels[i]));
      }
    }
    features.add(nn::GlobalAvgPool2D());
    output = &register_child(nn::Dense(classes, {.in_units = channels.back()}), "output");
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "ResNetV1"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::Dense* output = nullptr;
};

class ResNetV2 : public HybridBlock {
 public:
  ResNetV2(BlockKind kind, const Ints& layers, const Ints& channels, int classes, Prefix prefix)
      : HybridBlock("resnetv2", std::move(prefix)) {
    NameScope scope = name_scope();
    features.add(nn::BatchNorm({.center = false, .scale = false}));
    features.add(nn::Conv2D(channels[0], {7, 7}, {.strides = {2, 2}, .padding = {3, 3}, .use_bias = false, .in_channels = 3}));
    features.add(nn::BatchNorm());
    features.add(nn::Activation("relu"));
    features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}, .padding = {1, 1}}));
    std::int64_t in_channels = channels[0];
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::int64_t stride = i == 0 ? 1 : 2;
      const int index = static_cast<int>(i) + 1;
      if (kind == BlockKind::kBasic) {
        features.add(make_stage<BasicBlockV2>(layers[i], channels[i + 1], stride, index, in_channels));
      } else {
        features.add(make_stage<BottleneckV2>(layers[i], channels[i + 1], stride, index, in_channels));
      }
      in_channels = channels[i + 1];
    }
    features.add(nn::BatchNorm());
    features.add(nn::Activation("relu"));
    features.add(nn::GlobalAvgPool2D());
    features.add(nn::Flatten());
    output = &register_child(nn::Dense(classes, {.in_units = in_channels}), "output");
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "ResNetV2"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::Dense* output = nullptr;
};

Model make_resnet(int version, int num_layers, bool v1b, const ModelOptions& options) {
  BlockKind kind = BlockKind::kBasic;
  Ints layers, channels = {64, 64, 128, 256, 512};
  switch (num_layers) {
    case 18: layers = {2, 2, 2, 2}; break;
    case 34: layers = {3, 4, 6, 3}; break;
    case 50: layers = {3, 4, 6, 3}; break;
    case 101: layers = {3, 4, 23, 3}; break;
    case 152: layers = {3, 8, 36, 3}; break;
    default: throw Error("resnet: num_layers must be 18, 34, 50, 101 or 152, got " + std::to_string(num_layers));
  }
  if (num_layers >= 50) {
    kind = BlockKind::kBottleneck;
    channels = {64, 256, 512, 1024, 2048};
  }
  if (version != 1 && version != 2) throw Error("resnet: version must be 1 or 2, got " + std::to_string(version));
  if (v1b && version != 1) throw Error("resnet: v1b is a variant of version 1, got version " + std::to_string(version));
  if (v1b && kind == BlockKind::kBottleneck) kind = BlockKind::kBottleneckV1b;  // basic blocks are the same in v1b
  Model net;
  if (version == 1) net = std::make_shared<ResNetV1>(kind, layers, channels, options.classes, options.prefix);
  else net = std::make_shared<ResNetV2>(kind, layers, channels, options.classes, options.prefix);
  detail::maybe_load_pretrained(
      *net, "resnet" + std::to_string(num_layers) + "_v" + std::to_string(version) + (v1b ? "b" : ""), options);
  return net;
}

}  // namespace

Model resnet(int version, int num_layers, const ModelOptions& options) {
  return make_resnet(version, num_layers, false, options);
}

Model resnet_v1b(int num_layers, const ModelOptions& options) { return make_resnet(1, num_layers, true, options); }

}  // namespace mx::gluon::model_zoo::vision
