#include <mx/engine/engine.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include <mx/engine/env.h>
#include <mx/engine/error.h>
#include <mx/engine/fast_thread_local.h>
#include <mx/engine/logging.h>
#include <mx/engine/naive_engine.h>
#include <mx/engine/threaded_engine.h>

namespace mx::engine {

namespace {
MX_FAST_THREAD_LOCAL int tls_unthrottled = 0;
std::atomic<int> g_throttle_holds{0};
}

UnthrottledScope::UnthrottledScope() { ++tls_unthrottled; }
UnthrottledScope::~UnthrottledScope() { --tls_unthrottled; }
bool UnthrottledScope::active() { return tls_unthrottled > 0; }

ThrottleHold::ThrottleHold() { g_throttle_holds.fetch_add(1, std::memory_order_relaxed); }
ThrottleHold::~ThrottleHold() { g_throttle_holds.fetch_sub(1, std::memory_order_relaxed); }
bool ThrottleHold::active() { return g_throttle_holds.load(std::memory_order_relaxed) > 0; }

EngineConfig EngineConfig::from_env() {
  EngineConfig config;
  const std::string type = detail::env_string("MX_ENGINE_TYPE", "ThreadedEngine");
  if (type == "NaiveEngine") {
    config.type = EngineType::kNaive;
  } else if (type == "ThreadedEngine" || type == "ThreadedEnginePerDevice") {
    config.type = EngineType::kThreaded;
  } else {
    throw EngineError("MX_ENGINE_TYPE='" + type + "': expected ThreadedEngine or NaiveEngine");
  }
  config.cpu_workers = detail::env_int("MX_CPU_WORKER_NTHREADS", 0, 1);
  // Processes that mpirun starts on one machine share its cores (OpenMPI counts them in
  // OMPI_COMM_WORLD_LOCAL_SIZE): each takes its share of workers, as torchrun gives each process one OpenMP
  // thread, rather than a worker per core in each (two ranks on two cores ran four workers beside their MPI
  // threads). On the all-reduce benchmark the gain is within its noise (session 27: 1.04 against 1.10 of plain
  // MPI's time in one set of eight paired runs, 0.99 against 1.00 in the next).
  const int local_processes = detail::env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1, 1);
  if (config.cpu_workers == 0 && local_processes > 1) {
    config.cpu_workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local_processes);
  }
  config.cpu_priority_workers = detail::env_int("MX_CPU_PRIORITY_NTHREADS", config.cpu_priority_workers, 1);
  config.gpu_compute_streams = detail::env_int("MX_GPU_WORKER_NTHREADS", config.gpu_compute_streams, 1);
  config.max_pending = detail::env_int("MX_ENGINE_MAX_PENDING", config.max_pending, 0);
  return config;
}

std::unique_ptr<Engine> create(const EngineConfig& config) {
  if (config.type == EngineType::kNaive) return std::make_unique<detail::NaiveEngine>();
  EngineConfig resolved = config;
  if (resolved.cpu_workers <= 0) resolved.cpu_workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (resolved.cpu_priority_workers < 1 || resolved.gpu_compute_streams < 1) {
    throw EngineError("engine config: cpu_priority_workers and gpu_compute_streams must be at least 1");
  }
  if (resolved.max_pending < 0) throw EngineError("engine config: max_pending must be 0 (unbounded) or positive");
  return std::make_unique<detail::ThreadedEngine>(resolved);
}

namespace {
// The process-wide engine, not kept alive by this: drain_at_exit takes a reference only while it waits, so the
// engine cannot be destroyed under it (the last reference may go on any thread, with an operation's arrays).
std::weak_ptr<Engine> g_process_engine;
}  // namespace

std::shared_ptr<Engine> Engine::get_shared() {
  static const std::shared_ptr<Engine> engine = [] {
    const EngineConfig config = EngineConfig::from_env();
    std::shared_ptr<Engine> made = create(config);
    g_process_engine = made;
    if (config.type != EngineType::kThreaded) log_info("using {} (MX_ENGINE_TYPE)", made->type_name());
    return made;
  }();
  return engine;
}

void Engine::drain_at_exit() noexcept {
  const std::shared_ptr<Engine> engine = g_process_engine.lock();
  if (!engine) return;
  try {
    engine->wait_for_all();
  } catch (const std::exception& e) {
    log_error("at exit, an operation had failed and nobody waited for its result: {}", e.what());
  } catch (...) {
    log_error("at exit, an operation had failed and nobody waited for its result");
  }
}

Engine& Engine::get() {
  static Engine* const engine = get_shared().get();
  return *engine;
}

}  // namespace mx::engine
