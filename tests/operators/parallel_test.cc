// Splitting kernels across workers: every piece runs once, and piece p runs on the worker in arena slot p.
#include <array>
#include <atomic>
#include <chrono>
#include <thread>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <mx/operators/parallel.h>

#include "test_util.h"

using namespace mx;

namespace {

// oneTBB hands an enqueued task over inside libtbb.so, where ThreadSanitizer cannot see it: the task waits for
// this flag, a global (so that waiting reads none of its captures), set with release after enqueue has copied
// the closure in, so that TSan sees the closure and the call's state made before the task reads them.
std::atomic<bool> g_task_may_start{false};

void wait_for_the_go() {
  while (!g_task_may_start.load(std::memory_order_acquire)) {
  }
}

}  // namespace

TEST_CASE("a split kernel runs each piece once and gives piece p to the worker in slot p", "[operators][parallel]") {
  // Two workers, as the engine's pool (either may call), beside this thread.
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 3);
  tbb::task_arena arena(2, /*reserved_for_masters=*/0);
  int shared_calls = 0;
  for (int call = 0; call < 100; ++call) {
    std::array<std::atomic<int>, 2> runs{}, slot{};
    std::array<std::atomic<bool>, 2> started{};
    std::atomic<bool> done{false};
    g_task_may_start.store(false, std::memory_order_relaxed);  // the last call's task has passed its wait
    arena.enqueue([&] {
      wait_for_the_go();  // reads no capture before it
      op::for_each_piece(2, [&](int piece) {
        runs[piece].fetch_add(1);
        slot[piece].store(tbb::this_task_arena::current_thread_index());
        started[piece].store(true);
        // Wait a little for the other piece, so that the other worker has the time to join.
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
        while (!started[1 - piece].load() && std::chrono::steady_clock::now() < until) {
        }
      });
      done.store(true);
    });
    g_task_may_start.store(true, std::memory_order_release);
    while (!done.load()) std::this_thread::yield();
    CHECK(runs[0].load() == 1);
    CHECK(runs[1].load() == 1);
    if (slot[0].load() != slot[1].load()) {
      ++shared_calls;
      CHECK(slot[0].load() == 0);
      CHECK(slot[1].load() == 1);
    }
  }
  if (op::kSplitKernels) CHECK(shared_calls > 0);  // under ThreadSanitizer kernels run unsplit
}

TEST_CASE("a split loop covers its range once in even pieces", "[operators][parallel]") {
  for (const std::int64_t n : {std::int64_t{0}, std::int64_t{5}, op::kParallelGrain, 4 * op::kParallelGrain + 3}) {
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(n));
    op::parallel_for(n, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) seen[static_cast<std::size_t>(i)].fetch_add(1);
    });
    for (const auto& s : seen) CHECK(s.load() == 1);
  }
}
