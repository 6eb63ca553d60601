#pragma once
// Splitting a kernel across the engine's CPU workers. Inside an operation, oneTBB runs the pieces in the
// worker's own arena, so a large kernel uses idle workers and never adds threads beyond the cores.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>

#include <tbb/task_arena.h>

namespace mx::op {

// Under ThreadSanitizer kernels run unsplit: oneTBB joins a kernel's pieces inside libtbb.so, which TSan cannot
// see, so every split kernel would be reported. The engine's own concurrency stays fully checked.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kSplitKernels = false;
#else
inline constexpr bool kSplitKernels = true;
#endif

inline constexpr std::int64_t kParallelGrain = 1 << 15;  // elements; below this, splitting costs more than it saves

namespace detail {
// for_each_piece's work, compiled once: `run(body, piece)` calls the caller's body. A oneTBB parallel_for
// instantiated for every kernel's lambda was most of the operators' compile time (elemwise_binary.cc: 46 s).
void for_each_piece(int pieces, void (*run)(void* body, int piece), void* body);
}  // namespace detail

// Runs body(piece) for each piece in [0, pieces), in parallel on the calling worker's arena. Piece p goes to the
// worker in arena slot p (mod pieces) when that worker is free to take it, whichever worker runs the operation:
// a chain of split kernels over one array (a product writing a gradient, the update reading it) then finds each
// part in the cache of the core that wrote it. Left to oneTBB, the part a worker takes depends on which worker
// ran the operation, and when two operations of a chain disagree every cache line crosses cores: the seed
// MLP's 800 KB weight update took 130 us instead of 25 in whole runs where they did.
template <class Body>
void for_each_piece(int pieces, Body&& body) {
  if (pieces <= 1 || !kSplitKernels) {
    for (int p = 0; p < pieces; ++p) body(p);
    return;
  }
  using B = std::remove_reference_t<Body>;
  detail::for_each_piece(
      pieces, [](void* b, int piece) { (*static_cast<B*>(b))(piece); },
      const_cast<void*>(static_cast<const void*>(std::addressof(body))));
}

// How many pieces a loop over n elements is split into: one per worker, each of at least `grain` elements; 1 when
// n is small or kernels run unsplit.
inline int split_pieces(std::int64_t n, std::int64_t grain = kParallelGrain) {
  if (n <= grain || !kSplitKernels) return 1;
  return static_cast<int>(std::clamp<std::int64_t>(n / grain, 1, tbb::this_task_arena::max_concurrency()));
}

// Calls body(begin, end) over [0, n), in pieces of at least `grain` when n is large: one even piece per worker,
// each meant for its own worker (for_each_piece).
template <class Body>
void parallel_for(std::int64_t n, Body&& body, std::int64_t grain = kParallelGrain) {
  const int pieces = split_pieces(n, grain);
  if (pieces == 1) {
    if (n > 0) body(std::int64_t{0}, n);
    return;
  }
  for_each_piece(pieces, [&](int piece) { body(n * piece / pieces, n * (piece + 1) / pieces); });
}

}  // namespace mx::op
