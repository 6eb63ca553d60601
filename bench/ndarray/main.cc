// The NDArray benchmark, mxpp beside its peers in one run:
//   scalar_add: `y = x + 1` on a one-element array, ns per operation (inference, allocation, engine push, run),
//               against libtorch;
//   add_10m:    `c = a + b` on 10M floats, GB/s moved, against memcpy of the same bytes (the machine's limit);
//   dot_1024:   1024^3 float32 dot, GFLOP/s, against cblas_sgemm on OpenBLAS's own threads, and mxpp with one
//               CPU worker (measured in a child process started with MX_CPU_WORKER_NTHREADS=1).
// Usage: mx_bench_ndarray [--quick] [--json FILE]. Timings are the best of several runs; add and dot take turns
// with their peers.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/blas_core.h"
#include "../common/interleaved.h"
#include "torch_peer.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

template <class Fn>
double best_of(int repeats, Fn&& fn) {
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const double start = now();
    fn();
    best = std::min(best, now() - start);
  }
  return best;
}

double mxpp_scalar_add_ns(int ops, int repeats) {
  mx::NDArray x = mx::nd::ones({1});
  x.wait_to_read();
  const double seconds = best_of(repeats, [&] {
    mx::NDArray y;
    for (int i = 0; i < ops; ++i) y = x + 1;
    mx::nd::waitall();
  });
  return seconds / ops * 1e9;
}

// `c = a + b` on n floats and a memcpy of as many bytes as it moves take turns (bench/common/interleaved.h): this
// VM's memory bandwidth drifts by more between minutes than the 20% at stake. Seconds of each, best of `rounds`.
std::pair<double, double> add_and_memcpy_seconds(long n, int rounds) {
  mx::NDArray a = mx::nd::ones({n}), b = mx::nd::ones({n});
  mx::NDArray c = a + b;
  mx::nd::waitall();
  std::vector<float> src(static_cast<std::size_t>(n), 1.0f), dst(src.size());
  const auto add = [&] {
    return best_of(3, [&] {
      c = a + b;
      c.wait_to_read();
    });
  };
  const auto copy = [&] {
    return best_of(3, [&] {
      std::memcpy(dst.data(), src.data(), src.size() * sizeof(float));
      asm volatile("" : : "r"(dst.data()) : "memory");
    });
  };
  const auto samples = bench::run_interleaved({add, copy}, rounds);
  return {bench::best_of(samples[0]), bench::best_of(samples[1])};
}

// mxpp's n x n dot, best of `repeats` after one untimed (the child process of one_worker_dot_seconds runs it too).
double mxpp_dot_seconds(int n, int repeats) {
  mx::NDArray a = mx::nd::random::uniform(-1, 1, {n, n}), b = mx::nd::random::uniform(-1, 1, {n, n});
  mx::NDArray c = mx::nd::dot(a, b);
  mx::nd::waitall();
  return best_of(repeats, [&] {
    c = mx::nd::dot(a, b);
    c.wait_to_read();
  });
}

// mxpp's dot and cblas_sgemm on OpenBLAS's own threads take turns, as add and memcpy do. Seconds of each, best
// of `rounds` passes of two products.
std::pair<double, double> dot_and_openblas_seconds(int n, int rounds) {
  std::vector<float> fa(static_cast<std::size_t>(n) * n, 0.5f), fb(fa), fc(fa);
  const auto mxpp = [&] { return mxpp_dot_seconds(n, 2); };
  const auto openblas = [&] {
    openblas_set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));  // OpenBLAS at its best
    const double seconds = best_of(2, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, fa.data(), n, fb.data(), n, 0.0f,
                  fc.data(), n);
    });
    openblas_set_num_threads(1);  // as mxpp runs it
    // OpenBLAS's threads spin for a while after a product: let them rest before mxpp's pass.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return seconds;
  };
  const auto samples = bench::run_interleaved({mxpp, openblas}, rounds);
  return {bench::best_of(samples[0]), bench::best_of(samples[1])};
}

// mxpp's dot with one CPU worker, from a child process (the engine's worker count is fixed per process).
double one_worker_dot_seconds(const char* self, int n, int repeats) {
  const std::string command = "MX_CPU_WORKER_NTHREADS=1 '" + std::string(self) + "' --dot-child " +
                              std::to_string(n) + " " + std::to_string(repeats);
  FILE* child = ::popen(command.c_str(), "r");
  double seconds = -1;
  if (child == nullptr || std::fscanf(child, "%lf", &seconds) != 1) seconds = -1;
  if (child != nullptr) ::pclose(child);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    if (bench::take_common_flag(argc, argv, i, flags)) {
      continue;
    } else if (std::strcmp(argv[i], "--dot-child") == 0 && i + 2 < argc) {
      std::printf("%.9f\n", mxpp_dot_seconds(std::atoi(argv[i + 1]), std::atoi(argv[i + 2])));
      return 0;
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  const bool quick = flags.quick;
  const int ops = quick ? 2000 : 200000, repeats = quick ? 2 : 5;
  const long n = quick ? 100000 : 10000000;
  const int dot_n = quick ? 128 : 1024;
  nlohmann::json out;
  bench::report_blas_core(out);

  const double mx_ns = mxpp_scalar_add_ns(ops, repeats);
  const auto torch_ns = bench::torch_scalar_add_ns(ops, repeats);
  std::printf("scalar_add  mxpp %.0f ns/op", mx_ns);
  out["scalar_add"]["mxpp_ns"] = mx_ns;
  if (torch_ns) {
    std::printf("   libtorch %.0f ns/op   mxpp speedup %.2fx", *torch_ns, *torch_ns / mx_ns);
    out["scalar_add"]["libtorch_ns"] = *torch_ns;
  }
  std::printf("\n");

  const double bytes = 3.0 * n * sizeof(float);  // a and b read, c written: what memcpy of 3n floats' worth moves
  const auto [add_seconds, copy_seconds] = add_and_memcpy_seconds(n, repeats);
  const double add_gbs = bytes / add_seconds / 1e9;
  const double copy_gbs = 2.0 * n * sizeof(float) / copy_seconds / 1e9;
  std::printf("add_10m     mxpp %.1f GB/s   memcpy %.1f GB/s   ratio %.2f", add_gbs, copy_gbs, add_gbs / copy_gbs);
  out["add_10m"] = {{"n", n}, {"mxpp_gbs", add_gbs}, {"memcpy_gbs", copy_gbs}, {"ratio", add_gbs / copy_gbs}};
  if (auto t = bench::torch_add_seconds(n, repeats)) {
    std::printf("   libtorch %.1f GB/s", bytes / *t / 1e9);
    out["add_10m"]["libtorch_gbs"] = bytes / *t / 1e9;
  }
  std::printf("\n");

  const double flops = 2.0 * dot_n * dot_n * dot_n;
  const auto [dot_seconds, blas_seconds] = dot_and_openblas_seconds(dot_n, repeats);
  const double mx_gflops = flops / dot_seconds / 1e9;
  const double blas_gflops = flops / blas_seconds / 1e9;
  const double one = one_worker_dot_seconds(argv[0], dot_n, repeats);
  const double one_gflops = one > 0 ? flops / one / 1e9 : 0;
  std::printf("dot_%d    mxpp %.1f GFLOP/s   OpenBLAS direct %.1f GFLOP/s   ratio %.2f   mxpp 1 worker %.1f GFLOP/s"
              "   scaling %.2fx\n",
              dot_n, mx_gflops, blas_gflops, mx_gflops / blas_gflops, one_gflops,
              one_gflops > 0 ? mx_gflops / one_gflops : 0);
  out["dot"] = {{"n", dot_n},
                {"mxpp_gflops", mx_gflops},
                {"openblas_gflops", blas_gflops},
                {"ratio", mx_gflops / blas_gflops},
                {"mxpp_one_worker_gflops", one_gflops}};

  return bench::write_report(flags, out);
}
