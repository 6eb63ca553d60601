// mxpp's engine on the four workloads.
#include <chrono>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>

#include "peer.h"

namespace mx::bench {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct alignas(64) Counter {  // one cache line each: the workloads measure the engine, not false sharing
  long value = 0;
};

class MxppPeer final : public Peer {
 public:
  MxppPeer(bool threaded, bool profiled) : threaded_(threaded), profiled_(profiled) {}
  ~MxppPeer() override {
    if (profiled_) {
      engine::trace::disable();
      engine::trace::clear();
    }
  }
  std::string name() const override { return profiled_ ? "mxpp profiled" : threaded_ ? "mxpp threaded" : "mxpp naive"; }

  double independent(const Workloads& w) override {
    auto eng = make_engine();
    std::vector<engine::VarHandle> vars;
    for (int i = 0; i < w.tiny_vars; ++i) vars.push_back(eng->new_variable());
    std::vector<Counter> counters(w.tiny_vars);
    const auto start = Clock::now();
    for (long i = 0; i < w.tiny_ops; ++i) {
      const long k = i % w.tiny_vars;
      eng->push_sync([c = &counters[k]](engine::RunContext) { ++c->value; }, cpu(), {}, {vars[k]});
    }
    eng->wait_for_all();
    return seconds_since(start);
  }

  double chain(const Workloads& w) override {
    auto eng = make_engine();
    engine::VarHandle var = eng->new_variable();
    Counter counter;
    const auto start = Clock::now();
    for (long i = 0; i < w.chain_ops; ++i) {
      eng->push_sync([c = &counter](engine::RunContext) { ++c->value; }, cpu(), {}, {var});
    }
    eng->wait_for_all();
    return seconds_since(start);
  }

  double fan(const Workloads& w) override {
    auto eng = make_engine();
    engine::VarHandle source = eng->new_variable(), sink = eng->new_variable();
    std::vector<engine::VarHandle> outs;
    for (int j = 0; j < w.fan_width; ++j) outs.push_back(eng->new_variable());
    std::vector<Counter> values(w.fan_width + 2);
    Counter* src = &values[w.fan_width];
    Counter* dst = &values[w.fan_width + 1];
    const auto start = Clock::now();
    for (int round = 0; round < w.fan_rounds; ++round) {
      eng->push_sync([src](engine::RunContext) { ++src->value; }, cpu(), {}, {source});
      for (int j = 0; j < w.fan_width; ++j) {
        eng->push_sync([src, out = &values[j]](engine::RunContext) { out->value = src->value + 1; }, cpu(),
                       {source}, {outs[j]});
      }
      eng->push_sync(
          [&values, dst, width = w.fan_width](engine::RunContext) {
            for (int j = 0; j < width; ++j) dst->value += values[j].value;
          },
          cpu(), outs, {sink});
    }
    eng->wait_for_all();
    return seconds_since(start);
  }

  StreamTimes streams(HeavyWork& a, HeavyWork& b, int per_stream) override {
    // Two workers, whatever the machine: the workload asks how well two streams share two of them.
    auto eng = make_engine(2);
    engine::VarHandle var_a = eng->new_variable(), var_b = eng->new_variable();
    return time_streams(
        a, b,
        [&](HeavyWork& work) {
          engine::VarHandle var = &work == &a ? var_a : var_b;
          for (int i = 0; i < per_stream; ++i) {
            eng->push_sync([&work](engine::RunContext) { work.run(); }, cpu(), {var}, {var}, {.name = "heavy"});
          }
        },
        [&] { eng->wait_for_all(); });
  }

 private:
  // A fresh engine whose CPU pool already exists, so that its creation is not timed.
  std::unique_ptr<engine::Engine> make_engine(int workers = 0) {
    engine::EngineConfig config;
    config.type = threaded_ ? engine::EngineType::kThreaded : engine::EngineType::kNaive;
    config.cpu_workers = workers;
    auto eng = engine::create(config);
    if (profiled_) {  // everything the profiler records, each run starting from an empty buffer
      engine::trace::clear();
      engine::trace::enable(engine::trace::kAll);
    }
    engine::VarHandle warm = eng->new_variable();
    eng->push_sync([](engine::RunContext) {}, cpu(), {}, {warm});
    eng->wait_for_all();
    return eng;
  }

  bool threaded_;
  bool profiled_;
};

}  // namespace

std::unique_ptr<Peer> make_mxpp_peer(bool threaded) { return std::make_unique<MxppPeer>(threaded, false); }
std::unique_ptr<Peer> make_mxpp_profiled_peer() { return std::make_unique<MxppPeer>(true, true); }

}  // namespace mx::bench
