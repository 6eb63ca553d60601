// Per-variable ordering: read-after-write, write-after-read, write-after-write, and readers that overlap.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>

#include "engine_test_util.h"

using namespace mx;
using Strings = std::vector<std::string>;
using Catch::Matchers::Contains;

namespace {

// Configurations where a wrongly released operation can run while a gated one blocks a worker.
std::vector<test::NamedConfig> parallel_configs() {
  auto configs = test::threaded_configs();
  std::erase_if(configs, [](const auto& c) { return c.config.cpu_workers < 2; });
  return configs;
}

// Runs a few unrelated operations to completion, so that anything wrongly made ready has been run by now.
void settle(engine::Engine& eng) {
  engine::VarHandle probe = eng.new_variable();
  for (int i = 0; i < 8; ++i) {
    eng.push_sync([](engine::RunContext) {}, cpu(), {}, {probe}, {.name = "probe"});
    eng.wait_for_var(probe);
  }
  eng.delete_variable([](engine::RunContext) {}, cpu(), probe);
}

auto note(test::Journal& journal, std::string entry) {
  return [&journal, entry](engine::RunContext) { journal.add(entry); };
}

auto gated_note(test::Gate& gate, test::Journal& journal, std::string entry) {
  return [&gate, &journal, entry](engine::RunContext) {
    gate.wait();
    journal.add(entry);
  };
}

}  // namespace

TEST_CASE("a read waits for the write pushed before it", "[engine][order]") {
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    test::Gate gate;
    test::Journal journal;
    eng->push_sync(gated_note(gate, journal, "write"), cpu(), {}, {v});
    eng->push_sync(note(journal, "read"), cpu(), {v}, {});
    settle(*eng);
    gate.open();
    eng->wait_for_all();
    CHECK(journal.entries() == Strings{"write", "read"});
  }
}

TEST_CASE("a write waits for every read pushed before it", "[engine][order]") {
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    test::Gate gate;
    test::Journal journal;
    eng->push_sync(gated_note(gate, journal, "read"), cpu(), {v}, {});
    eng->push_sync(note(journal, "write"), cpu(), {}, {v});
    settle(*eng);
    gate.open();
    eng->wait_for_all();
    CHECK(journal.entries() == Strings{"read", "write"});
  }
}

TEST_CASE("wait_for_var_writable waits for running reads as well as writes, and not at all when idle",
          "[engine][order]") {
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    test::Gate gate;
    test::Journal journal;
    eng->push_sync(gated_note(gate, journal, "read"), cpu(), {v}, {});
    std::thread opener([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      journal.add("opening");
      gate.open();
    });
    eng->wait_for_var(v);  // a read does not hold up readers
    CHECK(journal.entries().empty());
    eng->wait_for_var_writable(v, cpu());  // but it holds up a writer
    journal.add("writable");
    opener.join();
    CHECK(journal.entries() == Strings{"opening", "read", "writable"});
  }
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    // Idle: returns at once, and still rethrows the variable's error.
    eng->wait_for_var_writable(v, cpu());
    eng->push_sync([](engine::RunContext) { throw std::runtime_error("bad values"); }, cpu(), {}, {v},
                   {.name = "broken_write"});
    CHECK_THROWS_WITH(eng->wait_for_var_writable(v, cpu()), Contains("broken_write"));
    eng->wait_for_all();
    CHECK_THROWS_WITH(eng->wait_for_var_writable(v, cpu()), Contains("broken_write"));  // kept until rewritten
  }
}

TEST_CASE("writes to one variable run in push order", "[engine][order]") {
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    test::Gate gate;
    test::Journal journal;
    eng->push_sync(gated_note(gate, journal, "first"), cpu(), {}, {v});
    eng->push_sync(note(journal, "second"), cpu(), {}, {v});
    eng->push_sync(note(journal, "third"), cpu(), {}, {v});
    settle(*eng);
    gate.open();
    eng->wait_for_all();
    CHECK(journal.entries() == Strings{"first", "second", "third"});
  }
}

TEST_CASE("reads queued behind a write wait for it, reads before it do not", "[engine][order]") {
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    test::Gate hold_read, hold_write;
    test::Journal journal;
    eng->push_sync(gated_note(hold_read, journal, "early read"), cpu(), {v}, {});
    eng->push_sync(gated_note(hold_write, journal, "write"), cpu(), {}, {v});
    eng->push_sync(note(journal, "late read"), cpu(), {v}, {});
    settle(*eng);
    hold_write.open();  // the write may not start before the early read ends, whatever this gate says
    settle(*eng);
    CHECK(journal.entries().empty());
    hold_read.open();
    eng->wait_for_all();
    CHECK(journal.entries() == Strings{"early read", "write", "late read"});
  }
}

TEST_CASE("an in-place update orders like a write", "[engine][order]") {
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    test::Gate gate;
    test::Journal journal;
    eng->push_sync(gated_note(gate, journal, "read"), cpu(), {v}, {});
    eng->push_sync(note(journal, "update"), cpu(), {v}, {v});  // listed in both sets
    eng->push_sync(note(journal, "read again"), cpu(), {v}, {});
    settle(*eng);
    gate.open();
    eng->wait_for_all();
    CHECK(journal.entries() == Strings{"read", "update", "read again"});
  }
}

TEST_CASE("a variable listed twice is used once", "[engine][order]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle a = eng->new_variable();
    engine::VarHandle b = eng->new_variable();
    int runs = 0;
    eng->push_sync([&](engine::RunContext) { ++runs; }, cpu(), {a, a, b}, {b, a, b});
    eng->push_sync([&](engine::RunContext) { ++runs; }, cpu(), {a}, {b});
    // A long list takes the sorting path of the merge.
    std::vector<engine::VarHandle> many(40, a);
    many.push_back(b);
    eng->push_sync([&](engine::RunContext) { ++runs; }, cpu(), many, many);
    eng->wait_for_var(a);
    eng->wait_for_var(b);
    eng->wait_for_all();
    CHECK(runs == 3);
  }
}

TEST_CASE("readers of one variable run concurrently", "[engine][order]") {
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    engine::trace::clear();
    engine::trace::enable();
    test::Arrivals arrivals;
    bool met[2] = {false, false};
    eng->push_sync([](engine::RunContext) {}, cpu(), {}, {v}, {.name = "producer"});
    for (int i = 0; i < 2; ++i) {
      // Each reader waits for the other to have started: they can only both finish by overlapping.
      eng->push_sync(
          [&, i](engine::RunContext) {
            arrivals.arrive();
            met[i] = arrivals.wait_for(2);
          },
          cpu(), {v}, {}, {.name = i == 0 ? "reader 0" : "reader 1"});
    }
    eng->wait_for_all();
    engine::trace::disable();
    CHECK(met[0]);
    CHECK(met[1]);

    // The profiler's recorded intervals overlap, and both come after the producer's.
    const auto events = engine::trace::events();
    auto find = [&](const std::string& name) {
      auto it = std::find_if(events.begin(), events.end(), [&](const auto& e) { return e.name == name; });
      REQUIRE(it != events.end());
      return *it;
    };
    const auto producer = find("producer"), r0 = find("reader 0"), r1 = find("reader 1");
    CHECK(r0.start_ns < r1.end_ns);
    CHECK(r1.start_ns < r0.end_ns);
    CHECK(producer.end_ns <= std::min(r0.start_ns, r1.start_ns));
    CHECK(r0.worker != r1.worker);
  }
}

TEST_CASE("independent operations pushed while a worker waits for more work still run at once", "[engine][order]") {
  // A worker that has just emptied its pool's list waits a moment for more instead of leaving; two operations
  // pushed then must not both go to it. The first waits (up to 2 s) to see the second start: on one worker it
  // would not, until it gave up.
  for (const auto& [label, config] : parallel_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle probe = eng->new_variable(), a = eng->new_variable(), b = eng->new_variable();
    int overlapped = 0;
    constexpr int kRounds = 50;
    for (int round = 0; round < kRounds; ++round) {
      eng->push_sync([](engine::RunContext) {}, cpu(), {}, {probe});
      eng->wait_for_var(probe);  // a worker is now waiting for work
      std::atomic<bool> second_started{false}, saw_second{false};
      eng->push_sync(
          [&](engine::RunContext) {
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            while (!second_started.load() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
            saw_second.store(second_started.load());
          },
          cpu(), {}, {a}, {.name = "first"});
      eng->push_sync([&](engine::RunContext) { second_started.store(true); }, cpu(), {}, {b}, {.name = "second"});
      eng->wait_for_var(a);
      eng->wait_for_var(b);
      overlapped += saw_second.load() ? 1 : 0;
    }
    CHECK(overlapped == kRounds);
    for (engine::VarHandle v : {probe, a, b}) eng->delete_variable([](engine::RunContext) {}, cpu(), v);
  }
}
