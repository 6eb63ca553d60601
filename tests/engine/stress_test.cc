// Thousands of operations over random read and write sets: the engine's result must equal running them one by
// one in push order. Each update is non-commutative, so any reordering of two writes, or of a read and a write,
// on one variable changes the result.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <thread>

#include <mx/engine/engine.h>

#include "engine_test_util.h"

using namespace mx;

namespace {

constexpr std::int64_t kPrime = 1'000'000'007;

struct RandomOp {
  std::vector<int> reads;   // may repeat, may overlap writes
  std::vector<int> writes;  // may repeat
};

// w = (w * 3 + sum(reads) + w's index) mod p for each distinct written w; reads see values from before the op.
void apply(const RandomOp& op, std::int64_t* values) {
  std::int64_t sum = 0;
  for (int r : op.reads) sum = (sum + values[r]) % kPrime;
  std::vector<int> written = op.writes;
  std::sort(written.begin(), written.end());
  written.erase(std::unique(written.begin(), written.end()), written.end());
  for (int w : written) values[w] = (values[w] * 3 + sum + w) % kPrime;
}

// Operations over variables [first, first + count), reading now and then from `shared` variables too.
std::vector<RandomOp> random_ops(std::uint64_t seed, int num_ops, int first, int count, int shared_first,
                                 int shared_count) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int n) { return lo + static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  std::vector<RandomOp> ops(num_ops);
  for (RandomOp& op : ops) {
    const int num_reads = static_cast<int>(rng() % 4), num_writes = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < num_reads; ++i) op.reads.push_back(pick(first, count));
    for (int i = 0; i < num_writes; ++i) op.writes.push_back(pick(first, count));
    if (shared_count > 0 && rng() % 3 == 0) op.reads.push_back(pick(shared_first, shared_count));
    if (rng() % 8 == 0) op.reads.push_back(op.writes.front());  // an in-place update
  }
  return ops;
}

void push_all(engine::Engine& eng, const std::vector<RandomOp>& ops, const std::vector<engine::VarHandle>& vars,
              std::int64_t* values) {
  for (const RandomOp& op : ops) {
    std::vector<engine::VarHandle> reads, writes;
    for (int r : op.reads) reads.push_back(vars[r]);
    for (int w : op.writes) writes.push_back(vars[w]);
    eng.push_sync([&op, values](engine::RunContext) { apply(op, values); }, cpu(), reads, writes,
                  {.name = "random update"});
  }
}

std::vector<std::int64_t> initial_values(int n) {
  std::vector<std::int64_t> values(n);
  for (int i = 0; i < n; ++i) values[i] = i + 1;
  return values;
}

}  // namespace

TEST_CASE("random operations from one thread equal a sequential replay", "[engine][stress]") {
  constexpr int kVars = 48, kOps = 4000;
  for (const auto& [label, config] : test::all_configs()) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      INFO(label << ", seed " << seed);
      const auto ops = random_ops(seed, kOps, 0, kVars, 0, 0);
      auto expected = initial_values(kVars);
      for (const RandomOp& op : ops) apply(op, expected.data());

      auto eng = engine::create(config);
      std::vector<engine::VarHandle> vars;
      for (int i = 0; i < kVars; ++i) vars.push_back(eng->new_variable());
      auto values = initial_values(kVars);
      push_all(*eng, ops, vars, values.data());
      eng->wait_for_all();
      CHECK(values == expected);
    }
  }
}

TEST_CASE("random operations pushed from several threads at once", "[engine][stress]") {
  // Each thread writes its own variables and reads shared ones that nobody writes: its result is its own
  // sequential replay, whatever the interleaving.
  constexpr int kThreads = 4, kVarsPerThread = 12, kShared = 6, kOpsPerThread = 1500;
  constexpr int kTotal = kThreads * kVarsPerThread + kShared, kSharedFirst = kThreads * kVarsPerThread;
  for (const auto& [label, config] : test::all_configs()) {
    for (std::uint64_t seed : {11u, 12u}) {
      INFO(label << ", seed " << seed);
      std::vector<std::vector<RandomOp>> ops;
      auto expected = initial_values(kTotal);
      for (int t = 0; t < kThreads; ++t) {
        ops.push_back(random_ops(seed * 100 + t, kOpsPerThread, t * kVarsPerThread, kVarsPerThread, kSharedFirst,
                                 kShared));
        for (const RandomOp& op : ops.back()) apply(op, expected.data());
      }

      auto eng = engine::create(config);
      std::vector<engine::VarHandle> vars;
      for (int i = 0; i < kTotal; ++i) vars.push_back(eng->new_variable());
      auto values = initial_values(kTotal);
      std::vector<std::thread> pushers;
      for (int t = 0; t < kThreads; ++t) {
        pushers.emplace_back([&, t] { push_all(*eng, ops[t], vars, values.data()); });
      }
      for (auto& pusher : pushers) pusher.join();
      eng->wait_for_all();
      CHECK(values == expected);
    }
  }
}

TEST_CASE("a long chain on one variable keeps its order", "[engine][stress]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    std::int64_t value = 1, expected = 1;
    for (int i = 0; i < 20000; ++i) {
      expected = (expected * 3 + i) % kPrime;
      eng->push_sync([&value, i](engine::RunContext) { value = (value * 3 + i) % kPrime; }, cpu(), {}, {v});
    }
    eng->wait_for_var(v);
    CHECK(value == expected);
  }
}
