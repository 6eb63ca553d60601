#pragma once
// The libtorch peers share the process's OpenBLAS with mxpp, which runs it single-threaded (its engine's workers
// split products themselves: operators/blas_setup.h). A libtorch program on its own runs OpenBLAS on every core
// (or as OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or OMP_NUM_THREADS say), whatever at::set_num_threads is given.
// A peer holds this guard while it runs, so that it runs as it would alone; mxpp gets its setting back after.
#include <cstdlib>
#include <thread>

extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
}

namespace bench {

class StandaloneBlasThreads {
 public:
  StandaloneBlasThreads() : saved_(openblas_get_num_threads()) { openblas_set_num_threads(standalone_count()); }
  ~StandaloneBlasThreads() { openblas_set_num_threads(saved_); }
  StandaloneBlasThreads(const StandaloneBlasThreads&) = delete;
  StandaloneBlasThreads& operator=(const StandaloneBlasThreads&) = delete;

  // OpenBLAS's own choice at start-up: the first of these variables set to a positive count, else every core.
  static int standalone_count() {
    for (const char* name : {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}) {
      if (const char* value = std::getenv(name); value != nullptr && std::atoi(value) > 0) return std::atoi(value);
    }
    return static_cast<int>(std::thread::hardware_concurrency());
  }

 private:
  int saved_;
};

}  // namespace bench
