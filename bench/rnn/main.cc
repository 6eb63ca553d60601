// A stacked LSTM's training step (forward, squared-error loss, backward, SGD) in mxpp, imperative and
// hybridized, against libtorch's nn::LSTM on 1 and 2 threads, in one run: milliseconds per step, the methods
// taking turns, best (and median) of the rounds. Two sizes: 2 layers of 256 units over 35 steps of 32 sequences
// (a PTB language model's, where the products weigh most) and of 64 units (where each step's small operations do).
// Usage: mx_bench_rnn [--quick] [--json FILE].
#include <cstdio>
#include <memory>
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

struct Model {
  gluon::rnn::LSTM lstm;
  std::unique_ptr<gluon::Trainer> trainer;
  NDArray x, target;
  Model(const bench::LstmShape& s, bool hybridize)
      : lstm(s.hidden, {.num_layers = static_cast<int>(s.layers), .input_size = s.features}) {
    lstm.initialize(init::Uniform(0.1));
    if (hybridize) lstm.hybridize();
    trainer = std::make_unique<gluon::Trainer>(lstm.collect_params(), "sgd", std::map<std::string, double>{{"learning_rate", 0.01}});
    x = nd::random::uniform(-1, 1, {s.steps, s.batch, s.features});
    target = nd::random::uniform(-1, 1, {s.steps, s.batch, s.hidden});
  }
  void step() {
    NDArray loss;
    {
      autograd::record r;
      const NDArray diff = lstm(x) - target;
      loss = (diff * diff).mean();
    }
    loss.backward();
    trainer->step(1);
  }
};

std::function<double()> mxpp_pass(const bench::LstmShape& s, bool hybridize, int iterations) {
  auto model = std::make_shared<Model>(s, hybridize);
  return bench::steps_pass(model, iterations, [] { nd::waitall(); });
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const int rounds = flags.quick ? 1 : 5, iterations = flags.quick ? 2 : 20;
  nlohmann::json out = nlohmann::json::array();
  for (const bench::LstmShape s : {bench::LstmShape{35, 32, 256, 256, 2}, bench::LstmShape{35, 32, 64, 64, 2}}) {
    std::vector<std::function<double()>> passes{mxpp_pass(s, false, iterations), mxpp_pass(s, true, iterations)};
    const auto torch = bench::passes_on_1_and_2_threads([&](int threads) { return bench::torch_lstm_pass(s, iterations, threads); });
    for (const auto& t : torch) passes.push_back(t.pass);
    const auto samples = bench::run_interleaved(passes, rounds);
    std::printf("LSTM training step: %lld layers of %lld, %lld steps x %lld sequences of %lld (ms per step, best / median)\n",
                static_cast<long long>(s.layers), static_cast<long long>(s.hidden), static_cast<long long>(s.steps),
                static_cast<long long>(s.batch), static_cast<long long>(s.features));
    nlohmann::json row{{"hidden", s.hidden}, {"layers", s.layers}, {"steps", s.steps}, {"batch", s.batch}};
    const char* names[] = {"mxpp imperative", "mxpp hybridized"};
    for (std::size_t k = 0; k < passes.size(); ++k) {
      const std::string name = k < 2 ? names[k] : "libtorch, " + std::to_string(torch[k - 2].threads) + " thread" + (torch[k - 2].threads > 1 ? "s" : "");
      std::printf("  %-20s %8.2f  %8.2f\n", name.c_str(), 1e3 * bench::best_of(samples[k]), 1e3 * bench::median_of(samples[k]));
      row[name] = bench::best_of(samples[k]);
    }
    if (!torch.empty()) {
      double torch_best = bench::best_of(samples[2]);
      for (std::size_t k = 3; k < passes.size(); ++k) torch_best = std::min(torch_best, bench::best_of(samples[k]));
      const double ours = std::min(bench::best_of(samples[0]), bench::best_of(samples[1]));
      std::printf("  mxpp-best / libtorch-best %.2f\n", ours / torch_best);
      row["ratio"] = ours / torch_best;
    }
    out.push_back(row);
  }
  nlohmann::json report{{"lstm", out}};
  bench::report_blas_core(report);
  return bench::write_report(flags, report);
}
