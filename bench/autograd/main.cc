// The autograd benchmark: the seed tutorial's MLP (784-256-10, batch 128) trained for 469 steps (one epoch of
// Fashion-MNIST's size) on fixed random data: forward, summed softmax cross-entropy, backward, SGD written with
// NDArray operations. mxpp against libtorch on 1 and 2 threads, in one run; seconds per 469 steps. Also the
// floor under any implementation: the step's two 51-MFLOP products alone (the first layer's forward and weight
// gradient) in plain OpenBLAS on all cores, everything else left out. The methods take turns, best of 7 rounds.
// Usage: mx_bench_autograd [--quick] [--json FILE].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <cblas.h>
#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "../common/interleaved.h"
#include "torch_peer.h"

namespace {

using mx::NDArray;

// mxpp's pass: `s.steps` training steps, set up (and warmed by one step) once.
std::function<double()> mxpp_mlp_pass(const bench::MlpShape& s) {
  namespace nd = mx::nd;
  mx::random::seed(0);
  struct State {
    NDArray x, y;
    std::vector<NDArray> params;
  };
  auto st = std::make_shared<State>();
  st->x = nd::random::uniform(-1, 1, {s.batch, s.in});
  st->y = nd::floor(nd::random::uniform(0, s.out, {s.batch}));
  st->params = {nd::random::uniform(-0.05, 0.05, {s.hidden, s.in}), nd::zeros({s.hidden}),
                nd::random::uniform(-0.05, 0.05, {s.out, s.hidden}), nd::zeros({s.out})};
  for (NDArray& p : st->params) p.attach_grad();
  const double rate = s.learning_rate / s.batch;
  const auto step = [st, s, rate] {
    NDArray loss;
    {
      mx::autograd::record r;
      const NDArray hidden = nd::relu(nd::FullyConnected(st->x, st->params[0], st->params[1], s.hidden));
      loss = nd::softmax_cross_entropy(nd::FullyConnected(hidden, st->params[2], st->params[3], s.out), st->y);
    }
    loss.backward();
    for (NDArray& p : st->params) p -= p.grad() * rate;
  };
  step();
  nd::waitall();
  return [step, s] {
    return bench::seconds_of([&] {
      for (int i = 0; i < s.steps; ++i) step();
      nd::waitall();
    });
  };
}

// The first layer's forward product (batch x in times hidden x in, transposed) and weight gradient (hidden x
// batch times batch x in), `steps` times, in OpenBLAS on all cores: the work no implementation of the step can skip.
std::function<double()> openblas_products_pass(const bench::MlpShape& s) {
  const int b = s.batch, in = s.in, h = s.hidden;
  struct Buffers {
    std::vector<float> x, w, hidden, d_hidden, d_w;
  };
  auto buf = std::make_shared<Buffers>();
  buf->x.assign(static_cast<std::size_t>(b) * in, 0.5f);
  buf->w.assign(static_cast<std::size_t>(h) * in, 0.01f);
  buf->hidden.resize(static_cast<std::size_t>(b) * h);
  buf->d_hidden.assign(buf->hidden.size(), 0.1f);
  buf->d_w.resize(buf->w.size());
  return [buf, s, b, in, h] {
    openblas_set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));  // OpenBLAS at its best
    const double seconds = bench::seconds_of([&] {
      for (int i = 0; i < s.steps; ++i) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, h, in, 1.0f, buf->x.data(), in, buf->w.data(), in,
                    0.0f, buf->hidden.data(), h);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, in, b, 1.0f, buf->d_hidden.data(), h, buf->x.data(),
                    in, 0.0f, buf->d_w.data(), in);
      }
    });
    openblas_set_num_threads(1);  // as mxpp runs it
    // OpenBLAS's own threads spin for a while after a product; let them rest before the next method's pass.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return seconds;
  };
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const bool quick = flags.quick;
  bench::MlpShape shape;
  if (quick) shape.steps = 5;
  const int rounds = quick ? 1 : 7;
  nlohmann::json out{{"steps", shape.steps}, {"batch", shape.batch}};
  bench::report_blas_core(out);

  // mxpp, libtorch on 1 and 2 threads, and the floor take turns (bench/common/interleaved.h); best of the rounds.
  std::vector<std::function<double()>> passes = {mxpp_mlp_pass(shape), openblas_products_pass(shape)};
  const auto torch = bench::passes_on_1_and_2_threads([&](int threads) { return bench::torch_mlp_pass(shape, threads); });
  for (const auto& t : torch) passes.push_back(t.pass);
  const auto samples = bench::run_interleaved(passes, rounds);
  const double mx_seconds = bench::best_of(samples[0]), floor_seconds = bench::best_of(samples[1]);
  std::printf("mlp_step x%d   mxpp %.3f s", shape.steps, mx_seconds);
  out["mxpp_s"] = mx_seconds;
  double torch_best = std::numeric_limits<double>::max(), torch_best_median = torch_best;
  for (std::size_t k = 0; k < torch.size(); ++k) {
    const int threads = torch[k].threads;
    const double t = bench::best_of(samples[2 + k]);
    std::printf("   libtorch %d thread%s %.3f s", threads, threads > 1 ? "s" : "", t);
    out["libtorch_s"][std::to_string(threads) + "_threads"] = t;
    torch_best = std::min(torch_best, t);
    torch_best_median = std::min(torch_best_median, bench::median_of(samples[2 + k]));
  }
  if (!torch.empty()) {
    const double median_ratio = bench::median_of(samples[0]) / torch_best_median;
    std::printf("   mxpp/libtorch-best %.2f (medians %.2f)", mx_seconds / torch_best, median_ratio);
    out["ratio_to_libtorch_best"] = mx_seconds / torch_best;
    out["median_ratio_to_libtorch_best"] = median_ratio;
  }
  std::printf("\n  floor: the two large products alone in OpenBLAS %.3f s", floor_seconds);
  out["openblas_products_s"] = floor_seconds;
  if (!torch.empty()) {
    std::printf(" (%.2f of libtorch-best; mxpp spends %.3f s beyond it)", floor_seconds / torch_best,
                mx_seconds - floor_seconds);
    out["floor_ratio_to_libtorch_best"] = floor_seconds / torch_best;
  }
  std::printf("\n");

  return bench::write_report(flags, out);
}
