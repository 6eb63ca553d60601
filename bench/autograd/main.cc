// The autograd benchmark: the seed tutorial's MLP (784-256-10, batch 128) trained for 469 steps (one epoch of
// Fashion-MNIST's size) on fixed random data: forward, summed softmax cross-entropy, backward, SGD written with
// NDArray operations. mxpp against libtorch on 1 and 2 threads, in one run; seconds per 469 steps. Also the
// floor under any implementation: the step's two 51-MFLOP products alone (the first layer's forward and weight
// gradient) in plain OpenBLAS on all cores, everything else left out.
// Usage: mx_bench_autograd [--quick] [--json FILE].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <cblas.h>
#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "torch_peer.h"

namespace {

using mx::NDArray;

double mxpp_mlp_seconds(const bench::MlpShape& s, int repeats) {
  namespace nd = mx::nd;
  mx::random::seed(0);
  const NDArray x = nd::random::uniform(-1, 1, {s.batch, s.in});
  const NDArray y = nd::floor(nd::random::uniform(0, s.out, {s.batch}));
  std::vector<NDArray> params = {nd::random::uniform(-0.05, 0.05, {s.hidden, s.in}), nd::zeros({s.hidden}),
                                 nd::random::uniform(-0.05, 0.05, {s.out, s.hidden}), nd::zeros({s.out})};
  for (NDArray& p : params) p.attach_grad();
  const double rate = s.learning_rate / s.batch;
  const auto step = [&] {
    NDArray loss;
    {
      mx::autograd::record r;
      const NDArray hidden = nd::relu(nd::FullyConnected(x, params[0], params[1], s.hidden));
      loss = nd::softmax_cross_entropy(nd::FullyConnected(hidden, params[2], params[3], s.out), y);
    }
    loss.backward();
    for (NDArray& p : params) p -= p.grad() * rate;
  };
  step();
  nd::waitall();
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < s.steps; ++i) step();
    nd::waitall();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// The first layer's forward product (batch x in times hidden x in, transposed) and weight gradient (hidden x
// batch times batch x in), `steps` times: the work no implementation of the step can skip.
double openblas_products_seconds(const bench::MlpShape& s, int repeats) {
  const int b = s.batch, in = s.in, h = s.hidden;
  std::vector<float> x(static_cast<std::size_t>(b) * in, 0.5f), w(static_cast<std::size_t>(h) * in, 0.01f),
      hidden(static_cast<std::size_t>(b) * h), d_hidden(hidden.size(), 0.1f), d_w(w.size());
  openblas_set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));  // OpenBLAS at its best
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < s.steps; ++i) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, h, in, 1.0f, x.data(), in, w.data(), in, 0.0f,
                  hidden.data(), h);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, in, b, 1.0f, d_hidden.data(), h, x.data(), in, 0.0f,
                  d_w.data(), in);
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  openblas_set_num_threads(1);  // as mxpp runs it
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  const bool quick = flags.quick;
  bench::MlpShape shape;
  if (quick) shape.steps = 5;
  const int repeats = quick ? 1 : 5;
  nlohmann::json out{{"steps", shape.steps}, {"batch", shape.batch}};
  bench::report_blas_core(out);

  const double mx_seconds = mxpp_mlp_seconds(shape, repeats);
  std::printf("mlp_step x%d   mxpp %.3f s", shape.steps, mx_seconds);
  out["mxpp_s"] = mx_seconds;
  double torch_best = std::numeric_limits<double>::max();
  for (int threads : {1, 2}) {
    if (auto t = bench::torch_mlp_seconds(shape, threads, repeats)) {
      std::printf("   libtorch %d thread%s %.3f s", threads, threads > 1 ? "s" : "", *t);
      out["libtorch_s"][std::to_string(threads) + "_threads"] = *t;
      torch_best = std::min(torch_best, *t);
    }
  }
  if (torch_best < std::numeric_limits<double>::max()) {
    std::printf("   mxpp/libtorch-best %.2f", mx_seconds / torch_best);
    out["ratio_to_libtorch_best"] = mx_seconds / torch_best;
  }
  // Last: OpenBLAS's own threads may spin for a while after it returns.
  const double floor_seconds = openblas_products_seconds(shape, repeats);
  std::printf("\n  floor: the two large products alone in OpenBLAS %.3f s", floor_seconds);
  out["openblas_products_s"] = floor_seconds;
  if (torch_best < std::numeric_limits<double>::max()) {
    std::printf(" (%.2f of libtorch-best; mxpp spends %.3f s beyond it)", floor_seconds / torch_best,
                mx_seconds - floor_seconds);
    out["floor_ratio_to_libtorch_best"] = floor_seconds / torch_best;
  }
  std::printf("\n");

  return bench::write_report(flags, out);
}
