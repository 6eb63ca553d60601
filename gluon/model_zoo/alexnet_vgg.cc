// AlexNet and VGG, as MXNet 1.x's model zoo builds them.
#include <mx/gluon/model_zoo/vision.h>

#include <mx/gluon/nn/basic_layers.h>
#include <mx/gluon/nn/conv_layers.h>
#include <mx/gluon/nn/dense.h>
#include <mx/gluon/nn/normalization.h>
#include <mx/gluon/nn/activations.h>
#include <mx/gluon/nn/sequential.h>
#include <mx/ndarray/error.h>

namespace mx::gluon::model_zoo::vision {
namespace {

using Ints = std::vector<std::int64_t>;

class AlexNet : public HybridBlock {
 public:
  AlexNet(int classes, Prefix prefix) : HybridBlock("alexnet", std::move(prefix)) {
    NameScope scope = name_scope();
    {
      NameScope inner = features.name_scope();
      features.add(nn::Conv2D(64, {11, 11}, {.strides = {4, 4}, .padding = {2, 2}, .activation = "relu"}));
      features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}}));
      features.add(nn::Conv2D(192, {5, 5}, {.padding = {2, 2}, .activation = "relu"}));
      features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}}));
      features.add(nn::Conv2D(384, {3, 3}, {.padding = {1, 1}, .activation = "relu"}));
      features.add(nn::Conv2D(256, {3, 3}, {.padding = {1, 1}, .activation = "relu"}));
      features.add(nn::Conv2D(256, {3, 3}, {.padding = {1, 1}, .activation = "relu"}));
      features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}}));
      features.add(nn::Flatten());
      features.add(nn::Dense(4096, "relu"));
      features.add(nn::Dropout(0.5));
      features.add(nn::Dense(4096, "relu"));
      features.add(nn::Dropout(0.5));
    }
    output = &register_child(nn::Dense(classes), "output");
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "AlexNet"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::Dense* output = nullptr;
};

class VGG : public HybridBlock {
 public:
  VGG(const Ints& layers, const Ints& filters, int classes, bool batch_norm, Prefix prefix)
      : HybridBlock("vgg", std::move(prefix)) {
    NameScope scope = name_scope();
    const init::InitializerRef conv_init = init::Xavier({.rnd_type = "gaussian", .factor_type = "out", .magnitude = 2});
    for (std::size_t i = 0; i < layers.size(); ++i) {
      for (std::int64_t k = 0; k < layers[i]; ++k) {
        features.add(nn::Conv2D(filters[i], {3, 3}, {.padding = {1, 1}, .weight_initializer = conv_init}));
        if (batch_norm) features.add(nn::BatchNorm());
        features.add(nn::Activation("relu"));
      }
      features.add(nn::MaxPool2D({2, 2}, {.strides = {2, 2}}));
    }
    features.add(nn::Dense(4096, "relu", {.weight_initializer = init::Normal()}));
    features.add(nn::Dropout(0.5));
    features.add(nn::Dense(4096, "relu", {.weight_initializer = init::Normal()}));
    features.add(nn::Dropout(0.5));
    output = &register_child(nn::Dense(classes, {.weight_initializer = init::Normal()}), "output");
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "VGG"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::Dense* output = nullptr;
};

}  // namespace

Model alexnet(const ModelOptions& options) {
  auto net = std::make_shared<AlexNet>(options.classes, options.prefix);
  detail::maybe_load_pretrained(*net, "alexnet", options);
  return net;
}

Model vgg(int num_layers, bool batch_norm, const ModelOptions& options) {
  Ints layers;
  switch (num_layers) {
    case 11: layers = {1, 1, 2, 2, 2}; break;
    case 13: layers = {2, 2, 2, 2, 2}; break;
    case 16: layers = {2, 2, 3, 3, 3}; break;
    case 19: layers = {2, 2, 4, 4, 4}; break;
    default: throw Error("vgg: num_layers must be 11, 13, 16 or 19, got " + std::to_string(num_layers));
  }
  auto net = std::make_shared<VGG>(layers, Ints{64, 128, 256, 512, 512}, options.classes, batch_norm, options.prefix);
  detail::maybe_load_pretrained(*net, "vgg" + std::to_string(num_layers) + (batch_norm ? "_bn" : ""), options);
  return net;
}

}  // namespace mx::gluon::model_zoo::vision
