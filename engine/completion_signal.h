#pragma once
// A one-shot signal from the worker that completes an operation to the thread waiting for it (wait_to_read).
// The waiter spins a little before it sleeps: putting a thread to sleep and waking it costs several
// microseconds on each side, as much as a small operation (the seed MLP's forward at batch 1 spent half its
// 15 us that way). After a first stretch it spins yielding, so that a worker with work to do gets the core.
#include <atomic>
#include <chrono>
#include <thread>

#include <mx/engine/failure.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mx::engine::detail {

class CompletionSignal {
 public:
  // The worker: publishes the operation's outcome and wakes the waiter if it sleeps. The signal must stay alive
  // until this returns (shared ownership: the waiter may leave as soon as it sees the flag).
  void set(FailurePtr failure) {
    failure_ = std::move(failure);
    done_.store(1, std::memory_order_release);
    done_.notify_one();
  }

  // The waiter: returns the outcome once set.
  FailurePtr wait() {
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; done_.load(std::memory_order_acquire) == 0; ++round) {
      if (round % 16 != 15) {
        pause();
        continue;
      }
      const auto waited = std::chrono::steady_clock::now() - start;
      if (waited > kSpin) {
        done_.wait(0, std::memory_order_acquire);
      } else if (waited > kSpinAlone) {
        std::this_thread::yield();
      }
    }
    return failure_;
  }

 private:
  // Spinning alone, then yielding to any runnable thread, then asleep: long enough for a small operation to
  // finish, short against a large one.
  static constexpr std::chrono::microseconds kSpinAlone{20}, kSpin{50};

  static void pause() {
#if defined(__x86_64__)
    _mm_pause();
#endif
  }

  std::atomic<int> done_{0};
  FailurePtr failure_;  // written before done_ is released, read after it is acquired
};

}  // namespace mx::engine::detail
