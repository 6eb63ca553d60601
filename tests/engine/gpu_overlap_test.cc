// GPU work through the engine: a compute-stream operation and a host-to-device copy run at the same time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <vector>
#include <cstdio>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>

#include "../catch_run.h"
#include "gpu_spin_kernel.h"

using namespace mx;

namespace {
void check(cudaError_t status) { REQUIRE(status == cudaSuccess); }
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
long long clock_cycles(double seconds) {
  int clock_khz = 0;
  check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
  return static_cast<long long>(clock_khz * 1000.0 * seconds);
}
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
  const auto pushed = std::chrono::steady_clock::now();
  eng->wait_for_var(copied);
  const double copy_done = seconds_since(pushed);
  eng->wait_for_var(computed);
  const double spin_done = seconds_since(pushed);
  eng->wait_for_all();
  engine::trace::disable();

  const auto events = engine::trace::events();
  auto find = [&](const char* name) {
    auto it = std::find_if(events.begin(), events.end(), [&](const auto& e) { return e.name == name; });
    REQUIRE(it != events.end());
    return *it;
  };
  CHECK(find("spin").worker != find("copy").worker);  // different streams, different workers
  // The copy was done while the kernel still spun: waiting for it did not wait for the spin.
  CHECK(spin_done > 0.45);
  CHECK(copy_done < spin_done - 0.2);
  std::printf("copy done after %.1f ms, spin after %.1f ms\n", copy_done * 1e3, spin_done * 1e3);
  check(cudaFree(device));
  check(cudaFreeHost(host));
}

TEST_CASE("a GPU operation completes at its launch, work on other streams waits on the device for it", "[gpu]") {
  auto eng = engine::create({.gpu_compute_streams = 2});  // "fill" and "other" go to different streams
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  void* device = nullptr;
  check(cudaMalloc(&device, kBytes));
  std::vector<unsigned char> host(kBytes, 0);
  engine::VarHandle buffer = eng->new_variable(), other = eng->new_variable(), on_host = eng->new_variable();
  // A quarter second of spinning, then the buffer filled with ones, on one compute stream...
  const auto pushed = std::chrono::steady_clock::now();
  eng->push_sync([&](engine::RunContext rctx) {
    test::launch_spin(rctx.stream, clock_cycles(0.25));
    check(cudaMemsetAsync(device, 1, kBytes, static_cast<cudaStream_t>(rctx.stream)));
  }, gpu(0), {}, {buffer}, {.name = "fill"});
  // ...an independent operation is not held up by it...
  eng->push_sync([](engine::RunContext) {}, gpu(0), {}, {other}, {.name = "other"});
  eng->wait_for_var(other);
  CHECK(seconds_since(pushed) < 0.2);
  // ...and a copy on the device-to-host stream sees the ones: it waited for the fill on the device.
  eng->push_sync([&](engine::RunContext rctx) {
    check(cudaMemcpyAsync(host.data(), device, kBytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(rctx.stream)));
  }, gpu(0), {buffer}, {on_host}, {.prop = engine::FnProperty::kCopyFromGPU, .name = "to host"});
  eng->wait_for_var(on_host);
  CHECK(seconds_since(pushed) > 0.2);
  CHECK(std::count(host.begin(), host.end(), 1) == static_cast<std::ptrdiff_t>(kBytes));
  // A sync point on the buffer itself waits for the GPU as well.
  eng->push_sync([&](engine::RunContext rctx) {
    test::launch_spin(rctx.stream, clock_cycles(0.1));
    check(cudaMemsetAsync(device, 2, kBytes, static_cast<cudaStream_t>(rctx.stream)));
  }, gpu(0), {}, {buffer}, {.name = "refill"});
  eng->wait_for_var(buffer);
  check(cudaMemcpy(host.data(), device, kBytes, cudaMemcpyDeviceToHost));
  CHECK(std::count(host.begin(), host.end(), 2) == static_cast<std::ptrdiff_t>(kBytes));
  eng->wait_for_all();
  check(cudaFree(device));
}

TEST_CASE("while profiling, a GPU operation is timed on the device, not by its launch", "[gpu]") {
  auto eng = engine::create({});
  engine::trace::clear();
  engine::trace::enable();
  engine::VarHandle v = eng->new_variable();
  eng->push_sync([](engine::RunContext rctx) { test::launch_spin(rctx.stream, clock_cycles(0.2)); }, gpu(0), {}, {v},
                 {.name = "timed spin"});
  eng->wait_for_all();
  engine::trace::disable();
  const auto events = engine::trace::take_events();
  auto it = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.name == "timed spin"; });
  REQUIRE(it != events.end());
  CHECK(it->ctx == gpu(0));
  const double seconds = (it->end_ns - it->start_ns) / 1e9;
  CHECK(seconds > 0.15);
  CHECK(seconds < 0.5);
}

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device: skipping the GPU tests\n");
    return 77;  // CTest's SKIP_RETURN_CODE
  }
  return mx::test::run_catch(argc, argv);
}
