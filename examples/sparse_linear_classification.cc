// Logistic regression over sparse features, as MXNet's example/sparse/linear_classification: CSR batches from a
// LibSVM file (io::LibSVMIter), logits = dot(X, w) + b, the weight's gradient row sparse so that a step touches
// only the features of its batch (the optimizer's lazy update). Without --data it writes a generated problem
// first: 2,000 features (--features), 20 of them set in each sample, labels from a hidden linear rule with 5% noise.
//   sparse_linear_classification [--data TRAIN.libsvm --test TEST.libsvm --features N] [--epochs N]
//                                [--batch-size N] [--optimizer sgd|adam] [--lr X] [--dense]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <mx/mx.h>

#include "cli.h"

namespace {

using namespace mx;

struct Options {
  std::string train, test;
  std::int64_t features = 2000, batch_size = 256;
  int epochs = 3;
  std::string optimizer = "adam";
  double lr = 0.05;
  bool dense = false;
};

// A separable-up-to-noise problem written as two LibSVM files (zero-based, MXNet's convention).
void write_problem(const std::string& train, const std::string& test, std::int64_t features) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::vector<double> hidden(static_cast<std::size_t>(features));
  for (double& w : hidden) w = normal(rng);
  std::uniform_int_distribution<std::int64_t> feature(0, features - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  for (const auto& [path, samples] : {std::pair{train, 20000}, std::pair{test, 4000}}) {
    std::ofstream out(path);
    for (int n = 0; n < samples; ++n) {
      std::vector<std::int64_t> set;
      while (set.size() < 20) {
        const std::int64_t f = feature(rng);
        if (std::find(set.begin(), set.end(), f) == set.end()) set.push_back(f);
      }
      std::sort(set.begin(), set.end());
      double score = 0;
      for (const std::int64_t f : set) score += hidden[static_cast<std::size_t>(f)];
      const bool positive = (score > 0) != (unit(rng) < 0.05);
      out << (positive ? 1 : 0);
      for (const std::int64_t f : set) out << ' ' << f << ":1";
      out << '\n';
    }
  }
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    if (option == "--dense") {
      o.dense = true;
      continue;
    }
    if (i + 1 == argc) throw std::invalid_argument(option + ": expected a value");
    const std::string value = argv[++i];
    if (option == "--data") o.train = value;
    else if (option == "--test") o.test = value;
    else if (option == "--features") o.features = examples::whole_number(option, value);
    else if (option == "--epochs") o.epochs = static_cast<int>(examples::whole_number(option, value));
    else if (option == "--batch-size") o.batch_size = examples::whole_number(option, value);
    else if (option == "--optimizer") o.optimizer = value;
    else if (option == "--lr") o.lr = examples::real_number(option, value);
    else throw std::invalid_argument("unknown option " + option);
  }
  if (o.train.empty() != o.test.empty()) throw std::invalid_argument("--data and --test go together");
  return o;
}

int run(const Options& given) {
  Options o = given;
  if (o.train.empty()) {
    const auto dir = std::filesystem::temp_directory_path();
    o.train = (dir / "mxpp_sparse_train.libsvm").string();
    o.test = (dir / "mxpp_sparse_test.libsvm").string();
    write_problem(o.train, o.test, o.features);
  }
  gluon::Parameter weight("weight", {o.features, 1},
                          {.grad_stype = o.dense ? StorageType::kDefault : StorageType::kRowSparse});
  gluon::Parameter bias("bias", {1});
  gluon::ParameterDict params;
  params.add("weight", weight);
  params.add("bias", bias);
  params.initialize(init::Zero());
  gluon::Trainer trainer(params, o.optimizer, {{"learning_rate", o.lr}});
  gluon::loss::SigmoidBinaryCrossEntropyLoss loss_fn;
  const auto logits = [&](const CSRNDArray& x) { return nd::sparse::dot(x, weight.data()) + bias.data(); };

  io::LibSVMIter train({.data_libsvm = o.train, .data_shape = o.features, .batch_size = o.batch_size});
  io::LibSVMIter test({.data_libsvm = o.test, .data_shape = o.features, .batch_size = o.batch_size,
                       .round_batch = false});
  std::printf("%lld training samples, %lld test samples, %lld features, %s gradient\n",
              static_cast<long long>(train.num_samples()), static_cast<long long>(test.num_samples()),
              static_cast<long long>(o.features), o.dense ? "dense" : "row-sparse");
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    double total = 0;
    std::int64_t batches = 0;
    train.reset();
    while (train.next()) {
      const NDArray y = train.label().reshape({-1, 1});
      NDArray loss;
      {
        autograd::record r;
        loss = loss_fn(logits(train.data()), y);
      }
      loss.backward();
      trainer.step(static_cast<double>(o.batch_size));
      total += loss.mean().asscalar<float>();
      ++batches;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::int64_t right = 0;
    test.reset();
    while (test.next()) {
      const std::vector<float> z = logits(test.data()).asnumpy<float>(), y = test.label().asnumpy<float>();
      for (std::size_t i = 0; i < z.size(); ++i) right += (z[i] > 0) == (y[i] > 0.5f);
    }
    std::printf("epoch %d, log loss %.4f, test accuracy %.4f, %.2f s\n", epoch, total / static_cast<double>(batches),
                static_cast<double>(right) / static_cast<double>(test.num_samples()), seconds);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return examples::report_errors("sparse_linear_classification", [&] { return run(parse(argc, argv)); });
}
