// End to end: the seed tutorial's loop (DataLoader, Sequential, loss, Trainer, metric) learns a small synthetic
// task; a small CNN with BatchNorm and Dropout learns too, and reloads to the same predictions.
#include <catch2/catch.hpp>

#include <filesystem>

#include <mx/mx.h>

using namespace mx;
namespace nn = gluon::nn;
namespace data = gluon::data;

namespace {

// Points in the plane labelled by the quadrant's parity: not linearly separable, so the hidden layer matters.
data::ArrayDataset quadrants(std::int64_t n) {
  const NDArray x = nd::random::uniform(-1, 1, {n, 2});
  const std::vector<float> v = x.asnumpy<float>();
  std::vector<float> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) labels[i] = (v[2 * i] > 0) == (v[2 * i + 1] > 0) ? 1.0f : 0.0f;
  return data::ArrayDataset(x, nd::array(labels));
}

double accuracy_of(gluon::Block& net, data::DataLoader& loader) {
  metric::Accuracy accuracy;
  for (auto [x, y] : loader) accuracy.update(y, net(x));
  return accuracy.get().second;
}

}  // namespace

TEST_CASE("the seed tutorial's training loop learns", "[gluon][training]") {
  random::seed(42);
  data::DataLoader train(quadrants(2000), {.batch_size = 50, .shuffle = true, .num_workers = 2});
  data::DataLoader test(quadrants(500), {.batch_size = 100});
  nn::Sequential net;
  net.add(nn::Dense(32, "relu"), nn::Dense(2));
  net.initialize(init::Xavier());
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "adam", {{"learning_rate", 0.02}});
  double first_epoch = 0, last_epoch = 0;
  for (int epoch = 0; epoch < 15; ++epoch) {
    double total = 0;
    for (auto [x, y] : train) {
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn(net(x), y);
      }
      loss.backward();
      trainer.step(x.shape()[0]);
      total += loss.mean().asscalar<float>();
    }
    (epoch == 0 ? first_epoch : last_epoch) = total / static_cast<double>(train.size());
  }
  CHECK(last_epoch < first_epoch / 4);
  CHECK(accuracy_of(net, test) > 0.93);
}

TEST_CASE("a small CNN with BatchNorm and Dropout trains and reloads to the same predictions", "[gluon][training]") {
  random::seed(7);
  // 8x8 images: class 1 has a bright vertical bar, class 0 a horizontal one, both at random places, plus noise.
  const std::int64_t n = 256;
  std::vector<float> images(static_cast<std::size_t>(n * 64)), labels(static_cast<std::size_t>(n));
  const std::vector<float> noise = nd::random::normal(0, 0.3, {n * 64}).asnumpy<float>();
  const std::vector<float> where = nd::random::uniform(0, 8, {n}).asnumpy<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    labels[i] = static_cast<float>(i % 2);
    const int at = static_cast<int>(where[i]);
    for (int k = 0; k < 8; ++k) {
      const int pixel = i % 2 ? k * 8 + at : at * 8 + k;
      images[static_cast<std::size_t>(i * 64 + pixel)] = 1;
    }
  }
  for (std::size_t p = 0; p < images.size(); ++p) images[p] += noise[p];
  const NDArray x = nd::array(images, Shape{n, 1, 8, 8}), y = nd::array(labels);
  data::DataLoader loader(data::ArrayDataset(x, y), {.batch_size = 32, .shuffle = true});
  nn::Sequential net;
  net.add(nn::Conv2D(8, {3}, {.padding = {1}}), nn::BatchNorm(), nn::Activation("relu"), nn::MaxPool2D(),
          nn::Flatten(), nn::Dropout(0.2), nn::Dense(2));
  net.initialize(init::Xavier());
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer trainer(net.collect_params(), "sgd", {{"learning_rate", 0.1}, {"momentum", 0.9}});
  for (int epoch = 0; epoch < 8; ++epoch) {
    for (auto [xb, yb] : loader) {
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn(net(xb), yb);
      }
      loss.backward();
      trainer.step(xb.shape()[0]);
    }
  }
  data::DataLoader eval(data::ArrayDataset(x, y), {.batch_size = 64});
  const double trained = accuracy_of(net, eval);
  CHECK(trained > 0.95);
  const std::string path = (std::filesystem::temp_directory_path() / "mxpp_cnn.params").string();
  net.save_parameters(path);
  nn::Sequential reloaded;
  reloaded.add(nn::Conv2D(8, {3}, {.padding = {1}}), nn::BatchNorm(), nn::Activation("relu"), nn::MaxPool2D(),
               nn::Flatten(), nn::Dropout(0.2), nn::Dense(2));
  reloaded.load_parameters(path);
  CHECK(reloaded(x).asnumpy<float>() == net(x).asnumpy<float>());
  std::filesystem::remove(path);
}
