// The Estimator (gluon::contrib::estimator): a small network learns which side of a circle a point lies on,
// fit with validation after each epoch, the best parameters checkpointed and training stopped early once the
// validation accuracy stops improving; then the best checkpoint is loaded back and scored.
//   estimator_basics [--epochs N]
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <mx/mx.h>

#include "cli.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;
namespace data = gluon::data;
namespace est = gluon::contrib::estimator;

// Points in [-1, 1]^2, labelled 1 inside the circle of radius 0.7.
data::ArrayDataset circle(std::int64_t n) {
  const NDArray x = nd::random::uniform(-1, 1, {n, 2});
  const NDArray inside = nd::sum(x * x, {1}) < 0.49;
  return data::ArrayDataset(x, inside.astype(DType::kFloat32));
}

nn::Sequential make_net() {
  nn::Sequential net;
  net.add(nn::Dense(16, "relu"), nn::Dense(16, "relu"), nn::Dense(2));
  return net;
}

int run(int argc, char** argv) {
  const int epochs = examples::epochs_option(argc, argv, 30);
  if (epochs == 0) return 2;
  random::seed(3);
  data::DataLoader train(circle(2000), {.batch_size = 50, .shuffle = true});
  data::DataLoader val(circle(500), {.batch_size = 250});
  nn::Sequential net = make_net();
  net.initialize(init::Xavier());
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "adam", {{"learning_rate", 0.01}});

  est::Estimator estimator(net, loss_fn, trainer, {.train_metrics = {std::make_shared<metric::Accuracy>()}});
  const std::shared_ptr<metric::EvalMetric> val_accuracy = estimator.val_metrics()[0];
  const std::string dir = (std::filesystem::temp_directory_path() / "mxpp_estimator_basics").string();
  std::filesystem::remove_all(dir);
  auto best = std::make_shared<est::CheckpointHandler>(
      dir, est::CheckpointOptions{.model_prefix = "circle", .monitor = val_accuracy, .save_best = true, .max_checkpoints = 1});
  auto patience = std::make_shared<est::EarlyStoppingHandler>(val_accuracy, est::EarlyStoppingOptions{.patience = 5});
  estimator.fit(train, &val, epochs, {best, patience, std::make_shared<est::LoggingHandler>(std::nullopt)});
  if (patience->stopped_epoch()) std::printf("stopped early after epoch %d\n", *patience->stopped_epoch());

  nn::Sequential reloaded = make_net();
  reloaded.load_parameters(dir + "/circle-best.params");
  metric::Accuracy accuracy;
  for (auto [x, y] : val) accuracy.update(y, reloaded(x));
  std::printf("best checkpoint: validation accuracy %.4f\n", accuracy.get().second);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::report_errors("estimator_basics", [&] { return run(argc, argv); }); }
