// A recurrent network on sequences of different lengths: count the ones in a sequence of random 0s and 1s
// (2 to 12 steps, padded to 12 in a batch). A two-layer LSTM reads each sequence up to its own length (the
// sequence lengths are given to the layer), its last hidden state goes through a Dense layer that classifies
// the count (0 to 12). Prints the loss per epoch and the accuracy on fresh sequences.
//   count_ones [--epochs N]
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <mx/mx.h>

#include "cli.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;
namespace rnn = gluon::rnn;

constexpr std::int64_t kSteps = 12, kBatch = 64;

// A batch: x (N, T, 1), the lengths (N,) and the counts of ones within them (N,).
struct Batch {
  NDArray x, lengths, counts;
};

Batch make_batch(std::mt19937& rng) {
  std::uniform_int_distribution<int> bit(0, 1), length(2, static_cast<int>(kSteps));
  std::vector<double> x(kBatch * kSteps, 0), lengths, counts;
  for (std::int64_t n = 0; n < kBatch; ++n) {
    const int len = length(rng);
    int ones = 0;
    for (int t = 0; t < len; ++t) ones += static_cast<int>(x[n * kSteps + t] = bit(rng));
    lengths.push_back(len);
    counts.push_back(ones);
  }
  const auto f32 = [](const std::vector<double>& v, Shape s) { return nd::array(v, std::move(s), cpu(), DType::kFloat32); };
  return {f32(x, {kBatch, kSteps, 1}), f32(lengths, {kBatch}), f32(counts, {kBatch})};
}

struct Counter {
  rnn::LSTM lstm{32, {.num_layers = 2, .layout = "NTC"}};
  nn::Dense classify{kSteps + 1};
  Counter() {
    lstm.initialize(init::Xavier());
    classify.initialize(init::Xavier());
  }
  // The top layer's hidden state after each sequence's own last step, classified.
  NDArray operator()(const Batch& b) {
    const auto [outputs, states] = lstm(b.x, {}, b.lengths);
    return classify(nd::squeeze(nd::slice_axis(states[0], 0, 1, 2), {0}));  // states[0]: h of layers 0 and 1
  }
};

int run(int argc, char** argv) {
  const int epochs = examples::epochs_option(argc, argv, 8);
  if (epochs == 0) return 2;
  std::mt19937 rng(7);
  random::seed(7);
  Counter net;
  gluon::ParameterDict params = net.lstm.collect_params();
  for (const auto& [name, p] : net.classify.collect_params()) params.add("classify." + name, p);
  gluon::Trainer trainer(params, "adam", {{"learning_rate", 0.01}});
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double total = 0;
    constexpr int kBatches = 50;
    for (int i = 0; i < kBatches; ++i) {
      const Batch b = make_batch(rng);
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn(net(b), b.counts);
      }
      loss.backward();
      trainer.step(kBatch);
      total += loss.mean().asscalar<double>();
    }
    std::printf("epoch %d, loss %.4f\n", epoch, total / kBatches);
  }
  metric::Accuracy accuracy;
  for (int i = 0; i < 10; ++i) {
    const Batch b = make_batch(rng);
    accuracy.update(b.counts, net(b));
  }
  std::printf("test accuracy %.4f\n", accuracy.get().second);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::report_errors("count_ones", [&] { return run(argc, argv); }); }
