// The Executor of a bound symbol: outputs and gradients worked out by hand for a one-layer regression,
// grad_req add and null, BatchNorm's moving statistics, reshape's shared parameters, and the errors.
#include <catch2/catch.hpp>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

namespace {

// data (N, 2) -> fc (N, 1) -> LinearRegressionOutput against labels (N,).
sym::Symbol regression_net() {
  const sym::Symbol fc = sym::invoke("FullyConnected", {sym::var("data")}, {{"num_hidden", "1"}}, "fc");
  return sym::invoke("LinearRegressionOutput", {fc}, {}, "lro");
}

mod::Executor bound_regression(GradReq req = GradReq::kWrite) {
  mod::Executor exe = mod::simple_bind(regression_net(), cpu(), {{"data", Shape{2, 2}}},
                                       {.grad_req = req, .grad_reqs = {{"data", GradReq::kNull}, {"lro_label", GradReq::kNull}}});
  exe.copy_params_from({{"fc_weight", nd::array({0.5, -1}, Shape{1, 2})}, {"fc_bias", nd::array({0.25})}});
  return exe;
}

const std::map<std::string, NDArray> kBatch() {
  return {{"data", nd::array({1, 2, 3, -1}, Shape{2, 2})}, {"lro_label", nd::array({0, 1})}};
}

}  // namespace

TEST_CASE("an executor's forward and backward give the regression's outputs and gradients", "[module][executor]") {
  mod::Executor exe = bound_regression();
  CHECK(exe.arg_dict().at("lro_label").shape() == Shape{2});  // inferred from the data's
  CHECK_FALSE(exe.grad_dict().contains("data"));
  // out = x W^T + b = (-1.25, 2.75); error against (0, 1) = (-1.25, 1.75), one output per sample.
  check_array(exe.forward(true, kBatch())[0], {2, 1}, {-1.25, 2.75});
  exe.backward();
  check_array(exe.grad_dict().at("fc_weight"), {1, 2}, {-1.25 * 1 + 1.75 * 3, -1.25 * 2 + 1.75 * -1});
  check_array(exe.grad_dict().at("fc_bias"), {1}, {0.5});
  check_array(exe.output_dict().at("lro_output"), {2, 1}, {-1.25, 2.75});

  // A prediction neither records nor allows backward.
  exe.forward(false);
  CHECK_THROWS_WITH(exe.backward(), Contains("is_train"));
}

TEST_CASE("grad_req add sums backward passes, and head gradients reach the arguments", "[module][executor]") {
  mod::Executor exe = bound_regression(GradReq::kAdd);
  for (int pass = 0; pass < 2; ++pass) {
    exe.forward(true, kBatch());
    exe.backward();
  }
  check_array(exe.grad_dict().at("fc_weight"), {1, 2}, {8, -8.5});

  // Without a loss head the head gradients count: d(sum g * (x W^T))/dW = g^T x.
  const sym::Symbol fc = sym::invoke("FullyConnected", {sym::var("data")}, {{"num_hidden", "1"}, {"no_bias", "True"}}, "fc");
  mod::Executor plain = mod::bind(fc, cpu(), {{"data", nd::array({1, 2, 3, -1}, Shape{2, 2})}, {"fc_weight", nd::ones({1, 2})}},
                                  {}, {{"data", GradReq::kNull}});
  plain.forward(true);
  plain.backward({nd::array({2, -1}, Shape{2, 1})});
  check_array(plain.grad_dict().at("fc_weight"), {1, 2}, {2 * 1 - 3, 2 * 2 + 1});
  CHECK_THROWS_WITH(plain.backward({nd::ones({2, 1})}), Contains("is_train"));  // the graph went with the first
  plain.forward(true);
  CHECK_THROWS_WITH(plain.backward({nd::ones({3, 1})}), Contains("fc_output") && Contains("(3, 1)"));
}

TEST_CASE("a training forward updates BatchNorm's moving statistics, a prediction does not", "[module][executor]") {
  const sym::Symbol bn = sym::invoke("BatchNorm", {sym::var("data")}, {}, "bn");
  mod::Executor exe = mod::simple_bind(bn, cpu(), {{"data", Shape{4, 1}}});
  CHECK(bn.list_auxiliary_states() == std::vector<std::string>{"bn_moving_mean", "bn_moving_var"});
  exe.forward(true, {{"data", nd::array({1, 2, 3, 6}, Shape{4, 1})}});
  // Batch mean 3, variance 3.5; momentum 0.9 from zeros.
  check_array(exe.aux_dict().at("bn_moving_mean"), {1}, {0.3});
  check_array(exe.aux_dict().at("bn_moving_var"), {1}, {0.35});
  exe.forward(false);
  check_array(exe.aux_dict().at("bn_moving_mean"), {1}, {0.3});
}

TEST_CASE("reshape makes an executor for other input shapes over the same parameters", "[module][executor]") {
  mod::Executor exe = bound_regression();
  CHECK_THROWS_WITH(exe.reshape({{"data", Shape{3, 2}}}), Contains("lro_label") && Contains("(3,)"));
  mod::Executor wide = exe.reshape({{"data", Shape{3, 2}}}, /*partial_shaping=*/true);
  CHECK(wide.arg_dict().at("lro_label").shape() == Shape{3});
  NDArray weight = exe.arg_dict().at("fc_weight");
  nd::array({1, 1}, Shape{1, 2}).copyto(weight);  // shared: seen by both
  check_array(wide.forward(false, {{"data", nd::array({1, 0, 0, 1, 2, 2}, Shape{3, 2})}})[0], {3, 1}, {1.25, 1.25, 4.25});
  CHECK_THROWS_WITH(exe.reshape({{"data", Shape{2, 3}}}), Contains("fc_weight") && Contains("(1, 3)"));
}

TEST_CASE("binding and feeding an executor name what is wrong", "[module][executor]") {
  const sym::Symbol net = regression_net();
  CHECK_THROWS_WITH(mod::bind(net, cpu(), {{"data", nd::ones({2, 2})}}), Contains("fc_weight") && Contains("lro_label"));
  CHECK_THROWS_WITH(mod::simple_bind(net, cpu(), {{"data", Shape{2, 2}}}, {.grad_reqs = {{"weight", GradReq::kNull}}}),
                    Contains("'weight'"));
  mod::Executor exe = bound_regression();
  CHECK_THROWS_WITH(exe.forward(false, {{"data", nd::ones({3, 2})}}), Contains("'data'") && Contains("(3, 2)"));
  CHECK_THROWS_WITH(exe.forward(false, {{"label", nd::ones({2})}}), Contains("'label'"));
  CHECK_THROWS_WITH(exe.copy_params_from({{"fc2_weight", nd::ones({1, 2})}}), Contains("fc2_weight"));
  exe.copy_params_from({{"fc2_weight", nd::ones({1, 2})}}, {}, /*allow_extra_params=*/true);
  CHECK_THROWS_AS(mod::simple_bind(net, cpu(), {}), ShapeError);
}
