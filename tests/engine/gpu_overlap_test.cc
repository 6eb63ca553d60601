// GPU work through the engine: a compute-stream operation and a host-to-device copy run at the same time; streams
// wait for each other on the device. Orderings are set up with a kernel the test holds, never guessed from time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <vector>
#include <cstdio>
#include <thread>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>

#include "../catch_run.h"
#include "gpu_spin_kernel.h"

using namespace mx;

namespace {
void check(cudaError_t status) { REQUIRE(status == cudaSuccess); }
long long clock_cycles(double seconds) {
  int clock_khz = 0;
  check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
  return static_cast<long long>(clock_khz * 1000.0 * seconds);
}
}  // namespace

TEST_CASE("a compute-stream operation and a copy overlap, as the recorded stream times show", "[gpu]") {
  auto eng = engine::create({});
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  void* host = nullptr;
  void* device = nullptr;
  check(cudaMallocHost(&host, kBytes));
  check(cudaMalloc(&device, kBytes));
  test::HeldKernel kernel;

  engine::trace::clear();
  engine::trace::enable();
  engine::VarHandle computed = eng->new_variable(), copied = eng->new_variable();
  eng->push_sync([&](engine::RunContext rctx) { kernel.launch(rctx.stream); }, gpu(0), {}, {computed},
                 {.name = "held kernel"});
  bool kernel_ran_before_copy = false;  // written by the copy's worker, read after the sync point
  eng->push_sync(
      [&](engine::RunContext rctx) {
        kernel_ran_before_copy = kernel.wait_started(10);
        check(cudaMemcpyAsync(device, host, kBytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(rctx.stream)));
      },
      gpu(0), {}, {copied}, {.prop = engine::FnProperty::kCopyToGPU, .name = "copy"});
  eng->wait_for_var(copied);
  const bool kernel_ran_after_copy = !kernel.done();
  // The kernel goes on a while after the copy, so that the two ends lie far apart beside any error in mapping
  // device times onto the host's clock.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kernel.release();
  eng->wait_for_var(computed);
  eng->wait_for_all();
  engine::trace::disable();

  CHECK(kernel_ran_before_copy);
  CHECK(kernel_ran_after_copy);  // waiting for the copy did not wait for the kernel
  const auto events = engine::trace::events();
  auto find = [&](const char* name) {
    auto it = std::find_if(events.begin(), events.end(), [&](const auto& e) { return e.name == name; });
    REQUIRE(it != events.end());
    return *it;
  };
  const auto spin = find("held kernel"), copy = find("copy");
  CHECK(spin.worker != copy.worker);  // different streams, different workers
  // In the trace (the kernel timed by CUDA events on its stream), the copy ended inside the kernel's run.
  CHECK(spin.start_ns < copy.end_ns);
  CHECK(copy.end_ns < spin.end_ns);
  std::printf("kernel %.1f-%.1f ms, copy %.1f-%.1f ms\n", 0.0, (spin.end_ns - spin.start_ns) / 1e6,
              (copy.start_ns - spin.start_ns) / 1e6, (copy.end_ns - spin.start_ns) / 1e6);
  check(cudaFree(device));
  check(cudaFreeHost(host));
}

TEST_CASE("a GPU operation completes at its launch, work on other streams waits on the device for it", "[gpu]") {
  auto eng = engine::create({.gpu_compute_streams = 2});  // "fill" and "other" go to different streams
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  void* device = nullptr;
  check(cudaMalloc(&device, kBytes));
  check(cudaMemset(device, 0, kBytes));
  std::vector<unsigned char> host(kBytes, 0);
  test::HeldKernel kernel;
  engine::VarHandle buffer = eng->new_variable(), other = eng->new_variable(), on_host = eng->new_variable();
  // A kernel the test holds, then the buffer filled with ones, on one compute stream...
  eng->push_sync([&](engine::RunContext rctx) {
    kernel.launch(rctx.stream);
    check(cudaMemsetAsync(device, 1, kBytes, static_cast<cudaStream_t>(rctx.stream)));
  }, gpu(0), {}, {buffer}, {.name = "fill"});
  // ...an independent operation is not held up by it...
  eng->push_sync([](engine::RunContext) {}, gpu(0), {}, {other}, {.name = "other"});
  eng->wait_for_var(other);
  CHECK_FALSE(kernel.done());
  // ...and a copy on the device-to-host stream, enqueued while the kernel is still held, sees the ones: its
  // stream waited for the fill on the device.
  bool held_at_copy = false;  // written by the copy's worker, read after the sync point
  eng->push_sync([&](engine::RunContext rctx) {
    check(cudaMemcpyAsync(host.data(), device, kBytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(rctx.stream)));
    held_at_copy = !kernel.done();
    kernel.release();
  }, gpu(0), {buffer}, {on_host}, {.prop = engine::FnProperty::kCopyFromGPU, .name = "to host"});
  eng->wait_for_var(on_host);
  CHECK(held_at_copy);
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
  // Its launch takes microseconds; its 0.2 s of spinning (or more, at a lower clock) show only on the device.
  const double seconds = (it->end_ns - it->start_ns) / 1e9;
  CHECK(seconds > 0.15);
}

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device: skipping the GPU tests\n");
    return 77;  // CTest's SKIP_RETURN_CODE
  }
  return mx::test::run_catch(argc, argv);
}
