// MobileNet v1 and v2, as MXNet 1.x's model zoo builds them.
#include <mx/gluon/model_zoo/vision.h>

#include <cmath>
#include <cstdio>

#include <mx/gluon/nn/activations.h>
#include <mx/gluon/nn/basic_layers.h>
#include <mx/gluon/nn/conv_layers.h>
#include <mx/gluon/nn/dense.h>
#include <mx/gluon/nn/normalization.h>
#include <mx/gluon/nn/sequential.h>
#include <mx/ndarray/error.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/nn.h>

namespace mx::gluon::model_zoo::vision {
namespace {

using Ints = std::vector<std::int64_t>;

// MXNet's RELU6: clip(x, 0, 6).
class Relu6 : public HybridBlock {
 public:
  Relu6() : HybridBlock("relu6") {}
  NDArray forward(const NDArray& x) override { return nd::clip(x, 0, 6); }
  std::string repr() const override { return "RELU6"; }
};

void add_conv(nn::HybridSequential& out, std::int64_t channels, std::int64_t kernel = 1, std::int64_t stride = 1,
              std::int64_t pad = 0, std::int64_t groups = 1, bool active = true, bool relu6 = false) {
  out.add(nn::Conv2D(channels, {kernel, kernel},
                     {.strides = {stride, stride}, .padding = {pad, pad}, .groups = groups, .use_bias = false}));
  out.add(nn::BatchNorm({.scale = true}));
  if (!active) return;
  if (relu6) out.add(Relu6());
  else out.add(nn::Activation("relu"));
}

class MobileNet : public HybridBlock {
 public:
  MobileNet(double multiplier, int classes, Prefix prefix) : HybridBlock("mobilenet", std::move(prefix)) {
    NameScope scope = name_scope();
    {
      NameScope inner = features.name_scope();
      auto scaled = [&](std::int64_t c) { return static_cast<std::int64_t>(static_cast<double>(c) * multiplier); };
      add_conv(features, scaled(32), 3, 2, 1);
      const Ints dw = {32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024};
      const Ints out = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
      const Ints strides = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
      for (std::size_t i = 0; i < dw.size(); ++i) {
        add_conv(features, scaled(dw[i]), 3, strides[i], 1, scaled(dw[i]));
        add_conv(features, scaled(out[i]));
      }
      features.add(nn::GlobalAvgPool2D());
      features.add(nn::Flatten());
    }
    output = &register_child(nn::Dense(classes), "output");
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "MobileNet"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::Dense* output = nullptr;
};

class LinearBottleneck : public HybridBlock {
 public:
  LinearBottleneck(std::int64_t in_channels, std::int64_t channels, std::int64_t t, std::int64_t stride)
      : HybridBlock("linearbottleneck"), shortcut_(stride == 1 && in_channels == channels) {
    NameScope scope = name_scope();
    nn::HybridSequential& out = emplace_child<nn::HybridSequential>("out");
    add_conv(out, in_channels * t, 1, 1, 0, 1, true, true);
    add_conv(out, in_channels * t, 3, stride, 1, in_channels * t, true, true);
    add_conv(out, channels, 1, 1, 0, 1, false, true);
    out_ = &out;
  }
  NDArray forward(const NDArray& x) override {
    NDArray y = (*out_)(x);
    return shortcut_ ? y + x : y;
  }
  std::string repr() const override { return "LinearBottleneck"; }

 private:
  bool shortcut_;
  nn::HybridSequential* out_ = nullptr;
};

class MobileNetV2 : public HybridBlock {
 public:
  MobileNetV2(double multiplier, int classes, Prefix prefix) : HybridBlock("mobilenetv2", std::move(prefix)) {
    NameScope scope = name_scope();
    auto scaled = [&](std::int64_t c) { return static_cast<std::int64_t>(static_cast<double>(c) * multiplier); };
    nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "features_");
    {
      NameScope inner = features.name_scope();
      add_conv(features, scaled(32), 3, 2, 1, 1, true, true);
      const Ints in_group = {32, 16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160};
      const Ints out_group = {16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320};
      const Ints strides = {1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1};
      for (std::size_t i = 0; i < in_group.size(); ++i) {
        features.add(LinearBottleneck(scaled(in_group[i]), scaled(out_group[i]), i == 0 ? 1 : 6, strides[i]));
      }
      const std::int64_t last = multiplier > 1.0 ? scaled(1280) : 1280;
      add_conv(features, last, 1, 1, 0, 1, true, true);
      features.add(nn::GlobalAvgPool2D());
    }
    nn::HybridSequential& output = emplace_child<nn::HybridSequential>("output", "output_");
    {
      NameScope inner = output.name_scope();
      output.add(nn::Conv2D(classes, {1, 1}, {.use_bias = false, .prefix = "pred_"}));
      output.add(nn::Flatten());
    }
    features_ = &features;
    output_ = &output;
  }
  NDArray forward(const NDArray& x) override { return (*output_)((*features_)(x)); }
  std::string repr() const override { return "MobileNetV2"; }

 private:
  nn::HybridSequential *features_ = nullptr, *output_ = nullptr;
};

std::string multiplier_name(double multiplier) {
  char text[16];
  std::snprintf(text, sizeof(text), multiplier == 1.0 ? "%.1f" : "%.2g", multiplier);
  return text;
}

void check_multiplier(const char* model, double multiplier) {
  for (double m : {1.0, 0.75, 0.5, 0.25}) {
    if (multiplier == m) return;
  }
  throw Error(std::string(model) + ": multiplier must be 1.0, 0.75, 0.5 or 0.25, got " + std::to_string(multiplier));
}

}  // namespace

Model mobilenet(double multiplier, const ModelOptions& options) {
  check_multiplier("mobilenet", multiplier);
  auto net = std::make_shared<MobileNet>(multiplier, options.classes, options.prefix);
  detail::maybe_load_pretrained(*net, "mobilenet" + multiplier_name(multiplier), options);
  return net;
}

Model mobilenet_v2(double multiplier, const ModelOptions& options) {
  check_multiplier("mobilenet_v2", multiplier);
  auto net = std::make_shared<MobileNetV2>(multiplier, options.classes, options.prefix);
  detail::maybe_load_pretrained(*net, "mobilenetv2_" + multiplier_name(multiplier), options);
  return net;
}

}  // namespace mx::gluon::model_zoo::vision
