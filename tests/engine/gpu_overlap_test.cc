// GPU work through the engine: a compute-stream operation and a host-to-device copy run at the same time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>

#include "../catch_run.h"
#include "gpu_spin_kernel.h"

using namespace mx;

namespace {
void check(cudaError_t status) { REQUIRE(status == cudaSuccess); }
}  // namespace

TEST_CASE("a compute-stream operation and a copy overlap", "[gpu]") {
  auto eng = engine::create({});
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  void* host = nullptr;
  void* device = nullptr;
  check(cudaMallocHost(&host, kBytes));
  check(cudaMalloc(&device, kBytes));
  int clock_khz = 0;
  check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
  const long long half_second = static_cast<long long>(clock_khz) * 500;

  engine::trace::clear();
  engine::trace::enable();
  engine::VarHandle computed = eng->new_variable(), copied = eng->new_variable();
  eng->push_sync([&](engine::RunContext rctx) { test::launch_spin(rctx.stream, half_second); }, gpu(0), {},
                 {computed}, {.name = "spin"});
  eng->push_sync(
      [&](engine::RunContext rctx) {
        REQUIRE(rctx.stream != nullptr);
        check(cudaMemcpyAsync(device, host, kBytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(rctx.stream)));
      },
      gpu(0), {}, {copied}, {.prop = engine::FnProperty::kCopyToGPU, .name = "copy"});
  eng->wait_for_all();
  engine::trace::disable();

  const auto events = engine::trace::events();
  auto find = [&](const char* name) {
    auto it = std::find_if(events.begin(), events.end(), [&](const auto& e) { return e.name == name; });
    REQUIRE(it != events.end());
    return *it;
  };
  const auto spin = find("spin"), copy = find("copy");
  CHECK(spin.worker != copy.worker);  // different streams, different workers
  // Each interval ends when its stream has finished: the copy ran while the kernel was still spinning.
  CHECK(copy.start_ns < spin.end_ns);
  CHECK(copy.end_ns < spin.end_ns);
  std::printf("spin %.1f ms, copy %.1f ms, copy ended %.1f ms before the spin did\n",
              (spin.end_ns - spin.start_ns) / 1e6, (copy.end_ns - copy.start_ns) / 1e6,
              (spin.end_ns - copy.end_ns) / 1e6);
  check(cudaFree(device));
  check(cudaFreeHost(host));
}

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device: skipping the GPU tests\n");
    return 77;  // CTest's SKIP_RETURN_CODE
  }
  return mx::test::run_catch(argc, argv);
}
