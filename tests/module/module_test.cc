// mx.mod.Module: one SGD step against the hand-computed update, two contexts against one, training to a known
// accuracy, prediction without the padding, checkpoints (MXNet's file layout, optimizer states that resume
// exactly), the callbacks, and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <sstream>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

namespace {

sym::Symbol one_layer_regression() {
  const sym::Symbol fc = sym::invoke("FullyConnected", {sym::var("data")}, {{"num_hidden", "1"}}, "fc");
  return sym::invoke("LinearRegressionOutput", {fc}, {}, "lro");
}

// data (N, 2) -> fc1 (8) -> BatchNorm -> relu -> fc2 (3) -> SoftmaxOutput.
sym::Symbol classifier() {
  sym::Symbol x = sym::invoke("FullyConnected", {sym::var("data")}, {{"num_hidden", "8"}}, "fc1");
  x = sym::invoke("BatchNorm", {x}, {{"fix_gamma", "False"}}, "bn");
  x = sym::invoke("Activation", {x}, {{"act_type", "relu"}}, "relu1");
  x = sym::invoke("FullyConnected", {x}, {{"num_hidden", "3"}}, "fc2");
  return sym::invoke("SoftmaxOutput", {x}, {}, "softmax");
}

// Three clusters around the corners of a triangle, each point moved a little by a fixed wave: (n, 2), (n,).
std::pair<NDArray, NDArray> clusters(std::int64_t n) {
  std::vector<double> x, y;
  for (std::int64_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(i % 3);
    const double angle = 2.0944 * k, d = static_cast<double>(i);
    x.push_back(2 * std::cos(angle) + 0.6 * std::sin(1.3 * d));
    x.push_back(2 * std::sin(angle) + 0.6 * std::cos(0.7 * d));
    y.push_back(k);
  }
  return {nd::array(x, Shape{n, 2}), nd::array(y)};
}

io::DataBatch regression_batch() {
  return {{nd::array({1, 2, 3, -1}, Shape{2, 2})}, {nd::array({0, 1})}, 0};
}

mod::ParamDict regression_params() {
  return {{"fc_weight", nd::array({0.5, -1}, Shape{1, 2})}, {"fc_bias", nd::array({0.25})}};
}

mod::Module regression_module(std::vector<Context> contexts) {
  mod::Module module(one_layer_regression(), {.label_names = {"lro_label"}, .context = std::move(contexts)});
  module.bind({{"data", Shape{2, 2}}}, {{"lro_label", Shape{2}}});
  module.set_params(regression_params(), {});
  module.init_optimizer({.optimizer = "sgd", .optimizer_params = {{"learning_rate", 0.1}}});
  return module;
}

}  // namespace

TEST_CASE("a Module's SGD step is the gradient's, rescaled by the batch", "[module]") {
  mod::Module module = regression_module({cpu()});
  module.forward_backward(regression_batch());
  module.update();
  // Gradients (4, -4.25) and 0.5 (executor_test), times 1 / batch 2, times the rate 0.1.
  const auto [args, aux] = module.get_params();
  check_array(args.at("fc_weight"), {1, 2}, {0.5 - 0.2, -1 + 0.2125});
  check_array(args.at("fc_bias"), {1}, {0.25 - 0.025});
  CHECK(aux.empty());
  check_array(module.get_outputs()[0], {2, 1}, {-1.25, 2.75});
  CHECK(module.output_shapes() == std::vector<std::pair<std::string, Shape>>{{"lro_output", Shape{2, 1}}});
}

TEST_CASE("two contexts split the batch and take the one-context step", "[module]") {
  mod::Module one = regression_module({cpu(0)});
  mod::Module two = regression_module({cpu(0), cpu(1)});
  const io::DataBatch batch{{nd::array({1, 2, 3, -1, 0, 1, -2, 1}, Shape{4, 2})}, {nd::array({0, 1, 1, 0})}, 0};
  for (mod::Module* module : {&one, &two}) {
    for (int step = 0; step < 3; ++step) {
      module->forward_backward(batch);
      module->update();
    }
  }
  CHECK(two.executors().size() == 2);
  CHECK(two.executors()[1].arg_dict().at("data").shape() == Shape{2, 2});
  CHECK(two.executors()[1].context() == cpu(1));
  const auto a = one.get_params().first, b = two.get_params().first;
  for (const char* name : {"fc_weight", "fc_bias"}) {
    INFO(name);
    check_array(b.at(name), a.at(name).shape(), test::values(a.at(name)), 1e-6);
  }
  check_array(two.get_outputs()[0], {4, 1}, test::values(one.get_outputs()[0]), 1e-6);
  // Each copy took the same step.
  check_array(two.executors()[1].arg_dict().at("fc_weight"), {1, 2}, test::values(b.at("fc_weight")));
}

TEST_CASE("fit trains a classifier to the clusters' labels and reports as MXNet does", "[module]") {
  random::seed(7);
  const auto [x, y] = clusters(300);
  const auto [vx, vy] = clusters(90);
  io::NDArrayIter train(x, y, {.batch_size = 30, .shuffle = true});
  io::NDArrayIter val(vx, vy, {.batch_size = 30});
  mod::Module module(classifier());
  std::ostringstream log;
  std::vector<int> epochs_seen;
  module.fit(train, {.eval_data = &val,
                     .epoch_end_callback = {[&](int epoch, const sym::Symbol&, const mod::ParamDict& args,
                                                const mod::ParamDict& aux) {
                       epochs_seen.push_back(epoch);
                       CHECK(args.contains("fc1_weight"));
                       CHECK(aux.contains("bn_moving_var"));
                     }},
                     // Resetting the metric after every batch leaves the epoch's line whole.
                     .batch_end_callback = {[](const mod::BatchEndParam& param) { param.eval_metric->reset(); }},
                     .optimizer_params = {{"learning_rate", 0.5}, {"momentum", 0.9}},
                     .initializer = init::Xavier(),
                     .num_epoch = 8,
                     .log = &log});
  CHECK(epochs_seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK_THAT(log.str(), Contains("Epoch[0] Train-accuracy=0.") && Contains("Epoch[7] Validation-accuracy=") &&
                            Contains("Epoch[7] Time cost="));
  CHECK_THAT(log.str(), !Contains("nan"));
  const auto scored = module.score(val, "acc");
  REQUIRE(scored.size() == 1);
  CHECK(scored[0].first == "accuracy");
  CHECK(scored[0].second > 0.95);
  // The moving statistics trained too: the variance left its initial one.
  CHECK(std::abs(module.get_params().second.at("bn_moving_var").asnumpy<double>()[0] - 1) > 1e-3);
}

TEST_CASE("predict joins the batches without their padding", "[module]") {
  const auto [x, y] = clusters(5);
  mod::Module module(classifier());
  module.bind({{"data", Shape{2, 2}}}, {}, {.for_training = false});
  module.init_params(init::Xavier());
  io::NDArrayIter iter(x, y, {.batch_size = 2});
  const std::vector<NDArray> predicted = module.predict(iter);
  REQUIRE(predicted.size() == 1);
  // The same rows from one forward over all five (which rebinds to five rows).
  module.forward({{x}, {}, 0});
  check_array(predicted[0], {5, 3}, test::values(module.get_outputs()[0]), 1e-6);
  CHECK(module.predict(iter, 1)[0].shape() == Shape{2, 3});
}

TEST_CASE("a checkpoint holds MXNet's files, and its optimizer states resume training exactly", "[module]") {
  // Updates by the Module's own updater (one context) and on the kvstore (two).
  const std::vector<Context> contexts = GENERATE(std::vector<Context>{cpu()}, std::vector<Context>{cpu(0), cpu(1)});
  INFO("contexts: " << contexts.size());
  const std::string prefix = test::temp_path("module_checkpoint");
  const auto [x, y] = clusters(12);
  const io::DataBatch batch{{x}, {y}, 0};
  const auto make = [&](mod::Module& module) {
    module.bind({{"data", Shape{12, 2}}}, {{"softmax_label", Shape{12}}});
    module.init_params(init::Xavier());
    module.init_optimizer({.optimizer = "adam", .optimizer_params = {{"learning_rate", 0.05}}});
  };
  const auto steps = [&](mod::Module& module, int count) {
    for (int step = 0; step < count; ++step) {
      module.forward_backward(batch);
      module.update();
    }
  };
  random::seed(3);
  mod::Module first(classifier(), {.context = contexts});
  make(first);
  steps(first, 3);
  first.save_checkpoint(prefix, 3, /*save_optimizer_states=*/true);
  steps(first, 2);

  const std::map<std::string, NDArray> saved = nd::load(prefix + "-0003.params").dict();
  CHECK(saved.contains("arg:fc1_weight"));
  CHECK(saved.contains("aux:bn_moving_mean"));
  CHECK(std::filesystem::exists(prefix + "-symbol.json"));
  const mod::Checkpoint checkpoint = mod::load_checkpoint(prefix, 3);
  CHECK(checkpoint.symbol.list_outputs() == std::vector<std::string>{"softmax_output"});
  CHECK(checkpoint.aux_params.size() == 2);

  for (const bool with_states : {true, false}) {
    mod::Module resumed = mod::Module::load(prefix, 3, with_states, {.context = contexts});
    make(resumed);  // init_params keeps the loaded parameters
    steps(resumed, 2);
    const auto a = first.get_params().first.at("fc2_weight"), b = resumed.get_params().first.at("fc2_weight");
    const std::vector<double> va = test::values(a), vb = test::values(b);
    double largest = 0;
    for (std::size_t i = 0; i < va.size(); ++i) largest = std::max(largest, std::abs(va[i] - vb[i]));
    INFO("optimizer states loaded: " << with_states);
    // Adam's moments and bias corrections: fresh ones take another step.
    CHECK((with_states ? largest < 1e-6 : largest > 1e-4));
  }
  for (const char* suffix : {"-symbol.json", "-0003.params", "-0003.states"}) std::filesystem::remove(prefix + suffix);
}

TEST_CASE("the callbacks report speed and metrics and save checkpoints", "[module]") {
  metric::Accuracy accuracy;
  accuracy.update(nd::array({0, 1}), nd::array({0.9, 0.1, 0.2, 0.8}, Shape{2, 2}));
  std::ostringstream out;
  const mod::BatchEndCallback speed = mod::Speedometer(32, 2, true, &out);
  for (int nbatch = 0; nbatch <= 4; ++nbatch) speed({1, nbatch, &accuracy});
  CHECK_THAT(out.str(), Contains("Epoch[1] Batch [0-2]\tSpeed: ") && Contains(" samples/sec\taccuracy=1.000000") &&
                            Contains("Epoch[1] Batch [2-4]"));
  CHECK(std::isnan(accuracy.get().second));  // reset after the report

  accuracy.update(nd::array({0}), nd::array({0.9, 0.1}, Shape{1, 2}));
  std::ostringstream metric_out;
  mod::log_train_metric(2, false, &metric_out)({0, 2, &accuracy});
  CHECK(metric_out.str() == "Iter[0] Batch[2]\tTrain-accuracy=1.000000\n");

  const std::string prefix = test::temp_path("do_checkpoint");
  const mod::EpochEndCallback save = mod::do_checkpoint(prefix, 2);
  save(0, one_layer_regression(), regression_params(), {});
  CHECK_FALSE(std::filesystem::exists(prefix + "-0001.params"));
  save(1, one_layer_regression(), regression_params(), {});
  check_array(mod::load_checkpoint(prefix, 2).arg_params.at("fc_bias"), {1}, {0.25});
  std::filesystem::remove(prefix + "-0002.params");
  std::filesystem::remove(prefix + "-symbol.json");
}

TEST_CASE("fixed parameters stay, and Module's misuse is named", "[module]") {
  mod::Module fixed(one_layer_regression(), {.label_names = {"lro_label"}, .fixed_param_names = {"fc_bias"}});
  fixed.bind({{"data", Shape{2, 2}}}, {{"lro_label", Shape{2}}});
  fixed.set_params(regression_params(), {});
  fixed.init_optimizer({.optimizer_params = {{"learning_rate", 0.1}}});
  fixed.forward_backward(regression_batch());
  fixed.update();
  check_array(fixed.get_params().first.at("fc_bias"), {1}, {0.25});
  check_array(fixed.get_params().first.at("fc_weight"), {1, 2}, {0.3, -0.7875});

  CHECK_THROWS_WITH(mod::Module(one_layer_regression(), {.data_names = {"x"}}), Contains("'x'"));
  CHECK_THROWS_WITH(mod::Module(one_layer_regression(), {.fixed_param_names = {"fc_gamma"}}), Contains("fc_gamma"));
  mod::Module module(one_layer_regression(), {.label_names = {"lro_label"}});
  CHECK_THROWS_WITH(module.forward(regression_batch()), Contains("bind"));
  CHECK_THROWS_WITH(module.bind({{"x", Shape{2, 2}}}), Contains("[x]") && Contains("[data]"));
  module.bind({{"data", Shape{2, 2}}}, {{"lro_label", Shape{2}}});
  CHECK_THROWS_WITH(module.init_optimizer(), Contains("init_params"));
  const mod::ParamDict weight_only{{"fc_weight", nd::ones({1, 2})}};
  CHECK_THROWS_WITH(module.set_params(weight_only, {}), Contains("fc_bias") && Contains("missing"));
  module.set_params(weight_only, {}, /*allow_missing=*/true);
  check_array(module.get_params().first.at("fc_weight"), {1, 2}, {1, 1});
  CHECK_THROWS_WITH(module.set_params({{"fc_weight", nd::ones({2, 2})}}, {}, true),
                    Contains("fc_weight") && Contains("(2, 2)") && Contains("(1, 2)"));
  CHECK_THROWS_WITH(module.set_params({{"w", nd::ones({1})}}, {}, true), Contains("'w'"));
  CHECK_THROWS_WITH(module.forward({{nd::ones({2, 2}), nd::ones({2, 2})}, {}, 0}), Contains("2 data arrays"));
  CHECK_THROWS_WITH(module.update(), Contains("init_optimizer"));
  CHECK_THROWS_WITH(module.score(*std::make_unique<io::NDArrayIter>(nd::ones({2, 2})), "accuracy2"),
                    Contains("accuracy2") && Contains("acc"));
}
