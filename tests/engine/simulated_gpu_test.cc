// The engine's GPU paths on simulated GPUs (simulated_gpus.h: streams as host threads, CUDA's event semantics):
// GPU operations complete at their launch and later work waits on the device, or on the host at sync points,
// copies and deletions; run on every machine and under the sanitizers, where the GPU tests skip.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <mx/engine/engine.h>
#include <mx/engine/error.h>
#include <mx/engine/trace.h>

#include "../catch_run.h"
#include "engine_test_util.h"
#include "simulated_gpus.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::SimulatedGpus;

namespace {

constexpr int kDevices = 2;

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// An operation's GPU work, launched on its stream as a kernel would be. (On an engine worker: no Catch2
// assertions there.)
void on_stream(const engine::RunContext& run, std::function<void()> work) {
  if (run.stream == nullptr) throw std::logic_error("a GPU operation without a stream");
  SimulatedGpus::launch(run.stream, std::move(work));
}

}  // namespace

TEST_CASE("simulated GPUs: an operation completes at its launch, work on another stream waits for it on the device",
          "[simulated_gpu]") {
  auto eng = engine::create({.gpu_compute_streams = 2});  // "write" and "other" go to different streams
  engine::VarHandle v = eng->new_variable(), other = eng->new_variable(), seen_var = eng->new_variable();
  std::atomic<int> value{0}, seen{-1};
  test::Gate release_write;  // the write's GPU work runs until the test opens this
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { release_write.wait(); value = 1; }); }, gpu(0),
                 {}, {v}, {.name = "held write"});
  eng->push_sync([](engine::RunContext) {}, gpu(0), {}, {other}, {.name = "other"});
  eng->wait_for_var(other);
  CHECK(value == 0);  // "other" was done while the write was held: another stream, nothing shared
  CHECK_FALSE(release_write.gave_up());
  release_write.open();
  eng->push_sync([](engine::RunContext) {}, gpu(0), {}, {other}, {.name = "filler"});  // so that "read" goes on
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { seen = value.load(); }); }, gpu(0), {v},
                 {seen_var}, {.name = "read"});
  eng->wait_for_var(seen_var);
  CHECK(seen == 1);  // the read's stream (not the write's) waited for the write's event
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: CPU operations and sync points wait for the GPU work of what they touch",
          "[simulated_gpu]") {
  auto eng = engine::create({});
  engine::VarHandle v = eng->new_variable(), host = eng->new_variable();
  int data = 0;  // plain memory: only the engine's ordering keeps the stream thread and the CPU worker apart
  int copied = -1;
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(100); data = 7; }); }, gpu(0), {}, {v});
  eng->push_sync([&](engine::RunContext) { copied = data; }, cpu(0), {v}, {host}, {.name = "cpu reader"});
  eng->wait_for_var(host);
  CHECK(copied == 7);
  // A write on the GPU after GPU reads on two streams waits for both; the reads see the old value.
  int read_a = -1, read_b = -1;
  engine::VarHandle a = eng->new_variable(), b = eng->new_variable();
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(50); read_a = data; }); }, gpu(0), {v},
                 {a});
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(80); read_b = data; }); }, gpu(0), {v},
                 {b});
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { data = 8; }); }, gpu(0), {}, {v});
  eng->wait_for_var(v);  // a sync point on v: its last writer's work is done
  CHECK(data == 8);
  eng->wait_for_var(a);
  eng->wait_for_var(b);
  CHECK(read_a == 7);
  CHECK(read_b == 7);
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: copies between host and device wait for their stream, across devices too",
          "[simulated_gpu]") {
  auto eng = engine::create({});
  engine::VarHandle on_gpu0 = eng->new_variable(), on_gpu1 = eng->new_variable(), on_host = eng->new_variable();
  int device0 = 0, device1 = 0, host = 0;
  std::atomic<int> device_current{-1};
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(50); device0 = 3; }); }, gpu(0), {},
                 {on_gpu0});
  // Device to device: gpu(1)'s stream waits for gpu(0)'s event.
  eng->push_sync([&](engine::RunContext run) {
    device_current = SimulatedGpus::current_device();
    SimulatedGpus::launch(run.stream, [&] { device1 = device0 * 10; });
  }, gpu(1), {on_gpu0}, {on_gpu1}, {.name = "gpu0 to gpu1"});
  bool finished_at_return = false;
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(50); host = device1 + 1; }); }, gpu(1),
                 {on_gpu1}, {on_host}, {.prop = engine::FnProperty::kCopyFromGPU, .name = "to host"});
  eng->push_sync([&](engine::RunContext) { finished_at_return = host == 31; }, cpu(0), {on_host}, {on_host});
  eng->wait_for_var(on_host);
  CHECK(host == 31);
  CHECK(finished_at_return);  // the copy waited for its stream before it completed
  CHECK(device_current == 1);  // the worker made its device current
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: copies to and from the host overlap compute on the same GPU", "[simulated_gpu]") {
  auto eng = engine::create({.gpu_compute_streams = 1});  // one compute stream: only the copy streams run beside it
  engine::VarHandle computed = eng->new_variable(), uploaded = eng->new_variable(), downloaded = eng->new_variable();
  test::Gate release_kernel;
  std::atomic<bool> kernel_done{false};
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { release_kernel.wait(); kernel_done = true; }); },
                 gpu(0), {}, {computed}, {.name = "held kernel"});
  eng->push_sync([](engine::RunContext run) { on_stream(run, [] { sleep_ms(20); }); }, gpu(0), {}, {uploaded},
                 {.prop = engine::FnProperty::kCopyToGPU, .name = "upload"});
  eng->push_sync([](engine::RunContext run) { on_stream(run, [] { sleep_ms(20); }); }, gpu(0), {}, {downloaded},
                 {.prop = engine::FnProperty::kCopyFromGPU, .name = "download"});
  eng->wait_for_var(uploaded);
  eng->wait_for_var(downloaded);
  CHECK_FALSE(kernel_done);  // both done while the kernel still ran
  CHECK_FALSE(release_kernel.gave_up());
  release_kernel.open();
  eng->wait_for_var(computed);
  CHECK(kernel_done);
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: failed GPU work surfaces at the sync point, and the engine goes on", "[simulated_gpu]") {
  auto eng = engine::create({});
  engine::VarHandle v = eng->new_variable(), w = eng->new_variable();
  eng->push_sync([](engine::RunContext run) { on_stream(run, [] { throw std::runtime_error("illegal address"); }); },
                 gpu(0), {}, {v}, {.name = "bad kernel"});
  CHECK_THROWS_WITH(eng->wait_for_var(v), Contains("illegal address"));
  int data = 0;
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { data = 5; }); }, gpu(0), {}, {w});
  eng->wait_for_var(w);
  CHECK(data == 5);
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: an operation that throws after launching work leaves its error, the stream settled",
          "[simulated_gpu]") {
  auto eng = engine::create({});
  engine::VarHandle v = eng->new_variable(), w = eng->new_variable();
  std::atomic<bool> launched_work_done{false};
  eng->push_sync([&](engine::RunContext run) {
    on_stream(run, [&] { sleep_ms(50); launched_work_done = true; });
    throw std::invalid_argument("shape (3, 4) does not fit");
  }, gpu(0), {}, {v}, {.name = "half launched"});
  CHECK_THROWS_WITH(eng->wait_for_var(v), Contains("half launched") && Contains("(3, 4)"));
  CHECK(launched_work_done);  // the engine waited for what the operation had enqueued
  int data = 0;
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { data = 1; }); }, gpu(0), {}, {w});
  eng->wait_for_var(w);
  CHECK(data == 1);
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: waiting to write a variable waits for the GPU reads of it in flight", "[simulated_gpu]") {
  auto eng = engine::create({});
  engine::VarHandle v = eng->new_variable(), r = eng->new_variable();
  int data = 1, seen = 0;
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(100); seen = data; }); }, gpu(0), {v},
                 {r});
  eng->wait_for_var_writable(v, cpu(0));  // as NDArray's copy from host memory does before it writes
  data = 2;
  eng->wait_for_var(r);
  CHECK(seen == 1);
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: an asynchronous operation on a GPU completes when its work calls back", "[simulated_gpu]") {
  auto eng = engine::create({});
  engine::VarHandle v = eng->new_variable(), host = eng->new_variable();
  int data = 0, copied = 0;
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(30); data = 4; }); }, gpu(0), {}, {v});
  eng->push_async([&](engine::RunContext run, engine::OnComplete done) {
    // A collective library's call: enqueued after the write on this stream, completion reported from the stream.
    SimulatedGpus::launch(run.stream, [&data, done] {
      data *= 10;
      done();
    });
  }, gpu(0), {}, {v}, {.name = "async on the stream"});
  eng->push_sync([&](engine::RunContext) { copied = data; }, cpu(0), {v}, {host});
  eng->wait_for_var(host);
  CHECK(copied == 40);
  eng->wait_for_all();
}

TEST_CASE("simulated GPUs: a variable deleted with GPU work in flight is freed after that work", "[simulated_gpu]") {
  auto eng = engine::create({});
  std::atomic<bool> work_done{false}, freed_after_work{false}, freed{false};
  engine::VarHandle v = eng->new_variable();
  eng->push_sync([&](engine::RunContext run) { on_stream(run, [&] { sleep_ms(150); work_done = true; }); }, gpu(0),
                 {}, {v});
  eng->delete_variable([&](engine::RunContext) {
    freed_after_work = work_done.load();
    freed = true;
  }, gpu(0), v);
  eng->wait_for_all();
  CHECK(freed);
  CHECK(freed_after_work);
}

TEST_CASE("simulated GPUs: while profiling, a GPU operation is timed by its work, not by its launch",
          "[simulated_gpu]") {
  auto eng = engine::create({});
  engine::trace::clear();
  engine::trace::enable();
  engine::VarHandle v = eng->new_variable();
  eng->push_sync([](engine::RunContext run) { on_stream(run, [] { sleep_ms(120); }); }, gpu(1), {}, {v},
                 {.name = "timed work"});
  eng->wait_for_all();
  engine::trace::disable();
  const auto events = engine::trace::take_events();
  const auto it = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.name == "timed work"; });
  REQUIRE(it != events.end());
  CHECK(it->ctx == gpu(1));
  const double seconds = static_cast<double>(it->end_ns - it->start_ns) / 1e9;
  CHECK(seconds > 0.1);
}

TEST_CASE("simulated GPUs: random operations over two GPUs' streams and the CPU equal a sequential run",
          "[simulated_gpu]") {
  for (engine::EngineType type : {engine::EngineType::kThreaded, engine::EngineType::kNaive}) {
    INFO((type == engine::EngineType::kNaive ? "NaiveEngine" : "ThreadedEngine"));
    auto eng = engine::create({.type = type, .cpu_workers = 2});
    constexpr int kVars = 24, kOps = 2000;
    std::vector<engine::VarHandle> vars;
    for (int i = 0; i < kVars; ++i) vars.push_back(eng->new_variable());
    // Plain memory, written by stream threads and CPU workers: only the engine's ordering (events, waits on
    // the device and on the host) keeps them apart, and the sanitizers see any race.
    std::vector<long long> data(kVars, 1), expected(kVars, 1);
    std::mt19937 random(7);
    const Context contexts[] = {cpu(0), gpu(0), gpu(1)};
    const engine::FnProperty gpu_props[] = {engine::FnProperty::kNormal, engine::FnProperty::kNormal,
                                            engine::FnProperty::kCopyToGPU, engine::FnProperty::kCopyFromGPU,
                                            engine::FnProperty::kPrioritized};
    for (int op = 0; op < kOps; ++op) {
      const Context ctx = contexts[random() % 3];
      const int target = static_cast<int>(random() % kVars);
      std::vector<int> sources;
      for (int k = static_cast<int>(random() % 3); k > 0; --k) {
        const int s = static_cast<int>(random() % kVars);
        if (s != target && std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
      }
      long long sum = op;
      for (int s : sources) sum += expected[s];
      expected[target] = sum % 1000003;
      std::vector<engine::VarHandle> reads;
      for (int s : sources) reads.push_back(vars[s]);
      // Up to 0.2 ms of work: the streams' threads then lag behind the operations' launches by varying amounts.
      const int work_us = static_cast<int>(random() % 5) * 50;
      auto compute = [&data, sources, target, op, work_us] {
        if (work_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(work_us));
        long long total = op;
        for (int s : sources) total += data[s];
        data[target] = total % 1000003;
      };
      if (ctx.is_gpu()) {
        const engine::FnProperty prop = gpu_props[random() % 5];
        eng->push_sync([compute](engine::RunContext run) { SimulatedGpus::launch(run.stream, compute); }, ctx, reads,
                       {vars[target]}, {.prop = prop, .name = "gpu op"});
      } else {
        eng->push_sync([compute](engine::RunContext) { compute(); }, ctx, reads, {vars[target]}, {.name = "cpu op"});
      }
      if (op % 500 == 499) eng->wait_for_var(vars[target]);  // sync points in between
    }
    eng->wait_for_all();
    CHECK(data == expected);
    for (engine::VarHandle v : vars) eng->delete_variable([](engine::RunContext) {}, cpu(0), v);
    eng->wait_for_all();
  }
}

int main(int argc, char** argv) {
  // Before any engine exists; never destroyed: the process-wide engine may release streams during static exit.
  engine::detail::set_device_runtime(new SimulatedGpus(kDevices));
  return test::run_catch(argc, argv);
}
