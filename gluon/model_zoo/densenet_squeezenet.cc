// DenseNet and SqueezeNet, as MXNet 1.x's model zoo builds them.
#include <mx/gluon/model_zoo/vision.h>

#include <mx/gluon/nn/activations.h>
#include <mx/gluon/nn/basic_layers.h>
#include <mx/gluon/nn/conv_layers.h>
#include <mx/gluon/nn/dense.h>
#include <mx/gluon/nn/normalization.h>
#include <mx/gluon/nn/sequential.h>
#include <mx/ndarray/error.h>

namespace mx::gluon::model_zoo::vision {
namespace {

using Ints = std::vector<std::int64_t>;

nn::HybridConcurrent dense_layer(std::int64_t growth_rate, std::int64_t bn_size, double dropout) {
  nn::HybridSequential new_features("");
  new_features.add(nn::BatchNorm());
  new_features.add(nn::Activation("relu"));
  new_features.add(nn::Conv2D(bn_size * growth_rate, {1, 1}, {.use_bias = false}));
  new_features.add(nn::BatchNorm());
  new_features.add(nn::Activation("relu"));
  new_features.add(nn::Conv2D(growth_rate, {3, 3}, {.padding = {1, 1}, .use_bias = false}));
  if (dropout > 0) new_features.add(nn::Dropout(dropout));
  nn::HybridConcurrent out(1, "");
  out.add(nn::Identity());
  out.add(new_features);
  return out;
}

class DenseNet : public HybridBlock {
 public:
  DenseNet(std::int64_t num_init_features, std::int64_t growth_rate, const Ints& block_config, int classes,
           Prefix prefix)
      : HybridBlock("densenet", std::move(prefix)) {
    constexpr std::int64_t kBnSize = 4;
    NameScope scope = name_scope();
    features.add(nn::Conv2D(num_init_features, {7, 7}, {.strides = {2, 2}, .padding = {3, 3}, .use_bias = false}));
    features.add(nn::BatchNorm());
    features.add(nn::Activation("relu"));
    features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}, .padding = {1, 1}}));
    std::int64_t num_features = num_init_features;
    for (std::size_t i = 0; i < block_config.size(); ++i) {
      nn::HybridSequential stage("stage" + std::to_string(i + 1) + "_");
      {
        NameScope inner = stage.name_scope();
        for (std::int64_t k = 0; k < block_config[i]; ++k) stage.add(dense_layer(growth_rate, kBnSize, 0));
      }
      features.add(stage);
      num_features += block_config[i] * growth_rate;
      if (i + 1 != block_config.size()) {
        nn::HybridSequential transition("");
        transition.add(nn::BatchNorm());
        transition.add(nn::Activation("relu"));
        transition.add(nn::Conv2D(num_features / 2, {1, 1}, {.use_bias = false}));
        transition.add(nn::AvgPool2D({2, 2}, {.strides = {2, 2}}));
        features.add(transition);
        num_features /= 2;
      }
    }
    features.add(nn::BatchNorm());
    features.add(nn::Activation("relu"));
    features.add(nn::AvgPool2D({7, 7}));
    features.add(nn::Flatten());
    output = &register_child(nn::Dense(classes), "output");
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "DenseNet"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::Dense* output = nullptr;
};

nn::HybridSequential fire_conv(std::int64_t channels, std::int64_t kernel, std::int64_t padding = 0) {
  nn::HybridSequential out("");
  out.add(nn::Conv2D(channels, {kernel, kernel}, {.padding = {padding, padding}}));
  out.add(nn::Activation("relu"));
  return out;
}

nn::HybridSequential fire(std::int64_t squeeze, std::int64_t expand1x1, std::int64_t expand3x3) {
  nn::HybridSequential out("");
  out.add(fire_conv(squeeze, 1));
  nn::HybridConcurrent paths(1, "");
  paths.add(fire_conv(expand1x1, 1));
  paths.add(fire_conv(expand3x3, 3, 1));
  out.add(paths);
  return out;
}

nn::MaxPool2D ceil_pool() { return nn::MaxPool2D({3, 3}, {.strides = {2, 2}, .ceil_mode = true}); }

class SqueezeNet : public HybridBlock {
 public:
  SqueezeNet(const std::string& version, int classes, Prefix prefix) : HybridBlock("squeezenet", std::move(prefix)) {
    NameScope scope = name_scope();
    if (version == "1.0") {
      features.add(nn::Conv2D(96, {7, 7}, {.strides = {2, 2}}));
      features.add(nn::Activation("relu"));
      features.add(ceil_pool());
      features.add(fire(16, 64, 64));
      features.add(fire(16, 64, 64));
      features.add(fire(32, 128, 128));
      features.add(ceil_pool());
      features.add(fire(32, 128, 128));
      features.add(fire(48, 192, 192));
      features.add(fire(48, 192, 192));
      features.add(fire(64, 256, 256));
      features.add(ceil_pool());
      features.add(fire(64, 256, 256));
    } else {
      features.add(nn::Conv2D(64, {3, 3}, {.strides = {2, 2}}));
      features.add(nn::Activation("relu"));
      features.add(ceil_pool());
      features.add(fire(16, 64, 64));
      features.add(fire(16, 64, 64));
      features.add(ceil_pool());
      features.add(fire(32, 128, 128));
      features.add(fire(32, 128, 128));
      features.add(ceil_pool());
      features.add(fire(48, 192, 192));
      features.add(fire(48, 192, 192));
      features.add(fire(64, 256, 256));
      features.add(fire(64, 256, 256));
    }
    features.add(nn::Dropout(0.5));
    nn::HybridSequential& out = emplace_child<nn::HybridSequential>("output", "");
    out.add(nn::Conv2D(classes, {1, 1}));
    out.add(nn::Activation("relu"));
    out.add(nn::AvgPool2D({13, 13}));
    out.add(nn::Flatten());
    output = &out;
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "SqueezeNet"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::HybridSequential* output = nullptr;
};

}  // namespace

Model densenet(int num_layers, const ModelOptions& options) {
  std::int64_t init_features = 64, growth = 32;
  Ints config;
  switch (num_layers) {
    case 121: config = {6, 12, 24, 16}; break;
    case 161: init_features = 96, growth = 48, config = {6, 12, 36, 24}; break;
    case 169: config = {6, 12, 32, 32}; break;
    case 201: config = {6, 12, 48, 32}; break;
    default: throw Error("densenet: num_layers must be 121, 161, 169 or 201, got " + std::to_string(num_layers));
  }
  auto net = std::make_shared<DenseNet>(init_features, growth, config, options.classes, options.prefix);
  detail::maybe_load_pretrained(*net, "densenet" + std::to_string(num_layers), options);
  return net;
}

Model squeezenet(const std::string& version, const ModelOptions& options) {
  if (version != "1.0" && version != "1.1") throw Error("squeezenet: version must be 1.0 or 1.1, got " + version);
  auto net = std::make_shared<SqueezeNet>(version, options.classes, options.prefix);
  detail::maybe_load_pretrained(*net, "squeezenet" + version, options);
  return net;
}

}  // namespace mx::gluon::model_zoo::vision
