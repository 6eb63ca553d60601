// The Estimator (gluon.contrib.estimator): fit equals the loop written by hand, stops after epochs or batches,
// validates, logs; the checkpoint and early-stopping handlers; the metrics it adds and copies; its errors.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace nn = gluon::nn;
namespace data = gluon::data;
namespace est = gluon::contrib::estimator;

namespace {

// Points labelled by the sign of x0 + 2 x1 - 0.3: a task a linear model learns.
data::ArrayDataset halfplanes(std::int64_t n) {
  const NDArray x = nd::random::uniform(-1, 1, {n, 2});
  const std::vector<float> v = x.asnumpy<float>();
  std::vector<float> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) labels[i] = v[2 * i] + 2 * v[2 * i + 1] > 0.3f ? 1.0f : 0.0f;
  return data::ArrayDataset(x, nd::array(labels));
}

nn::Sequential make_net() {
  nn::Sequential net;
  net.add(nn::Dense(8, "relu"), nn::Dense(2));
  return net;
}

std::vector<std::vector<double>> parameter_values(gluon::Block& net) {
  std::vector<std::vector<double>> values;
  for (const auto& [name, p] : net.collect_params()) values.push_back(p.data().asnumpy<double>());
  return values;
}

// A metric whose value the test scripts, epoch by epoch: get() gives the next value each call.
class ScriptedMetric : public metric::EvalMetric {
 public:
  ScriptedMetric(std::string name, std::vector<double> values) : EvalMetric(std::move(name)), values_(std::move(values)) {}
  std::pair<std::string, double> get() const override {
    return {name(), values_.at(std::min(calls_++, values_.size() - 1))};
  }

 protected:
  void update_one(const NDArray&, const NDArray&) override {}

 private:
  std::vector<double> values_;
  mutable std::size_t calls_ = 0;
};

}  // namespace

TEST_CASE("Estimator::fit takes the steps of the loop written by hand", "[gluon][estimator]") {
  random::seed(5);
  const data::ArrayDataset dataset = halfplanes(96);
  data::DataLoader loader(dataset, {.batch_size = 32});
  nn::Sequential by_hand = make_net(), by_estimator = make_net();
  const NDArray probe = nd::zeros({1, 2});  // deferred initialization draws at the first forward
  random::seed(6);
  by_hand.initialize(init::Xavier());
  by_hand(probe);
  random::seed(6);
  by_estimator.initialize(init::Xavier());
  by_estimator(probe);
  REQUIRE(parameter_values(by_hand) == parameter_values(by_estimator));
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;

  gluon::Trainer hand_trainer(by_hand.collect_params(), "sgd", {{"learning_rate", 0.5}, {"momentum", 0.9}});
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (auto [x, y] : loader) {
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn(by_hand(x), y);
      }
      loss.backward();
      hand_trainer.step(static_cast<double>(x.shape()[0]));
    }
  }
  gluon::Trainer trainer(by_estimator.collect_params(), "sgd", {{"learning_rate", 0.5}, {"momentum", 0.9}});
  std::ostringstream log;
  est::Estimator estimator(by_estimator, loss_fn, trainer, {.train_metrics = {std::make_shared<metric::Accuracy>()}});
  estimator.fit(loader, nullptr, 2, {std::make_shared<est::LoggingHandler>(std::nullopt, &log)});

  const auto expected = parameter_values(by_hand), got = parameter_values(by_estimator);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == expected[i]);
  CHECK(estimator.current_epoch() == 2);
  CHECK(estimator.total_batches() == 6);
  // The training metrics: the accuracy given, and the loss added; both over the last epoch.
  REQUIRE(estimator.train_metrics().size() == 2);
  CHECK(estimator.train_metrics()[1]->name() == "loss");
  const std::string text = log.str();
  CHECK_THAT(text, Contains("Training begin: using optimizer sgd with current learning rate 0.5000"));
  CHECK_THAT(text, Contains("[Epoch 0] Finished in") && Contains("[Epoch 1] Finished in"));
  CHECK_THAT(text, Contains("training accuracy: ") && Contains("training loss: "));
  CHECK_THAT(text, Contains("Train finished using total") && Contains("with 2 epochs."));
  CHECK(text.find("validation") == std::string::npos);  // nothing evaluated: no validation values
}

TEST_CASE("Estimator::fit validates each epoch, stops after a number of batches, logs at intervals",
          "[gluon][estimator]") {
  random::seed(7);
  data::DataLoader train(halfplanes(1000), {.batch_size = 50, .shuffle = true});
  data::DataLoader val(halfplanes(300), {.batch_size = 100});
  nn::Sequential net = make_net();
  net.initialize(init::Xavier());
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "adam", {{"learning_rate", 0.05}});
  std::ostringstream log;
  est::Estimator estimator(net, loss_fn, trainer, {.train_metrics = {std::make_shared<metric::Accuracy>()}});
  // Validation copies the training metrics: a fresh accuracy and loss.
  REQUIRE(estimator.val_metrics().size() == 2);
  CHECK(estimator.val_metrics()[0] != estimator.train_metrics()[0]);
  estimator.fit(train, &val, 6, {std::make_shared<est::LoggingHandler>(10, &log)});
  const double val_accuracy = estimator.val_metrics()[0]->get().second;
  CHECK(val_accuracy > 0.9);
  // The validation accuracy is the network's on val, computed apart.
  metric::Accuracy check;
  for (auto [x, y] : val) check.update(y, net(x));
  CHECK(check.get().second == Approx(val_accuracy));
  CHECK_THAT(log.str(), Contains("[Epoch 5] Finished in") && Contains("validation accuracy: "));
  CHECK_THAT(log.str(), Contains("[Epoch 0][Batch 10][Samples 500] time/interval: "));

  // Batches: 25 of 20 a epoch stops in the second epoch; every one of them updated the parameters.
  const int before = trainer.optimizer().num_update();
  est::Estimator short_run(net, loss_fn, trainer);
  std::ostringstream quiet;
  short_run.fit(train, nullptr, std::nullopt, {std::make_shared<est::LoggingHandler>(std::nullopt, &quiet)}, 25);
  CHECK(short_run.total_batches() == 25);
  CHECK(short_run.current_epoch() == 2);
  CHECK(trainer.optimizer().num_update() == before + 25);
}

TEST_CASE("Estimator::fit over two contexts takes the one-context steps, every copy alike", "[gluon][estimator]") {
  random::seed(10);
  data::DataLoader loader(halfplanes(64), {.batch_size = 16});
  const NDArray probe = nd::zeros({1, 2});
  nn::Sequential one = make_net(), two = make_net();
  random::seed(11);
  one.initialize(init::Xavier());
  one(probe);
  random::seed(11);
  two.initialize(init::Xavier(), {cpu(0), cpu(1)});
  two(probe);
  two(probe.as_in_context(cpu(1)));
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer one_trainer(one.collect_params(), "sgd", {{"learning_rate", 0.5}});
  gluon::Trainer two_trainer(two.collect_params(), "sgd", {{"learning_rate", 0.5}});
  std::ostringstream log;
  const auto logging = std::make_shared<est::LoggingHandler>(std::nullopt, &log);
  est::Estimator(one, loss_fn, one_trainer).fit(loader, nullptr, 2, {logging});
  est::Estimator both(two, loss_fn, two_trainer, {.context = {cpu(0), cpu(1)}});
  both.fit(loader, nullptr, 2, {logging});
  for (const auto& [name, p] : two.collect_params()) {
    INFO(name);
    const std::vector<double> first = p.data(cpu(0)).asnumpy<double>();
    CHECK(p.data(cpu(1)).asnumpy<double>() == first);
    test::check_array(p.data(cpu(0)), p.shape(), one.collect_params()[name].data().asnumpy<double>(), 1e-5);
  }
}

TEST_CASE("EarlyStoppingHandler stops after patience epochs without improvement, as MXNet counts",
          "[gluon][estimator]") {
  random::seed(8);
  data::DataLoader train(halfplanes(64), {.batch_size = 32});
  nn::Sequential net = make_net();
  net.initialize();
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
  std::ostringstream log;
  const auto logging = std::make_shared<est::LoggingHandler>(std::nullopt, &log);
  {
    // A loss: lower is better. 1.0 best, 0.9 best, then 0.95 and 0.92 (not below 0.9 by 0.01): stops after the
    // second of them.
    auto loss = std::make_shared<ScriptedMetric>("val loss", std::vector<double>{1.0, 0.9, 0.95, 0.92, 0.5});
    auto stopper = std::make_shared<est::EarlyStoppingHandler>(loss, est::EarlyStoppingOptions{.min_delta = 0.01, .patience = 2});
    est::Estimator estimator(net, loss_fn, trainer);
    estimator.fit(train, nullptr, 10, {stopper, logging});
    CHECK(stopper->stopped_epoch() == 3);
    CHECK(estimator.current_epoch() == 4);
  }
  {
    // An accuracy ("acc" in its name: higher is better), NaN before any evaluation does not count; patience 0
    // stops at the first epoch without improvement.
    auto accuracy = std::make_shared<ScriptedMetric>("val accuracy", std::vector<double>{std::nan(""), 0.5, 0.7, 0.7});
    auto stopper = std::make_shared<est::EarlyStoppingHandler>(accuracy);
    est::Estimator estimator(net, loss_fn, trainer);
    estimator.fit(train, nullptr, 10, {stopper, logging});
    CHECK(stopper->stopped_epoch() == 3);
  }
  {
    // Never past the baseline: stops at once.
    auto accuracy = std::make_shared<ScriptedMetric>("accuracy", std::vector<double>{0.5});
    auto stopper = std::make_shared<est::EarlyStoppingHandler>(accuracy, est::EarlyStoppingOptions{.baseline = 0.8});
    est::Estimator estimator(net, loss_fn, trainer);
    estimator.fit(train, nullptr, 10, {stopper, logging});
    CHECK(stopper->stopped_epoch() == 0);
  }
}

TEST_CASE("CheckpointHandler keeps the newest checkpoints and the best one", "[gluon][estimator]") {
  random::seed(9);
  data::DataLoader train(halfplanes(64), {.batch_size = 32});
  nn::Sequential net = make_net();
  net.initialize();
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}});
  const std::string dir = test::temp_path("checkpoints");
  std::filesystem::remove_all(dir);
  // Accuracy 0.5, 0.7, then 0.6: the best is the second epoch's.
  auto monitor = std::make_shared<ScriptedMetric>("accuracy", std::vector<double>{0.5, 0.7, 0.6});
  auto checkpoints = std::make_shared<est::CheckpointHandler>(
      dir, est::CheckpointOptions{.model_prefix = "net", .monitor = monitor, .save_best = true, .max_checkpoints = 2});
  // Remembers the parameters after each epoch, to compare with what was saved.
  struct Snapshots : est::EventHandler {
    std::vector<std::vector<std::vector<double>>> taken;
    bool epoch_end(est::Estimator& e) override {
      taken.push_back(parameter_values(e.net()));
      return false;
    }
  };
  auto snapshots = std::make_shared<Snapshots>();
  std::ostringstream log;
  est::Estimator estimator(net, loss_fn, trainer);
  estimator.fit(train, nullptr, 3, {checkpoints, snapshots, std::make_shared<est::LoggingHandler>(std::nullopt, &log)});

  const std::string stem = (std::filesystem::path(dir) / "net").string();
  CHECK(checkpoints->saved() == std::vector<std::string>{stem + "-epoch1batch4", stem + "-epoch2batch6"});
  CHECK_FALSE(std::filesystem::exists(stem + "-epoch0batch2.params"));
  CHECK(std::filesystem::exists(stem + "-epoch2batch6.states"));
  nn::Sequential loaded = make_net();
  loaded.load_parameters(stem + "-best.params");
  CHECK(parameter_values(loaded) == snapshots->taken[1]);
  loaded.load_parameters(stem + "-epoch2batch6.params");
  CHECK(parameter_values(loaded) == snapshots->taken[2]);
  trainer.load_states(stem + "-best.states");

  // Resumed: a new network and trainer pick up the newest checkpoint (after epoch 2 of 0, 1, 2) and train
  // epochs 3 and 4 of five, as the first run would have gone on.
  snapshots->taken.clear();
  est::Estimator(net, loss_fn, trainer).fit(train, nullptr, 2, {snapshots, std::make_shared<est::LoggingHandler>(std::nullopt, &log)});
  nn::Sequential again = make_net();
  again.load_parameters(stem + "-epoch2batch6.params");  // shapes and values; resume loads them again
  gluon::Trainer again_trainer(again.collect_params(), "sgd", {{"learning_rate", 0.1}});
  auto resuming = std::make_shared<est::CheckpointHandler>(
      dir, est::CheckpointOptions{.model_prefix = "net", .resume_from_checkpoint = true});
  est::Estimator resumed(again, loss_fn, again_trainer);
  std::ostringstream resumed_log;
  resumed.fit(train, nullptr, 5, {resuming, std::make_shared<est::LoggingHandler>(std::nullopt, &resumed_log)});
  CHECK(resumed.current_epoch() == 5);
  CHECK(resumed.total_batches() == 10);
  CHECK(parameter_values(again) == snapshots->taken[1]);
  CHECK_THAT(resumed_log.str(), Contains("[Epoch 3] Finished") && Contains("[Epoch 4] Finished"));
  CHECK_FALSE(Catch::Matchers::Contains("[Epoch 2]").match(resumed_log.str()));
  CHECK(std::filesystem::exists(stem + "-epoch4batch10.params"));
  // Nothing left to train: a clear error.
  est::Estimator done(again, loss_fn, again_trainer);
  CHECK_THROWS_WITH(done.fit(train, nullptr, 5, {std::make_shared<est::CheckpointHandler>(
                        dir, est::CheckpointOptions{.model_prefix = "net", .resume_from_checkpoint = true})}),
                    Contains("5 epochs") && Contains("resume_from_checkpoint"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("metric::Loss averages losses, and metrics copy themselves fresh", "[gluon][estimator][metric]") {
  metric::Loss loss;
  loss.update(nd::zeros({2}), nd::array({1, 3}));
  loss.update(nd::zeros({1}), nd::array({5}));
  CHECK(loss.get() == std::pair<std::string, double>{"loss", 3});
  metric::Accuracy accuracy;
  accuracy.update(nd::array({1, 0}), nd::array({0.2, 0.8, 0.6, 0.4}, Shape{2, 2}));
  CHECK(accuracy.get().second == 1);
  const auto copy = accuracy.clone();
  REQUIRE(copy != nullptr);
  CHECK(std::isnan(copy->get().second));
  copy->update(nd::array({0, 0}), nd::array({0.2, 0.8, 0.6, 0.4}, Shape{2, 2}));
  CHECK(copy->get().second == 0.5);
  CHECK(accuracy.get().second == 1);
  metric::CompositeEvalMetric both;
  both.add(metric::Accuracy());
  both.add(metric::MSE());
  CHECK(both.clone()->get_name_value().size() == 2);
}

TEST_CASE("the Estimator refuses what it cannot run, by name", "[gluon][estimator]") {
  data::DataLoader train(halfplanes(8), {.batch_size = 4});
  nn::Sequential net = make_net();
  net.initialize();
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd");
  est::Estimator estimator(net, loss_fn, trainer);
  CHECK_THROWS_WITH(estimator.fit(train), Contains("give epochs or batches"));
  CHECK_THROWS_WITH(estimator.fit(train, nullptr, 0), Contains("must be positive"));
  CHECK_THROWS_WITH(estimator.fit_batch(data::Batch({nd::ones({4, 2})})), Contains("data and label") && Contains("1 field"));
  const std::vector<std::shared_ptr<metric::EvalMetric>> scripted = {std::make_shared<ScriptedMetric>("s", std::vector<double>{1})};
  CHECK_THROWS_WITH(est::Estimator(net, loss_fn, trainer, {.train_metrics = scripted}),
                    Contains("'s' cannot be copied") && Contains("val_metrics"));
  CHECK_THROWS_WITH(est::CheckpointHandler(test::temp_path("x"), {.save_best = true}), Contains("needs a monitor"));
  CHECK_THROWS_WITH(est::EarlyStoppingHandler(nullptr), Contains("needs a metric"));
}
