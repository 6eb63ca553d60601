// Gluon's contrib DeformableConvolution layers: parameters as MXNet names and shapes them, the Conv2D they start
// as (zero offsets; masks of one), training reaches the offsets, and the hybridized form exports and reloads.
#include <catch2/catch.hpp>

#include <filesystem>

#include <mx/mx.h>

#include "../temp_path.h"
#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace deform = gluon::contrib::cnn;

TEST_CASE("DeformableConvolution layers start as the Conv2D of their weight", "[gluon][deformable]") {
  const NDArray x = nd::random::uniform(-1, 1, {2, 4, 5, 5});
  deform::DeformableConvolution plain(6, {3}, {.padding = {1}, .groups = 2, .num_deformable_group = 2});
  deform::ModulatedDeformableConvolution modulated(6, {3, 3}, {.strides = {2}, .padding = {1}});
  plain.initialize();
  modulated.initialize();
  const NDArray y = plain(x), z = modulated(x);
  CHECK(y.shape() == Shape{2, 6, 5, 5});
  CHECK(z.shape() == Shape{2, 6, 3, 3});
  auto params = plain.collect_params();
  // Blocks built outside a name scope name parameters by their path: "weight", "offset_weight".
  auto shape_of = [](gluon::ParameterDict& dict, const std::string& name) {
    for (auto& [key, p] : dict) {
      if (key == name) return p.shape();
    }
    FAIL("no parameter " << name);
    return Shape{};
  };
  CHECK(shape_of(params, "weight") == Shape{6, 2, 3, 3});
  CHECK(shape_of(params, "offset_weight") == Shape{36, 2, 3, 3});  // 2 x 9 taps x 2 deformable groups
  CHECK(shape_of(params, "offset_bias") == Shape{36});
  auto modulated_params = modulated.collect_params();
  CHECK(shape_of(modulated_params, "offset_weight") == Shape{27, 4, 3, 3});  // offsets and masks: 3 x 9
  // Zero offsets (and masks of sigmoid(0) * 2 = 1): plain convolutions.
  std::optional<NDArray> plain_bias, modulated_bias;
  NDArray plain_weight, modulated_weight;
  for (auto& [name, p] : params) {
    if (name == "weight") plain_weight = p.data();
    if (name == "bias") plain_bias = p.data();
  }
  for (auto& [name, p] : modulated_params) {
    if (name == "weight") modulated_weight = p.data();
    if (name == "bias") modulated_bias = p.data();
  }
  test::check_array(y, y.shape(), nd::Convolution(x, plain_weight, plain_bias, {{3, 3}, {1, 1}, {1, 1}, {1, 1}}, 6, 2).asnumpy<double>(), 1e-5);
  test::check_array(z, z.shape(), nd::Convolution(x, modulated_weight, modulated_bias, {{3, 3}, {2, 2}, {1, 1}, {1, 1}}, 6).asnumpy<double>(), 1e-5);
  CHECK(plain.repr() == "DeformableConvolution(4 -> 6, kernel_size=(3, 3))");
  CHECK_THROWS_WITH(deform::DeformableConvolution(4, {3, 3, 3}), Contains("DeformableConvolution") && Contains("kernel_size"));
  CHECK_THROWS_WITH(plain(nd::ones({2, 4, 5})), Contains("(N, C, H, W)"));
}

TEST_CASE("DeformableConvolution trains its offsets, and exports and reloads hybridized", "[gluon][deformable]") {
  deform::DeformableConvolution layer(2, {2, 2}, {.offset_weight_initializer = init::Uniform(0.3)});
  layer.initialize();
  const NDArray x = nd::random::uniform(-1, 1, {1, 3, 4, 4});
  const NDArray imperative = layer(x);
  {
    autograd::record r;
    NDArray loss = (layer(x) * layer(x)).sum();
    loss.backward();
  }
  for (auto& [name, p] : layer.collect_params()) {
    INFO(name);
    CHECK(p.grad().abs().sum().asscalar<double>() > 0);  // the offsets' weights included
  }
  layer.hybridize();
  test::check_array(layer(x), imperative.shape(), imperative.asnumpy<double>(), 1e-6);
  const std::string path = test::temp_path("deformable_layer");
  layer.export_(path);
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  test::check_array((*loaded)(x), imperative.shape(), imperative.asnumpy<double>(), 1e-6);
  std::filesystem::remove(path + "-symbol.json");
  std::filesystem::remove(path + "-0000.params");
}
