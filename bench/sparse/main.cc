// Two models whose big table a batch touches in few rows, trained with the table's gradient row sparse (lazy update
// of the batch's rows) and dense, against libtorch with sparse and dense gradients, in one run: milliseconds per
// training step, the methods taking turns, best (and median) of the rounds.
// - A wide linear classifier over sparse features (click-through data, bag of words): logits = X . W + b for a
//   CSR batch X of 512 samples with 32 of 1M features each, cross entropy over 8 classes, SGD; libtorch's
//   EmbeddingBag (sum with per-sample weights) computes the same product.
// - An embedding of 1M tokens x 32, averaged over sequences of 20 tokens (batch 256), a Dense layer to 8 classes;
//   libtorch's nn::Embedding and nn::Linear.
// Usage: mx_bench_sparse [--quick] [--json FILE].
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

bench::TokenBatch make_tokens(std::int64_t vocab, std::int64_t dim, std::int64_t classes, std::int64_t batch,
                              std::int64_t length) {
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<std::int64_t> token(0, vocab - 1), label(0, classes - 1);
  bench::TokenBatch b{vocab, dim, classes, batch, length, {}, {}};
  for (std::int64_t i = 0; i < batch * length; ++i) b.tokens.push_back(token(rng));
  for (std::int64_t i = 0; i < batch; ++i) b.labels.push_back(label(rng));
  return b;
}

struct EmbeddingModel {
  gluon::nn::Sequential net;
  std::unique_ptr<gluon::Trainer> trainer;
  NDArray x, y;
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  EmbeddingModel(const bench::TokenBatch& b, bool sparse_grad) {
    net.add(gluon::nn::Embedding(b.vocab, b.dim, {}, DType::kFloat32, sparse_grad),
            gluon::nn::Lambda([](const NDArray& e) { return e.mean({1}); }), gluon::nn::Dense(b.classes));
    net.initialize(init::Uniform(0.01));
    x = nd::array(std::vector<double>(b.tokens.begin(), b.tokens.end()), Shape{b.batch, b.length});
    y = nd::array(std::vector<double>(b.labels.begin(), b.labels.end()));
    net(x);
    trainer = std::make_unique<gluon::Trainer>(net.collect_params(), "sgd",
                                               std::map<std::string, double>{{"learning_rate", 0.1}});
  }
  void step() {
    NDArray loss;
    {
      autograd::record r;
      loss = loss_fn(net(x), y);
    }
    loss.backward();
    trainer->step(static_cast<double>(x.shape()[0]));
  }
};

std::function<double()> mxpp_embedding_pass(const bench::TokenBatch& b, bool sparse_grad, int iterations) {
  auto model = std::make_shared<EmbeddingModel>(b, sparse_grad);
  return bench::steps_pass(model, iterations, [] { nd::waitall(); });
}

// Runs mxpp's two passes and libtorch's (sparse, then dense, each on 1 and 2 threads), prints the table and
// returns its figures.
nlohmann::json compare(const std::string& title, std::vector<std::function<double()>> passes,
                       const std::function<std::function<double()>(bool sparse, int threads)>& torch_pass, int rounds) {
  std::vector<std::string> names{"mxpp row-sparse grad", "mxpp dense grad"};
  for (const bool sparse : {true, false}) {
    const auto torch = bench::passes_on_1_and_2_threads([&](int threads) { return torch_pass(sparse, threads); });
    for (const auto& t : torch) {
      passes.push_back(t.pass);
      names.push_back(std::string("libtorch ") + (sparse ? "sparse" : "dense") + " grad, " + std::to_string(t.threads) +
                      " thread" + (t.threads > 1 ? "s" : ""));
    }
  }
  const auto samples = bench::run_interleaved(passes, rounds);
  std::printf("%s (ms per training step, best / median)\n", title.c_str());
  nlohmann::json row;
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
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const int rounds = flags.quick ? 1 : 5, iterations = flags.quick ? 2 : 20;
  const std::int64_t rows = flags.quick ? 1 << 14 : 1 << 20;
  nlohmann::json report;

  const bench::SparseBatch b = make_batch(rows, 8, 512, 32);
  report["sparse_linear"] = compare(
      "Sparse linear classifier: " + std::to_string(b.features) + " features x 8 classes, batch 512 of 32 features",
      {mxpp_pass(b, true, iterations), mxpp_pass(b, false, iterations)},
      [&](bool sparse, int threads) { return bench::torch_sparse_linear_pass(b, sparse, iterations, threads); }, rounds);

  const bench::TokenBatch t = make_tokens(rows, 32, 8, 256, 20);
  report["embedding"] = compare(
      "Embedding: " + std::to_string(t.vocab) + " tokens x 32, mean of 20 tokens, Dense to 8 classes, batch 256",
      {mxpp_embedding_pass(t, true, iterations), mxpp_embedding_pass(t, false, iterations)},
      [&](bool sparse, int threads) { return bench::torch_embedding_pass(t, sparse, iterations, threads); }, rounds);

  bench::report_blas_core(report);
  return bench::write_report(flags, report);
}
