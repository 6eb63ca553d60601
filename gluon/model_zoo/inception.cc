// Inception v3, as MXNet 1.x's model zoo builds it (input 299x299).
#include <mx/gluon/model_zoo/vision.h>

#include <optional>

#include <mx/gluon/nn/activations.h>
#include <mx/gluon/nn/basic_layers.h>
#include <mx/gluon/nn/conv_layers.h>
#include <mx/gluon/nn/dense.h>
#include <mx/gluon/nn/normalization.h>
#include <mx/gluon/nn/sequential.h>

namespace mx::gluon::model_zoo::vision {
namespace {

using Ints = std::vector<std::int64_t>;

// channels, kernel (h, w), strides, padding (h, w): MXNet's conv_settings tuples.
struct ConvSetting {
  std::int64_t channels;
  Ints kernel;
  std::int64_t stride = 1;
  Ints padding = {0, 0};
};

nn::HybridSequential basic_conv(const ConvSetting& s) {
  nn::HybridSequential out("");
  out.add(nn::Conv2D(s.channels, s.kernel, {.strides = {s.stride, s.stride}, .padding = s.padding, .use_bias = false}));
  out.add(nn::BatchNorm({.epsilon = 0.001}));
  out.add(nn::Activation("relu"));
  return out;
}

enum class Pool { kNone, kAvg, kMax };

nn::HybridSequential branch(Pool pool, std::initializer_list<ConvSetting> convs) {
  nn::HybridSequential out("");
  if (pool == Pool::kAvg) out.add(nn::AvgPool2D({3, 3}, {.strides = {1, 1}, .padding = {1, 1}}));
  if (pool == Pool::kMax) out.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}}));
  for (const ConvSetting& s : convs) out.add(basic_conv(s));
  return out;
}

const Ints k1 = {1, 1}, k3 = {3, 3}, k5 = {5, 5}, k17 = {1, 7}, k71 = {7, 1}, k13 = {1, 3}, k31 = {3, 1};

nn::HybridConcurrent block_a(std::int64_t pool_features, const std::string& prefix) {
  nn::HybridConcurrent out(1, prefix);
  NameScope scope = out.name_scope();
  out.add(branch(Pool::kNone, {{64, k1}}));
  out.add(branch(Pool::kNone, {{48, k1}, {64, k5, 1, {2, 2}}}));
  out.add(branch(Pool::kNone, {{64, k1}, {96, k3, 1, {1, 1}}, {96, k3, 1, {1, 1}}}));
  out.add(branch(Pool::kAvg, {{pool_features, k1}}));
  return out;
}

nn::HybridConcurrent block_b(const std::string& prefix) {
  nn::HybridConcurrent out(1, prefix);
  NameScope scope = out.name_scope();
  out.add(branch(Pool::kNone, {{384, k3, 2}}));
  out.add(branch(Pool::kNone, {{64, k1}, {96, k3, 1, {1, 1}}, {96, k3, 2}}));
  out.add(branch(Pool::kMax, {}));
  return out;
}

nn::HybridConcurrent block_c(std::int64_t c7, const std::string& prefix) {
  nn::HybridConcurrent out(1, prefix);
  NameScope scope = out.name_scope();
  out.add(branch(Pool::kNone, {{192, k1}}));
  out.add(branch(Pool::kNone, {{c7, k1}, {c7, k17, 1, {0, 3}}, {192, k71, 1, {3, 0}}}));
  out.add(branch(Pool::kNone,
                 {{c7, k1}, {c7, k71, 1, {3, 0}}, {c7, k17, 1, {0, 3}}, {c7, k71, 1, {3, 0}}, {192, k17, 1, {0, 3}}}));
  out.add(branch(Pool::kAvg, {{192, k1}}));
  return out;
}

nn::HybridConcurrent block_d(const std::string& prefix) {
  nn::HybridConcurrent out(1, prefix);
  NameScope scope = out.name_scope();
  out.add(branch(Pool::kNone, {{192, k1}, {320, k3, 2}}));
  out.add(branch(Pool::kNone, {{192, k1}, {192, k17, 1, {0, 3}}, {192, k71, 1, {3, 0}}, {192, k3, 2}}));
  out.add(branch(Pool::kMax, {}));
  return out;
}

nn::HybridConcurrent block_e(const std::string& prefix) {
  nn::HybridConcurrent out(1, prefix);
  NameScope scope = out.name_scope();
  out.add(branch(Pool::kNone, {{320, k1}}));
  nn::HybridSequential branch_3x3("");
  out.add(branch_3x3);
  branch_3x3.add(branch(Pool::kNone, {{384, k1}}));
  nn::HybridConcurrent split(1, "");
  split.add(branch(Pool::kNone, {{384, k13, 1, {0, 1}}}));
  split.add(branch(Pool::kNone, {{384, k31, 1, {1, 0}}}));
  branch_3x3.add(split);
  nn::HybridSequential branch_dbl("");
  out.add(branch_dbl);
  branch_dbl.add(branch(Pool::kNone, {{448, k1}, {384, k3, 1, {1, 1}}}));
  nn::HybridConcurrent dbl_split(1, "");
  branch_dbl.add(dbl_split);
  dbl_split.add(branch(Pool::kNone, {{384, k13, 1, {0, 1}}}));
  dbl_split.add(branch(Pool::kNone, {{384, k31, 1, {1, 0}}}));
  out.add(branch(Pool::kAvg, {{192, k1}}));
  return out;
}

class Inception3 : public HybridBlock {
 public:
  Inception3(int classes, Prefix prefix) : HybridBlock("inception3", std::move(prefix)) {
    NameScope scope = name_scope();
    features.add(basic_conv({32, k3, 2}));
    features.add(basic_conv({32, k3}));
    features.add(basic_conv({64, k3, 1, {1, 1}}));
    features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}}));
    features.add(basic_conv({80, k1}));
    features.add(basic_conv({192, k3}));
    features.add(nn::MaxPool2D({3, 3}, {.strides = {2, 2}}));
    features.add(block_a(32, "A1_"));
    features.add(block_a(64, "A2_"));
    features.add(block_a(64, "A3_"));
    features.add(block_b("B_"));
    features.add(block_c(128, "C1_"));
    features.add(block_c(160, "C2_"));
    features.add(block_c(160, "C3_"));
    features.add(block_c(192, "C4_"));
    features.add(block_d("D_"));
    features.add(block_e("E1_"));
    features.add(block_e("E2_"));
    features.add(nn::AvgPool2D({8, 8}));
    features.add(nn::Dropout(0.5));
    output = &register_child(nn::Dense(classes), "output");
  }
  NDArray forward(const NDArray& x) override { return (*output)(features(x)); }
  std::string repr() const override { return "Inception3"; }

 private:
  nn::HybridSequential& features = emplace_child<nn::HybridSequential>("features", "");
  nn::Dense* output = nullptr;
};

}  // namespace

Model inception_v3(const ModelOptions& options) {
  auto net = std::make_shared<Inception3>(options.classes, options.prefix);
  detail::maybe_load_pretrained(*net, "inceptionv3", options);
  return net;
}

}  // namespace mx::gluon::model_zoo::vision
