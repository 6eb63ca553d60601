// The operator benchmark: convolution forward+backward, mxpp against libtorch in one run.
//   lenet:    batch 128, 1x28x28 -> conv 20 5x5 -> relu -> max pool 2 -> conv 50 5x5 -> relu -> max pool 2
//   resblock: batch 32, 64x56x56 -> conv 3x3 -> relu -> conv 3x3 -> + input -> relu (a ResNet basic block
//             without batch norm)
// Seconds per step (mxpp and libtorch taking turns, best of 3 rounds), the ratio, and mxpp's GFLOP/s against this machine's sgemm peak (the
// cores times one core's cblas_sgemm rate at 1024^3). Usage: mx_bench_operators [--quick] [--json FILE].
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "../common/interleaved.h"
#include "torch_peer.h"

namespace {

using mx::NDArray;
namespace nd = mx::nd;

// A pass of `steps` of `state`'s steps, waiting for the engine at the end; seconds per step.
template <class State>
std::function<double()> steps_pass(std::shared_ptr<State> state, int steps) {
  return bench::steps_pass(std::move(state), steps, [] { nd::waitall(); });
}

std::function<double()> mxpp_lenet_pass(int steps) {
  struct State {
    NDArray x = nd::random::uniform(0, 1, {128, 1, 28, 28});
    std::vector<NDArray> p = {nd::random::uniform(-0.5, 0.5, {20, 1, 5, 5}), nd::zeros({20}),
                              nd::random::uniform(-0.05, 0.05, {50, 20, 5, 5}), nd::zeros({50})};
    State() {
      for (NDArray& a : p) a.attach_grad();
    }
    void step() {
      const nd::PoolOptions max_pool{};
      NDArray out;
      {
        mx::autograd::record r;
        const NDArray h = nd::Pooling(nd::relu(nd::Convolution(x, p[0], p[1], {{5, 5}}, 20)), {{2, 2}, {2, 2}}, max_pool);
        out = nd::Pooling(nd::relu(nd::Convolution(h, p[2], p[3], {{5, 5}}, 50)), {{2, 2}, {2, 2}}, max_pool).sum();
      }
      out.backward();
    }
  };
  return steps_pass(std::make_shared<State>(), steps);
}

std::function<double()> mxpp_resblock_pass(int steps) {
  struct State {
    NDArray x = nd::random::uniform(0, 1, {32, 64, 56, 56});
    NDArray w1 = nd::random::uniform(-0.05, 0.05, {64, 64, 3, 3}), w2 = nd::random::uniform(-0.05, 0.05, {64, 64, 3, 3});
    State() {
      for (NDArray* a : {&x, &w1, &w2}) a->attach_grad();
    }
    void step() {
      const nd::ConvShape same{{3, 3}, {1, 1}, {}, {1, 1}};
      NDArray out;
      {
        mx::autograd::record r;
        const NDArray h = nd::relu(nd::Convolution(x, w1, std::nullopt, same, 64));
        out = nd::relu(nd::Convolution(h, w2, std::nullopt, same, 64) + x).sum();
      }
      out.backward();
    }
  };
  return steps_pass(std::make_shared<State>(), steps);
}

// The cores times one core's sgemm rate: steadier than timing OpenBLAS's own threads beside the engine's.
double sgemm_peak_gflops() {
  const int n = 1024;
  std::vector<float> a(static_cast<std::size_t>(n) * n, 0.5f), b(a), c(a);
  openblas_set_num_threads(1);
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < 4; ++r) {
    const auto start = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return std::thread::hardware_concurrency() * 2.0 * n * n * n / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const bool quick = flags.quick;
  const int steps = quick ? 1 : 5, rounds = quick ? 1 : 3;
  const double peak = sgemm_peak_gflops();
  // Forward + backward = 3 products of the forward's size: 6 flops per multiply-add of the forward.
  const double lenet_flop = 3 * 2.0 * 128 * (20 * 25 * 24 * 24 + 50 * 20 * 25 * 8 * 8);
  const double resblock_flop = quick ? 0 : 3 * 2.0 * 2 * 32 * 64 * 64 * 9 * 56 * 56;
  nlohmann::json out{{"sgemm_peak_gflops", peak}};
  bench::report_blas_core(out);
  struct Workload {
    const char* name;
    double flop;
    std::function<std::function<double()>()> mxpp, torch;
  };
  std::vector<Workload> workloads = {
      {"lenet", lenet_flop, [&] { return mxpp_lenet_pass(steps); }, [&] { return bench::torch_lenet_pass(steps); }}};
  if (!quick) {
    workloads.push_back({"resblock", resblock_flop, [&] { return mxpp_resblock_pass(steps); },
                         [&] { return bench::torch_resblock_pass(steps); }});
  }
  for (const Workload& w : workloads) {
    std::vector<std::function<double()>> passes = {w.mxpp()};
    if (auto torch = w.torch()) passes.push_back(std::move(torch));
    const auto samples = bench::run_interleaved(passes, rounds);  // the two take turns; best of the rounds
    const double mx_s = bench::best_of(samples[0]);
    const double gflops = w.flop / mx_s / 1e9;
    std::printf("%-9s mxpp %.1f ms (%.0f GFLOP/s, %.0f%% of sgemm peak %.0f)", w.name, mx_s * 1e3, gflops,
                100 * gflops / peak, peak);
    out[w.name] = {{"mxpp_s", mx_s}, {"mxpp_gflops", gflops}};
    if (passes.size() > 1) {
      const double t = bench::best_of(samples[1]);
      std::printf("   libtorch %.1f ms   mxpp/libtorch %.2f", t * 1e3, mx_s / t);
      out[w.name]["libtorch_s"] = t;
      out[w.name]["ratio"] = mx_s / t;
    }
    std::printf("\n");
  }
  return bench::write_report(flags, out);
}
