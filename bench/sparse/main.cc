// A wide linear classifier over sparse features (click-through data, bag of words): logits = X . W + b for a
// CSR batch X of 512 samples with 32 of 1M features each, cross entropy over 8 classes, SGD. mxpp with the
// table's gradient row sparse (lazy update of the batch's rows) and dense, against libtorch's EmbeddingBag with
// sparse and dense gradients, in one run: milliseconds per training step, the methods taking turns, best (and
// median) of the rounds. Usage: mx_bench_sparse [--quick] [--json FILE].
#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "../common/interleaved.h"
#include "torch_peer.h"

namespace {

using namespace mx;

bench::SparseBatch make_batch(std::int64_t features, std::int64_t classes, std::int64_t batch, int per_sample) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> feature(0, features - 1), label(0, classes - 1);
  std::uniform_real_distribution<double> value(0, 1);
  bench::SparseBatch b{features, classes, batch, {}, {}, {0}, {}};
  for (std::int64_t i = 0; i < batch; ++i) {
    std::vector<std::int64_t> row;
    while (static_cast<int>(row.size()) < per_sample) {
      const std::int64_t f = feature(rng);
      if (std::find(row.begin(), row.end(), f) == row.end()) row.push_back(f);
    }
    std::sort(row.begin(), row.end());
    for (const std::int64_t f : row) {
      b.indices.push_back(f);
      b.values.push_back(value(rng));
    }
    b.indptr.push_back(static_cast<std::int64_t>(b.indices.size()));
    b.labels.push_back(static_cast<double>(label(rng)));
  }
  return b;
}

struct Model {
  gluon::Parameter weight, bias;
  std::unique_ptr<gluon::Trainer> trainer;
  CSRNDArray x;
  NDArray y;
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  Model(const bench::SparseBatch& b, bool sparse_grad)
      : weight("weight", {b.features, b.classes},
               {.grad_stype = sparse_grad ? StorageType::kRowSparse : StorageType::kDefault}),
        bias("bias", {b.classes}) {
    gluon::ParameterDict params;
    params.add("weight", weight);
    params.add("bias", bias);
    params.initialize(init::Uniform(0.01));
    trainer = std::make_unique<gluon::Trainer>(params, "sgd", std::map<std::string, double>{{"learning_rate", 0.1}});
    x = nd::sparse::csr_matrix(b.values, b.indices, b.indptr, Shape{b.batch, b.features});
    y = nd::array(b.labels);
  }
  void step() {
    NDArray loss;
    {
      autograd::record r;
      loss = loss_fn(nd::sparse::dot(x, weight.data()) + bias.data(), y);
    }
    loss.backward();
    trainer->step(static_cast<double>(x.shape()[0]));
  }
};

std::function<double()> mxpp_pass(const bench::SparseBatch& b, bool sparse_grad, int iterations) {
  auto model = std::make_shared<Model>(b, sparse_grad);
  return bench::steps_pass(model, iterations, [] { nd::waitall(); });
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const int rounds = flags.quick ? 1 : 5, iterations = flags.quick ? 2 : 20;
  const std::int64_t features = flags.quick ? 1 << 14 : 1 << 20;
  const bench::SparseBatch b = make_batch(features, 8, 512, 32);
  std::vector<std::function<double()>> passes{mxpp_pass(b, true, iterations), mxpp_pass(b, false, iterations)};
  std::vector<std::string> names{"mxpp row-sparse grad", "mxpp dense grad"};
  for (const bool sparse : {true, false}) {
    const auto torch = bench::passes_on_1_and_2_threads(
        [&](int threads) { return bench::torch_sparse_linear_pass(b, sparse, iterations, threads); });
    for (const auto& t : torch) {
      passes.push_back(t.pass);
      names.push_back(std::string("libtorch ") + (sparse ? "sparse" : "dense") + " grad, " + std::to_string(t.threads) +
                      " thread" + (t.threads > 1 ? "s" : ""));
    }
  }
  const auto samples = bench::run_interleaved(passes, rounds);
  std::printf("Sparse linear classifier: %lld features x %lld classes, batch %lld of %d features each "
              "(ms per training step, best / median)\n",
              static_cast<long long>(b.features), static_cast<long long>(b.classes), static_cast<long long>(b.batch), 32);
  nlohmann::json row{{"features", b.features}, {"classes", b.classes}, {"batch", b.batch}};
  for (std::size_t k = 0; k < passes.size(); ++k) {
    std::printf("  %-32s %8.3f  %8.3f\n", names[k].c_str(), 1e3 * bench::best_of(samples[k]),
                1e3 * bench::median_of(samples[k]));
    row[names[k]] = bench::best_of(samples[k]);
  }
  if (passes.size() > 2) {
    double torch_sparse = bench::best_of(samples[2]);
    for (std::size_t k = 3; k < passes.size(); ++k) {
      if (names[k].find("sparse") != std::string::npos) torch_sparse = std::min(torch_sparse, bench::best_of(samples[k]));
    }
    const double ratio = bench::best_of(samples[0]) / torch_sparse;
    std::printf("  mxpp row-sparse / libtorch sparse-best %.2f\n", ratio);
    row["ratio"] = ratio;
  }
  std::printf("  mxpp row-sparse / mxpp dense %.3f\n", bench::best_of(samples[0]) / bench::best_of(samples[1]));
  nlohmann::json report{{"sparse_linear", row}};
  bench::report_blas_core(report);
  return bench::write_report(flags, report);
}
