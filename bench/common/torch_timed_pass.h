#pragma once
// A libtorch peer's timed pass: seconds per step of a state object on `threads` intra-op threads, after one step
// of warm-up, OpenBLAS threaded as libtorch has it alone. Included by the peers only (it needs <torch/torch.h>).
#include <functional>
#include <memory>

#include <torch/torch.h>

#include "interleaved.h"
#include "standalone_blas.h"

namespace bench {

template <class State>
std::function<double()> timed_pass(std::shared_ptr<State> state, int iterations, int threads) {
  return [state, iterations, threads] {
    at::set_num_threads(threads);
    StandaloneBlasThreads blas;
    state->step();
    return seconds_of([&] {
             for (int i = 0; i < iterations; ++i) state->step();
           }) / iterations;
  };
}

}  // namespace bench
