#include <mx/operators/parallel.h>

#include <atomic>

#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

namespace mx::op::detail {

void for_each_piece(int pieces, void (*run)(void* body, int piece), void* body) {
  std::unique_ptr<std::atomic<bool>[]> taken(new std::atomic<bool>[static_cast<std::size_t>(pieces)]);
  for (int p = 0; p < pieces; ++p) taken[p].store(false, std::memory_order_relaxed);
  // Each task claims one piece: its slot's own if still free, else the first free one. There are as many tasks
  // as pieces, so every piece is claimed exactly once.
  tbb::parallel_for(0, pieces, 1, [&](int) {
    const int slot = tbb::this_task_arena::current_thread_index();
    int piece = slot >= 0 ? slot % pieces : 0;
    if (taken[piece].exchange(true, std::memory_order_relaxed)) {
      piece = 0;
      while (taken[piece].exchange(true, std::memory_order_relaxed)) ++piece;
    }
    run(body, piece);
  }, tbb::simple_partitioner());
}

}  // namespace mx::op::detail
