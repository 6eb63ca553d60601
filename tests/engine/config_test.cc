// MX_* environment variables choose and size the engine; values it does not understand are errors naming them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

#include <pthread.h>

#include <mx/engine/engine.h>
#include <mx/engine/error.h>
#include <mx/engine/thread_name.h>

using namespace mx;
using Catch::Matchers::Contains;

namespace {

// Sets an environment variable for one scope (nullptr: unsets it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_.empty()) {
      unsetenv(name_);
    } else {
      setenv(name_, old_.c_str(), 1);
    }
  }

 private:
  const char* name_;
  std::string old_;
};

}  // namespace

TEST_CASE("MX_ENGINE_TYPE picks the engine", "[engine][config]") {
  {
    ScopedEnv env("MX_ENGINE_TYPE", "NaiveEngine");
    CHECK(engine::EngineConfig::from_env().type == engine::EngineType::kNaive);
    CHECK(std::string(engine::create(engine::EngineConfig::from_env())->type_name()) == "NaiveEngine");
  }
  {
    ScopedEnv env("MX_ENGINE_TYPE", "ThreadedEnginePerDevice");  // MXNet's name for the default
    CHECK(engine::EngineConfig::from_env().type == engine::EngineType::kThreaded);
  }
  ScopedEnv env("MX_ENGINE_TYPE", "FastEngine");
  CHECK_THROWS_WITH(engine::EngineConfig::from_env(), Contains("MX_ENGINE_TYPE") && Contains("FastEngine"));
}

TEST_CASE("worker counts come from the environment", "[engine][config]") {
  ScopedEnv workers("MX_CPU_WORKER_NTHREADS", "3");
  ScopedEnv streams("MX_GPU_WORKER_NTHREADS", "4");
  ScopedEnv pending("MX_ENGINE_MAX_PENDING", "64");
  const auto config = engine::EngineConfig::from_env();
  CHECK(config.cpu_workers == 3);
  CHECK(config.gpu_compute_streams == 4);
  CHECK(config.max_pending == 64);
  ScopedEnv bad("MX_CPU_PRIORITY_NTHREADS", "two");
  CHECK_THROWS_WITH(engine::EngineConfig::from_env(), Contains("MX_CPU_PRIORITY_NTHREADS") && Contains("two"));
  ScopedEnv zero("MX_CPU_PRIORITY_NTHREADS", "0");
  CHECK_THROWS_AS(engine::EngineConfig::from_env(), EngineError);
}

TEST_CASE("processes that mpirun starts on one machine share its cores", "[engine][config]") {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ScopedEnv unset("MX_CPU_WORKER_NTHREADS", nullptr);
  {
    ScopedEnv alone("OMPI_COMM_WORLD_LOCAL_SIZE", nullptr);
    CHECK(engine::EngineConfig::from_env().cpu_workers == 0);  // one per core, resolved by create()
  }
  {
    ScopedEnv one("OMPI_COMM_WORLD_LOCAL_SIZE", "1");
    CHECK(engine::EngineConfig::from_env().cpu_workers == 0);
  }
  {
    ScopedEnv two("OMPI_COMM_WORLD_LOCAL_SIZE", "2");
    CHECK(engine::EngineConfig::from_env().cpu_workers == std::max(1, cores / 2));
  }
  {
    ScopedEnv crowded("OMPI_COMM_WORLD_LOCAL_SIZE", std::to_string(4 * cores).c_str());
    CHECK(engine::EngineConfig::from_env().cpu_workers == 1);
  }
  ScopedEnv two("OMPI_COMM_WORLD_LOCAL_SIZE", "2");
  ScopedEnv chosen("MX_CPU_WORKER_NTHREADS", "3");  // the user's choice stands
  CHECK(engine::EngineConfig::from_env().cpu_workers == 3);
}

TEST_CASE("contexts print as MXNet prints them", "[engine][config]") {
  CHECK(cpu().str() == "cpu(0)");
  CHECK(gpu(1).str() == "gpu(1)");
  CHECK(cpu_pinned(0).str() == "cpu_pinned(0)");
  CHECK(cpu(2) == Context{DeviceType::kCPU, 2});
  CHECK_FALSE(cpu(0) == gpu(0));
}

TEST_CASE("set_thread_name names the calling thread, cut to the 15 characters Linux keeps") {
  std::string seen;
  std::thread([&] {
    engine::set_thread_name("mx-a-name-longer-than-fifteen");
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    seen = name;
  }).join();
  CHECK(seen == "mx-a-name-longe");
}
