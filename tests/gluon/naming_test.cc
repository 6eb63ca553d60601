// MXNet 1.x naming: block prefixes, name scopes, and parameter files under either naming. The expected names are
// the ones MXNet 1.x's Gluon gives the same networks (Block._alias, _BlockScope.create).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace nn = gluon::nn;

namespace {

// MXNet:  class Model(HybridBlock): __init__: with self.name_scope(): self.dense0 = nn.Dense(20); ...
struct Model : gluon::HybridBlock {
  explicit Model(gluon::Prefix prefix = std::nullopt) : HybridBlock("model", std::move(prefix)) {}
  nn::Dense& dense0 = emplace_child<nn::Dense>("dense0", 20);
  nn::HybridSequential& body = emplace_child<nn::HybridSequential>("body");
  NDArray forward(const NDArray& x) override { return body(dense0(x)); }
};

std::vector<std::string> names_of(const gluon::Block& block) {
  std::vector<std::string> names;
  for (const auto& [name, p] : block.collect_params()) names.push_back(name);
  return names;
}

}  // namespace

TEST_CASE("layers built in a Sequential's name scope are named as MXNet 1.x names them", "[gluon][naming]") {
  nn::HybridSequential net("model_");
  {
    auto scope = net.name_scope();
    net.add(nn::Dense(10, "relu"), nn::Conv2D(8, {3, 3}), nn::BatchNorm(), nn::Dense(2));
  }
  CHECK(net.prefix() == "model_");
  CHECK(net.name() == "model");
  CHECK(net[1].prefix() == "model_conv0_");
  CHECK(names_of(net) == std::vector<std::string>{
                             "model_dense0_weight", "model_dense0_bias", "model_conv0_weight", "model_conv0_bias",
                             "model_batchnorm0_gamma", "model_batchnorm0_beta", "model_batchnorm0_running_mean",
                             "model_batchnorm0_running_var", "model_dense1_weight", "model_dense1_bias"});
  CHECK(net.collect_params(".*batchnorm.*").size() == 4);
  // Errors name the parameter the way the dictionary does.
  CHECK_THROWS_WITH(net.collect_params()["model_dense0_weight"].data(), Contains("model_dense0_weight"));
}

TEST_CASE("a custom block's children are named under its prefix, numbered per kind", "[gluon][naming]") {
  Model model("model_");
  {
    auto scope = model.body.name_scope();
    model.body.add(nn::Dense(5), nn::BatchNorm({.in_channels = 5}));
  }
  CHECK(names_of(model) == std::vector<std::string>{
                               "model_dense0_weight", "model_dense0_bias", "model_hybridsequential0_dense0_weight",
                               "model_hybridsequential0_dense0_bias", "model_hybridsequential0_batchnorm0_gamma",
                               "model_hybridsequential0_batchnorm0_beta",
                               "model_hybridsequential0_batchnorm0_running_mean",
                               "model_hybridsequential0_batchnorm0_running_var"});
  // Without a prefix the block is numbered on this thread, as MXNet's NameManager does.
  Model first, second;
  const std::string p = first.prefix();
  REQUIRE(p.rfind("model", 0) == 0);
  const int n = std::stoi(p.substr(5));
  CHECK(second.prefix() == "model" + std::to_string(n + 1) + "_");
  CHECK(second.dense0.prefix() == second.prefix() + "dense0_");
  CHECK(names_of(second).front() == second.prefix() + "dense0_weight");
}

TEST_CASE("an empty prefix adds no name, and its scope is the enclosing one", "[gluon][naming]") {
  // MXNet's model zoo: features = HybridSequential(prefix='') inside the network's scope.
  nn::HybridSequential net("alexnet_");
  auto scope = net.name_scope();
  nn::HybridSequential features("");
  {
    auto inner = features.name_scope();
    features.add(nn::Dense(4), nn::Dense(3));
  }
  net.add(features, nn::Dense(2));
  CHECK(features.prefix() == "alexnet_");
  CHECK(names_of(net) == std::vector<std::string>{"alexnet_dense0_weight", "alexnet_dense0_bias",
                                                  "alexnet_dense1_weight", "alexnet_dense1_bias",
                                                  "alexnet_dense2_weight", "alexnet_dense2_bias"});
}

TEST_CASE("blocks built without a scope keep their path names, two networks never collide", "[gluon][naming]") {
  nn::Sequential plain;
  plain.add(nn::Dense(3), nn::Dense(2));
  CHECK(names_of(plain) == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"});
  CHECK(plain[0].prefix().rfind("dense", 0) == 0);  // the MXNet prefix is there, for files that use it

  auto build = [] {
    nn::HybridSequential net;
    auto scope = net.name_scope();
    net.add(nn::Dense(3), nn::Dense(2));
    return net;
  };
  const nn::HybridSequential a = build(), b = build();
  std::set<std::string> names;
  for (const std::string& name : names_of(a)) names.insert(name);
  for (const std::string& name : names_of(b)) CHECK(names.insert(name).second);
  CHECK(names.size() == 8);
  CHECK(names_of(a).front() == a.prefix() + "dense0_weight");

  // Two blocks given one prefix in one tree is an error naming the clash.
  nn::Sequential clash;
  clash.add(nn::Dense(2, {.prefix = "same_"}), nn::Dense(2, {.prefix = "same_"}));
  CHECK_THROWS_WITH(clash.collect_params(), Contains("same_weight"));
}

TEST_CASE("the prefix option of every layer is honoured", "[gluon][naming]") {
  CHECK(nn::Dense(2, {.prefix = "fc_"}).weight().name() == "fc_weight");
  CHECK(nn::Conv2D(2, {3, 3}, {.prefix = "c_"}).prefix() == "c_");
  CHECK(nn::MaxPool2D({2, 2}, {.prefix = "p_"}).prefix() == "p_");
  CHECK(nn::GlobalAvgPool2D("g_").prefix() == "g_");
  CHECK(nn::BatchNorm({.prefix = "bn_"}).prefix() == "bn_");
  CHECK(nn::LayerNorm({.prefix = "ln_"}).prefix() == "ln_");
  CHECK(nn::Activation("relu", "relu_").prefix() == "relu_");
  CHECK(nn::Dropout(0.5, "d_").prefix() == "d_");
  CHECK(nn::Embedding(4, 2, {}, DType::kFloat32, false, "emb_").weight().name() == "emb_weight");
  CHECK(nn::PReLU(init::Constant(0.25), 1, "pr_").alpha().name() == "pr_alpha");
  CHECK(nn::Flatten("f_").prefix() == "f_");
  CHECK(nn::Sequential("s_").name() == "s");
  // In a scope, an explicit prefix goes under the parent's, as MXNet's.
  nn::HybridSequential net("net_");
  auto scope = net.name_scope();
  CHECK(nn::Dense(2, {.prefix = "out_"}).prefix() == "net_out_");
  CHECK(nn::LeakyReLU(0.1).prefix() == "net_leakyrelu0_");
  CHECK(nn::MaxPool2D().prefix() == "net_pool0_");
  CHECK(nn::Conv2DTranspose(2, {3, 3}).prefix() == "net_conv0_");
}

TEST_CASE("load_parameters reads path names and MXNet names, and says which it used", "[gluon][naming][io]") {
  auto build = [] {
    nn::HybridSequential net("mlp_");
    auto scope = net.name_scope();
    net.add(nn::Dense(4, "relu", {.in_units = 3}), nn::Dense(2, {.in_units = 4}));
    return net;
  };
  nn::HybridSequential source = build();
  source.initialize(init::Normal(1));
  const NDArray x = nd::random::uniform(-1, 1, {2, 3});
  const std::vector<float> expected = source(x).asnumpy<float>();

  // save_parameters writes paths, as MXNet 1.x's does.
  const std::string by_path = test::temp_path("by_path.params");
  source.save_parameters(by_path);
  std::vector<std::string> file_names;
  for (const auto& [name, array] : nd::load(by_path).dict()) file_names.push_back(name);
  CHECK(file_names == std::vector<std::string>{"0.bias", "0.weight", "1.bias", "1.weight"});
  nn::HybridSequential from_paths = build();
  CHECK(from_paths.load_parameters(by_path) == gluon::ParameterNaming::kPath);
  CHECK(from_paths(x).asnumpy<float>() == expected);

  // A file with MXNet names (save_params), and one exported with arg: prefixes.
  std::map<std::string, NDArray> prefixed, exported;
  for (const auto& [name, p] : source.collect_params()) {
    prefixed[name] = p.data();
    exported["arg:" + name] = p.data();
  }
  const std::string by_name = test::temp_path("by_name.params"), by_export = test::temp_path("exported.params");
  nd::save(by_name, prefixed);
  nd::save(by_export, exported);
  nn::HybridSequential from_names = build();
  CHECK(from_names.load_parameters(by_name) == gluon::ParameterNaming::kPrefixed);
  CHECK(from_names(x).asnumpy<float>() == expected);
  nn::HybridSequential from_export = build();
  CHECK(from_export.load_parameters(by_export) == gluon::ParameterNaming::kPrefixed);
  CHECK(from_export(x).asnumpy<float>() == expected);

  // A network named otherwise lists what is missing under the naming that matched better.
  nn::HybridSequential other("other_");
  {
    auto scope = other.name_scope();
    other.add(nn::Dense(4, {.in_units = 3}));
  }
  CHECK_THROWS_WITH(other.load_parameters(by_name), Contains("missing") && Contains("0.weight"));
  for (const auto& path : {by_path, by_name, by_export}) std::filesystem::remove(path);
}
