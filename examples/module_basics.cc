// MXNet's Module API, as MXNet 1.x scripts trained before Gluon: a symbol built layer by layer (its weights and
// labels named after the layers), fit from data iterators with a Speedometer and a checkpoint per epoch, split
// over two CPU contexts; the last checkpoint loaded back into a new Module to predict and score.
//   module_basics [--epochs N]
#include <cstdio>
#include <filesystem>
#include <string>

#include <mx/mx.h>

#include "cli.h"

namespace {

using namespace mx;

// Points in [-1, 1]^2: (n, 2) and labels (n,), 1 inside the circle of radius 0.7.
std::pair<NDArray, NDArray> circle(std::int64_t n) {
  const NDArray x = nd::random::uniform(-1, 1, {n, 2});
  return {x, (nd::sum(x * x, {1}) < 0.49).astype(DType::kFloat32)};
}

sym::Symbol make_net() {
  sym::Symbol net = sym::var("data");
  net = sym::invoke("FullyConnected", {net}, {{"num_hidden", "16"}}, "fc1");
  net = sym::invoke("Activation", {net}, {{"act_type", "relu"}}, "relu1");
  net = sym::invoke("FullyConnected", {net}, {{"num_hidden", "16"}}, "fc2");
  net = sym::invoke("Activation", {net}, {{"act_type", "relu"}}, "relu2");
  net = sym::invoke("FullyConnected", {net}, {{"num_hidden", "2"}}, "fc3");
  return sym::invoke("SoftmaxOutput", {net}, {}, "softmax");
}

int run(int argc, char** argv) {
  const int epochs = examples::epochs_option(argc, argv, 10);
  if (epochs == 0) return 2;
  random::seed(3);
  const auto [x, y] = circle(2000);
  const auto [vx, vy] = circle(500);
  io::NDArrayIter train(x, y, {.batch_size = 50, .shuffle = true});
  io::NDArrayIter val(vx, vy, {.batch_size = 100});

  const sym::Symbol net = make_net();
  std::printf("arguments:");
  for (const std::string& name : net.list_arguments()) std::printf(" %s", name.c_str());
  std::printf("\n");

  const std::string prefix = (std::filesystem::temp_directory_path() / "mxpp_module_basics").string();
  mod::Module module(net, {.context = {cpu(0), cpu(1)}});
  module.fit(train, {.eval_data = &val,
                     .epoch_end_callback = {mod::do_checkpoint(prefix)},
                     .batch_end_callback = {mod::Speedometer(50, 20)},
                     .optimizer = "adam",
                     .optimizer_params = {{"learning_rate", 0.01}},
                     .initializer = init::Xavier(),
                     .num_epoch = epochs});

  mod::Module loaded = mod::Module::load(prefix, epochs, false, {.context = {cpu()}});
  loaded.bind(val.provide_data(), val.provide_label(), {.for_training = false});
  const NDArray probabilities = loaded.predict(val)[0];
  std::printf("predicted %s\n", probabilities.shape().str().c_str());
  for (const auto& [name, value] : loaded.score(val, "acc")) std::printf("checkpoint %d: validation %s %.4f\n", epochs, name.c_str(), value);
  for (int epoch = 1; epoch <= epochs; ++epoch) std::filesystem::remove(mod::params_file(prefix, epoch));
  std::filesystem::remove(prefix + "-symbol.json");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::report_errors("module_basics", [&] { return run(argc, argv); }); }
