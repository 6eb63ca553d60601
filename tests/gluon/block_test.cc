// Blocks and parameters: naming by path, deferred initialization, selection, copies, save/load, summary.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace nn = gluon::nn;

namespace {

struct Net : gluon::HybridBlock {
  nn::Dense hidden{4, "relu"};
  nn::Dense output{2};
  Net() {
    register_child(hidden, "hidden");
    register_child(output, "output");
  }
  NDArray forward(const NDArray& x) override { return output(hidden(x)); }
};

}  // namespace

TEST_CASE("parameters are named by their path in the block tree", "[gluon][block]") {
  nn::Sequential net;
  net.add(nn::Dense(3, "relu"), nn::Dense(2, {.use_bias = false}));
  std::vector<std::string> names;
  for (const auto& [name, p] : net.collect_params()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "1.weight"});
  Net custom;
  names.clear();
  for (const auto& [name, p] : custom.collect_params()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"hidden.weight", "hidden.bias", "output.weight", "output.bias"});
  CHECK(custom.collect_params(".*weight").size() == 2);
  CHECK(custom.collect_params("output\\..*").size() == 2);
}

TEST_CASE("deferred initialization learns the input size at the first forward", "[gluon][block]") {
  nn::Sequential net;
  net.add(nn::Dense(3), nn::Dense(2));
  net.initialize();
  gluon::Parameter w = net.collect_params()["0.weight"];
  CHECK(w.shape() == Shape{3, 0});
  CHECK_THROWS_WITH(w.data(), Contains("0.weight") && Contains("(3, 0)") && Contains("forward"));
  const NDArray y = net(nd::ones({5, 7}));
  CHECK(y.shape() == Shape{5, 2});
  CHECK(w.shape() == Shape{3, 7});
  CHECK(w.data().shape() == Shape{3, 7});
  CHECK_THROWS_WITH(net(nd::ones({5, 6})), Contains("Dense") && Contains("6 features") && Contains("7"));
  nn::Dense fresh(3);
  CHECK_THROWS_WITH(fresh.weight().data(), Contains("initialize"));
}

TEST_CASE("copies of a block share its parameters, initialize leaves initialized ones alone", "[gluon][block]") {
  nn::Dense a(2, {.in_units = 3});
  a.initialize(init::One());
  nn::Dense b = a;  // Python's b = a
  CHECK(b.weight().data().shares_storage_with(a.weight().data()));
  a.initialize(init::Zero());
  test::check_array(a.weight().data(), {2, 3}, {1, 1, 1, 1, 1, 1});
  a.initialize(init::Constant(2), {cpu()}, /*force_reinit=*/true);
  test::check_array(b.weight().data(), {2, 3}, {2, 2, 2, 2, 2, 2});
  // Bias and other names follow MXNet's rules; a layer's own initializer wins.
  test::check_array(a.bias().data(), {2}, {0, 0});
  nn::Dense own(1, {.weight_initializer = init::Constant(5), .in_units = 2});
  own.initialize(init::One());
  test::check_array(own.weight().data(), {1, 2}, {5, 5});
}

TEST_CASE("save_parameters and load_parameters round-trip and report what does not fit", "[gluon][block][io]") {
  Net net;
  net.initialize(init::Normal(1));
  const NDArray x = nd::random::uniform(-1, 1, {3, 5});
  const std::vector<float> before = net(x).asnumpy<float>();
  const std::string path = test::temp_path("net.params");
  net.save_parameters(path);
  Net loaded;
  loaded.load_parameters(path);
  CHECK(loaded(x).asnumpy<float>() == before);
  // A file from another network lists every mismatch, and changes nothing.
  nn::Sequential other;
  other.add(nn::Dense(4, {.in_units = 5}));
  other.initialize();
  const std::string other_path = test::temp_path("other.params");
  other.save_parameters(other_path);
  Net target;
  target.initialize(init::One());
  target(x);
  CHECK_THROWS_WITH(target.load_parameters(other_path),
                    Contains("missing") && Contains("hidden.weight") && Contains("0.weight") && Contains(other_path));
  test::check_array(target.output.bias().data(), {2}, {0, 0});
  // A mis-shaped parameter is named with both shapes.
  Net wider;
  wider.initialize();
  wider(nd::ones({1, 6}));
  CHECK_THROWS_WITH(wider.load_parameters(path), Contains("hidden.weight (file (4, 5), network (4, 6))"));
  std::filesystem::remove(path);
  std::filesystem::remove(other_path);
  CHECK_THROWS_WITH(Net().save_parameters(path), Contains("not initialized"));
}

TEST_CASE("summary prints layers, output shapes and parameter counts", "[gluon][block]") {
  nn::Sequential net;
  net.add(nn::Dense(256, "relu"), nn::Dense(10));
  net.initialize();
  std::ostringstream out;
  net.summary(nd::ones({1, 784}), out);
  const std::string text = out.str();
  CHECK_THAT(text, Contains("Dense-1") && Contains("(1, 256)") && Contains("200960") && Contains("2570"));
  CHECK_THAT(text, Contains("Total params: 203530"));
}

TEST_CASE("initialize honours the current context scope", "[gluon][block][context]") {
  nn::Dense dense(2, {.in_units = 3});
  {
    context_scope scope(cpu(1));
    dense.initialize(init::One());
  }
  CHECK(dense.weight().list_ctx() == std::vector<Context>{cpu(1)});
  CHECK(dense.weight().data().context() == cpu(1));
  test::check_array(dense(nd::ones({1, 3}, cpu(1))), {1, 2}, {3, 3});
}

TEST_CASE("reset_ctx moves parameters to other contexts with their values and fresh gradients", "[gluon]") {
  gluon::nn::Dense dense(3, {.in_units = 2});
  dense.initialize(init::Constant(0.5), {cpu(0)});
  auto params = dense.collect_params();
  params.reset_ctx({cpu(1), cpu(2)});
  const gluon::Parameter weight = dense.weight();
  CHECK(weight.list_ctx() == std::vector<Context>{cpu(1), cpu(2)});
  CHECK(weight.data(cpu(2)).asnumpy<float>() == std::vector<float>(6, 0.5f));
  CHECK(weight.grad(cpu(1)).context() == cpu(1));
  CHECK_THROWS_WITH(weight.data(cpu(0)), Catch::Matchers::Contains("not on cpu(0)"));
  NDArray loss;
  {
    autograd::record r;
    loss = dense(nd::ones({1, 2}, cpu(1))).sum();
  }
  loss.backward();
  CHECK(weight.grad(cpu(1)).asnumpy<float>() == std::vector<float>(6, 1.0f));
  gluon::nn::Dense deferred(2);
  deferred.initialize(init::One(), {cpu(0)});
  deferred.collect_params().reset_ctx({cpu(3)});
  CHECK(deferred(nd::ones({1, 4}, cpu(3))).context() == cpu(3));
}

TEST_CASE("init::Load takes each parameter's values by name, the rest from its default", "[gluon][block]") {
  // A parameter's own initializer wins over the one initialize() is given, as in MXNet: Dense's bias has Zero
  // unless told otherwise.
  nn::Dense dense(2, {.bias_initializer = {}, .in_units = 3});
  // MXNet's "arg:" prefix is dropped; the weight is missing and falls to the default (One: all ones).
  const std::map<std::string, NDArray> saved = {{"arg:bias", nd::array({4.0f, -5.0f}, Shape{2})}};
  dense.initialize(init::Load(saved, init::One()));
  CHECK(dense.bias().data().asnumpy<float>() == std::vector<float>{4, -5});
  CHECK(dense.weight().data().asnumpy<float>() == std::vector<float>(6, 1));
  // From a file, every name present: the values come back exactly, converted to the parameter's dtype.
  const std::string path = test::temp_path("mxpp_init_load.params");
  nd::save(path, std::map<std::string, NDArray>{{"weight", nd::arange(0, 6).reshape({2, 3}).astype(DType::kFloat64)},
                                                {"bias", nd::array({1.0f, 2.0f}, Shape{2})}});
  nn::Dense other(2, {.bias_initializer = {}, .in_units = 3});
  other.initialize(init::Load(path));
  CHECK(other.bias().data().asnumpy<float>() == std::vector<float>{1, 2});
  CHECK(other.weight().data().dtype() == DType::kFloat32);
  CHECK(other.weight().data().asnumpy<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
  // Missing without a default, or of another shape: errors naming the parameter.
  nn::Dense third(2, {.in_units = 3});
  CHECK_THROWS_WITH(third.initialize(init::Load(saved)), Contains("'weight'") && Contains("default_init"));
  nn::Dense wider(4, {.in_units = 3});
  CHECK_THROWS_WITH(wider.initialize(init::Load(path)), Contains("'weight'") && Contains("(4, 3)") && Contains("(2, 3)"));
  std::remove(path.c_str());
}
