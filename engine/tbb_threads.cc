#include <mx/engine/tbb_threads.h>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace mx::engine::detail {
namespace {

std::mutex g_mutex;
int g_reserved = 0;                              // guarded by g_mutex
std::unique_ptr<tbb::global_control> g_control;  // guarded by g_mutex

// The limit counts the threads that push work too; never go below oneTBB's own default.
void apply_limit() {
  const int wanted = std::max(g_reserved + 1, tbb::info::default_concurrency());
  // Only one control object may be active: several would resolve to the smallest value.
  g_control.reset();
  g_control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, wanted);
}

}  // namespace

TbbThreadReservation::TbbThreadReservation(int threads) : threads_(threads) {
  std::lock_guard lock(g_mutex);
  g_reserved += threads_;
  apply_limit();
}

TbbThreadReservation::~TbbThreadReservation() {
  std::lock_guard lock(g_mutex);
  g_reserved -= threads_;
  apply_limit();
}

}  // namespace mx::engine::detail
