#include <cblas.h>

#include <chrono>
#include <thread>

#include "peer.h"

namespace mx::bench {

Gemm::Gemm(int n) : n_(n), a_(n * n, 1.0f), b_(n * n, 0.5f), c_(n * n, 0.0f) {}

void Gemm::run() {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n_, n_, n_, 1.0f, a_.data(), n_, b_.data(), n_, 0.0f,
              c_.data(), n_);
}

void IntegerWork::run() {
  unsigned long x = state_;
  for (long i = 0; i < iterations_; ++i) x = x * 6364136223846793005UL + 1442695040888963407UL;
  state_ = x;
}

StreamTimes time_streams(HeavyWork& a, HeavyWork& b, const std::function<void(HeavyWork&)>& start,
                         const std::function<void()>& finish) {
  using Clock = std::chrono::steady_clock;
  auto time = [&](std::initializer_list<HeavyWork*> works) {
    const auto begin = Clock::now();
    for (HeavyWork* work : works) start(*work);
    finish();
    return std::chrono::duration<double>(Clock::now() - begin).count();
  };
  StreamTimes times;
  times.a = time({&a});
  times.b = time({&b});
  times.both = time({&a, &b});
  return times;
}

StreamTimes threads_ceiling(HeavyWork& a, HeavyWork& b, int per_stream) {
  std::vector<std::thread> threads;
  return time_streams(
      a, b,
      [&](HeavyWork& work) {
        threads.emplace_back([&work, per_stream] {
          for (int i = 0; i < per_stream; ++i) work.run();
        });
      },
      [&] {
        for (auto& thread : threads) thread.join();
        threads.clear();
      });
}

void use_one_blas_thread() { openblas_set_num_threads(1); }

}  // namespace mx::bench
