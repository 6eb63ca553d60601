#pragma once
// Timing several methods fairly on a machine whose speed drifts (shared VMs swing by 1.5x or more between
// minutes): the methods run in rounds, one pass each, taking turns going first, so that each meets the same
// fast and slow spells; a first round warms up and is not counted.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace bench {

// Seconds that `work` takes.
template <class Work>
double seconds_of(Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Each pass runs its method once and returns the seconds it measured (a pass may leave out of its timing what it
// does to leave the machine as it found it). samples[k] holds method k's `rounds` timings.
inline std::vector<std::vector<double>> run_interleaved(const std::vector<std::function<double()>>& passes,
                                                        int rounds) {
  std::vector<std::vector<double>> samples(passes.size());
  for (int r = 0; r <= rounds; ++r) {
    for (std::size_t k = 0; k < passes.size(); ++k) {
      const std::size_t which = (static_cast<std::size_t>(r) + k) % passes.size();
      const double seconds = passes[which]();
      if (r > 0) samples[which].push_back(seconds);
    }
  }
  return samples;
}

// Warms `state` by one step, then returns a pass of `steps` of its steps; each ends with `finish()` (waiting for
// asynchronous work), and the pass returns seconds per step.
template <class State, class Finish>
std::function<double()> steps_pass(std::shared_ptr<State> state, int steps, Finish finish) {
  state->step();
  finish();
  return [state, steps, finish] {
    return seconds_of([&] {
             for (int i = 0; i < steps; ++i) state->step();
             finish();
           }) / steps;
  };
}

// A peer's passes on 1 and 2 intra-op threads, each with its thread count; none where `make` returns an empty
// pass (the peer not built).
struct ThreadsPass {
  int threads;
  std::function<double()> pass;
};
inline std::vector<ThreadsPass> passes_on_1_and_2_threads(const std::function<std::function<double()>(int)>& make) {
  std::vector<ThreadsPass> passes;
  for (int threads : {1, 2}) {
    if (auto pass = make(threads)) passes.push_back({threads, std::move(pass)});
  }
  return passes;
}

inline double best_of(const std::vector<double>& samples) { return *std::min_element(samples.begin(), samples.end()); }

inline double median_of(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace bench
