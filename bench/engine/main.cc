// The engine benchmark: mxpp (threaded, threaded with the profiler on, naive), libtorch's eager dispatch and StarPU side by side, in one
// run, on four workloads, with two plain std::threads as the machine's ceiling for the overlap of (d).
// Usage: mx_bench_engine [--quick] [--only NAME] [--json FILE]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include <mx/engine/trace.h>

#include "../common/bench_cli.h"
#include "../common/interleaved.h"
#include "peer.h"

namespace mx::bench {
namespace {

constexpr double kNotRun = NAN;

struct Result {
  std::string peer;
  double independent_ns = kNotRun, chain_ns = kNotRun, fan_ns = kNotRun;
  StreamTimes gemm, integer;
};

// Each time is the best of w.repeats runs; for streams, each of the three times separately.
StreamTimes best_streams(const Workloads& w, const std::function<StreamTimes()>& run) {
  StreamTimes best{1e300, 1e300, 1e300};
  for (int i = 0; i < w.repeats; ++i) {
    const StreamTimes t = run();
    best = {std::min(best.a, t.a), std::min(best.b, t.b), std::min(best.both, t.both)};
  }
  return best;
}

Result measure(Peer& peer, const Workloads& w) {
  Result r{peer.name()};
  std::fprintf(stderr, "running %s...\n", r.peer.c_str());
  auto best = [&](auto run) {
    double t = 1e300;
    for (int i = 0; i < w.repeats; ++i) t = std::min(t, run());
    return t;
  };
  r.independent_ns = best([&] { return peer.independent(w); }) / w.tiny_ops * 1e9;
  r.chain_ns = best([&] { return peer.chain(w); }) / w.chain_ops * 1e9;
  r.fan_ns = best([&] { return peer.fan(w); }) / w.fan_ops() * 1e9;
  Gemm gemm_a(w.gemm_size), gemm_b(w.gemm_size);
  r.gemm = best_streams(w, [&] { return peer.streams(gemm_a, gemm_b, w.gemm_per_stream); });
  IntegerWork int_a(w.integer_iterations), int_b(w.integer_iterations);
  r.integer = best_streams(w, [&] { return peer.streams(int_a, int_b, w.gemm_per_stream); });
  return r;
}

Result measure_ceiling(const Workloads& w) {
  Result r{"2 std::threads"};
  std::fprintf(stderr, "running %s...\n", r.peer.c_str());
  Gemm gemm_a(w.gemm_size), gemm_b(w.gemm_size);
  r.gemm = best_streams(w, [&] { return threads_ceiling(gemm_a, gemm_b, w.gemm_per_stream); });
  IntegerWork int_a(w.integer_iterations), int_b(w.integer_iterations);
  r.integer = best_streams(w, [&] { return threads_ceiling(int_a, int_b, w.gemm_per_stream); });
  return r;
}

// The profiler's cost on (a), (b) and (c): profiled / threaded time, best against best and median against median.
struct ProfilerOverhead {
  double best[3] = {}, median[3] = {};
};

// The threaded and profiled runs take turns (bench/common/interleaved.h): measured one peer after the other, as
// in the table, they meet different minutes of a machine that drifts by more than the 10% at stake.
ProfilerOverhead measure_profiler_overhead(const Workloads& w) {
  std::fprintf(stderr, "running the profiler's overhead, threaded and profiled taking turns...\n");
  const std::unique_ptr<Peer> plain = make_mxpp_peer(true), profiled = make_mxpp_profiled_peer();
  const std::function<double(Peer&)> workloads[] = {[&](Peer& p) { return p.independent(w); },
                                                    [&](Peer& p) { return p.chain(w); },
                                                    [&](Peer& p) { return p.fan(w); }};
  ProfilerOverhead overhead;
  for (int k = 0; k < 3; ++k) {
    const auto samples = ::bench::run_interleaved(
        {[&] {
           engine::trace::disable();  // the profiled peer enables it for each of its runs
           return workloads[k](*plain);
         },
         [&] { return workloads[k](*profiled); }},
        2 * w.repeats);
    overhead.best[k] = ::bench::best_of(samples[1]) / ::bench::best_of(samples[0]);
    overhead.median[k] = ::bench::median_of(samples[1]) / ::bench::median_of(samples[0]);
  }
  engine::trace::disable();
  return overhead;
}

void print_table(const std::vector<Result>& results, const Workloads& w) {
  auto row = [&](const std::string& label, auto value, const char* format) {
    std::printf("%-48s", label.c_str());
    for (const Result& r : results) {
      const double v = value(r);
      if (std::isnan(v)) {
        std::printf("%16s", "-");
      } else {
        std::printf(format, v);
      }
    }
    std::printf("\n");
  };
  std::printf("\n%-48s", "workload");
  for (const Result& r : results) std::printf("%16s", r.peer.c_str());
  std::printf("\n");
  row("(a) " + std::to_string(w.tiny_ops) + " independent ops, ns/op", [](const Result& r) { return r.independent_ns; },
      "%16.0f");
  row("(b) chain of " + std::to_string(w.chain_ops) + " ops, ns/op", [](const Result& r) { return r.chain_ns; },
      "%16.0f");
  row("(c) fan-out/fan-in x" + std::to_string(w.fan_width) + ", ns/op", [](const Result& r) { return r.fan_ns; },
      "%16.0f");
  auto stream_rows = [&](const std::string& d, StreamTimes Result::*member) {
    row(d + ": a alone, ms", [&](const Result& r) { return (r.*member).a * 1e3; }, "%16.1f");
    row(d + ": b alone, ms", [&](const Result& r) { return (r.*member).b * 1e3; }, "%16.1f");
    row(d + ": both, ms", [&](const Result& r) { return (r.*member).both * 1e3; }, "%16.1f");
    row(d + ": overlap (Ta+Tb)/(2 Tboth)", [&](const Result& r) { return (r.*member).overlap_efficiency(); },
        "%16.2f");
  };
  const std::string per_stream = std::to_string(w.gemm_per_stream);
  stream_rows("(d) 2 x " + per_stream + " sgemm " + std::to_string(w.gemm_size), &Result::gemm);
  stream_rows("(d') 2 x " + per_stream + " integer ops", &Result::integer);

  const Result& ours = results.front();
  std::printf("\nRatios, peer time / %s time (higher: mxpp faster)\n", ours.peer.c_str());
  for (const Result& r : results) {
    if (&r == &ours || std::isnan(r.independent_ns)) continue;
    std::printf("  %-16s (a) %6.1fx   (b) %6.1fx   (c) %6.1fx\n", r.peer.c_str(), r.independent_ns / ours.independent_ns,
                r.chain_ns / ours.chain_ns, r.fan_ns / ours.fan_ns);
  }
  const Result& ceiling = results.back();
  std::printf("Overlap of %s as a share of the machine's ceiling (2 std::threads): sgemm %.2f, integer %.2f\n",
              ours.peer.c_str(), ours.gemm.overlap_efficiency() / ceiling.gemm.overlap_efficiency(),
              ours.integer.overlap_efficiency() / ceiling.integer.overlap_efficiency());
}

nlohmann::json streams_json(const StreamTimes& t) {
  return {{"a_s", t.a}, {"b_s", t.b}, {"both_s", t.both}, {"overlap_efficiency", t.overlap_efficiency()}};
}

nlohmann::json to_json(const std::vector<Result>& results, const Workloads& w) {
  nlohmann::json out;
  out["hardware_threads"] = std::thread::hardware_concurrency();
  out["workloads"] = {{"tiny_ops", w.tiny_ops},
                      {"tiny_vars", w.tiny_vars},
                      {"chain_ops", w.chain_ops},
                      {"fan_width", w.fan_width},
                      {"fan_rounds", w.fan_rounds},
                      {"ops_per_stream", w.gemm_per_stream},
                      {"gemm_size", w.gemm_size},
                      {"integer_iterations", w.integer_iterations},
                      {"repeats", w.repeats}};
  const Result& ours = results.front();
  for (const Result& r : results) {
    nlohmann::json& entry = out["results"][r.peer];
    if (!std::isnan(r.independent_ns)) {
      entry["independent_ns_per_op"] = r.independent_ns;
      entry["chain_ns_per_op"] = r.chain_ns;
      entry["fan_ns_per_op"] = r.fan_ns;
      if (&r != &ours) {
        out["ratios_vs_" + ours.peer][r.peer] = {{"independent", r.independent_ns / ours.independent_ns},
                                                 {"chain", r.chain_ns / ours.chain_ns},
                                                 {"fan", r.fan_ns / ours.fan_ns}};
      }
    }
    entry["streams_sgemm"] = streams_json(r.gemm);
    entry["streams_integer"] = streams_json(r.integer);
  }
  return out;
}

}  // namespace
}  // namespace mx::bench

int main(int argc, char** argv) {
  using namespace mx::bench;
  Workloads w;
  ::bench::Flags flags;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (::bench::take_common_flag(argc, argv, i, flags)) {
      continue;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];  // measure only the peers whose name contains this (mxpp threaded always comes first)
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--only NAME] [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  if (flags.quick) {
    w = {.tiny_ops = 20000, .tiny_vars = 100, .chain_ops = 20000, .fan_width = 16, .fan_rounds = 200,
         .gemm_per_stream = 4, .gemm_size = 128, .integer_iterations = 100000, .repeats = 1};
  }
  use_one_blas_thread();

  // Each peer exists only while it is measured: an idle runtime's threads (StarPU's poll) must not take
  // cores from the next one.
  using MakePeer = std::function<std::unique_ptr<Peer>()>;
  const std::vector<MakePeer> makers = {[] { return make_mxpp_peer(true); }, make_mxpp_profiled_peer,
                                        [] { return make_mxpp_peer(false); }, make_torch_peer, make_starpu_peer};
  std::vector<Result> results;
  for (const MakePeer& make : makers) {
    std::unique_ptr<Peer> peer = make();
    if (!peer) continue;
    if (results.empty() || only.empty() || peer->name().find(only) != std::string::npos) {
      results.push_back(measure(*peer, w));
    }
  }
  results.push_back(measure_ceiling(w));
  const bool with_profiler = only.empty() || std::string("mxpp profiled").find(only) != std::string::npos;
  const ProfilerOverhead overhead = with_profiler ? measure_profiler_overhead(w) : ProfilerOverhead{};
  print_table(results, w);
  nlohmann::json report = to_json(results, w);
  if (with_profiler) {
    std::printf("Profiler overhead, threaded and profiled taking turns (profiled / threaded, best of %d; medians in"
                " brackets; target < 1.10): (a) %.2f (%.2f)  (b) %.2f (%.2f)  (c) %.2f (%.2f)\n",
                2 * w.repeats, overhead.best[0], overhead.median[0], overhead.best[1], overhead.median[1],
                overhead.best[2], overhead.median[2]);
    for (int k = 0; k < 3; ++k) {
      const char* workload = k == 0 ? "independent" : k == 1 ? "chain" : "fan";
      report["profiler_overhead"][workload] = {{"best", overhead.best[k]}, {"median", overhead.median[k]}};
    }
  }
  return ::bench::write_report(flags, report);
}
