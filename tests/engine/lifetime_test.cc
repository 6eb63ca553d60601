// Variable deletion with work pending, asynchronous completion from other threads, nested pushes, and engines
// destroyed with work still queued.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <mx/engine/engine.h>

#include "engine_test_util.h"

using namespace mx;

TEST_CASE("deleting a variable waits for every operation pushed on it", "[engine][lifetime]") {
  for (const auto& [label, config] : test::threaded_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    test::Gate gate;
    test::Journal journal;
    eng->push_sync([&](engine::RunContext) { gate.wait(); journal.add("write"); }, cpu(), {}, {v});
    eng->push_sync([&](engine::RunContext) { journal.add("read"); }, cpu(), {v}, {});
    eng->delete_variable([&](engine::RunContext) { journal.add("delete"); }, cpu(), v);
    CHECK(journal.entries().empty());
    gate.open();
    eng->wait_for_all();
    CHECK(journal.entries() == std::vector<std::string>{"write", "read", "delete"});
  }
}

TEST_CASE("deleting variables as soon as they are used", "[engine][lifetime]") {
  // The pattern of temporaries: create, write, read, delete, many times over, with nothing leaked.
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle sum_var = eng->new_variable();
    long sum = 0;
    for (int i = 0; i < 2000; ++i) {
      auto* storage = new int(0);
      engine::VarHandle tmp = eng->new_variable();
      eng->push_sync([storage, i](engine::RunContext) { *storage = i; }, cpu(), {}, {tmp});
      eng->push_sync([storage, &sum](engine::RunContext) { sum += *storage; }, cpu(), {tmp}, {sum_var});
      eng->delete_variable([storage](engine::RunContext) { delete storage; }, cpu(), tmp);
    }
    eng->wait_for_var(sum_var);
    CHECK(sum == 1999L * 2000 / 2);
    eng->wait_for_all();
  }
}

TEST_CASE("an asynchronous operation completes from another thread", "[engine][lifetime]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable(), y = eng->new_variable();
    int value = 0, copy = -1;
    std::thread::id completer;
    eng->push_async(
        [&](engine::RunContext, engine::OnComplete done) {
          std::thread([&, done] {
            value = 42;
            completer = std::this_thread::get_id();
            done();
          }).detach();
        },
        cpu(), {}, {x}, {.name = "remote_write"});
    eng->push_sync([&](engine::RunContext) { copy = value; }, cpu(), {x}, {y});
    eng->wait_for_var(y);
    CHECK(copy == 42);
    CHECK(completer != std::this_thread::get_id());
    eng->wait_for_all();
  }
}

TEST_CASE("asynchronous operations on the prioritized pool run and complete", "[engine][lifetime]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable();
    std::atomic<int> count{0};
    for (int i = 0; i < 200; ++i) {
      const auto prop = i % 2 ? engine::FnProperty::kPrioritized : engine::FnProperty::kAsync;
      eng->push_async([&](engine::RunContext, engine::OnComplete done) { ++count; done(); }, cpu(), {}, {x},
                      {.prop = prop, .priority = i % 7});
    }
    eng->wait_for_var(x);
    CHECK(count == 200);
  }
}

TEST_CASE("prioritized work runs in priority order", "[engine][lifetime]") {
  engine::EngineConfig config;
  config.cpu_priority_workers = 1;
  auto eng = engine::create(config);
  test::Gate gate;
  test::Journal journal;
  engine::VarHandle blocker = eng->new_variable();
  // Occupy the single priority worker, queue work behind it, then let it go.
  eng->push_sync([&](engine::RunContext) { gate.wait(); }, cpu(), {}, {blocker},
                 {.prop = engine::FnProperty::kPrioritized, .priority = 100});
  std::vector<engine::VarHandle> vars;
  for (int priority : {1, 5, -3, 9, 0}) {
    vars.push_back(eng->new_variable());
    eng->push_sync([&journal, priority](engine::RunContext) { journal.add(std::to_string(priority)); }, cpu(), {},
                   {vars.back()}, {.prop = engine::FnProperty::kPrioritized, .priority = priority});
  }
  gate.open();
  eng->wait_for_all();
  CHECK(journal.entries() == std::vector<std::string>{"9", "5", "1", "0", "-3"});
}

TEST_CASE("operations may push more operations", "[engine][lifetime]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable(), y = eng->new_variable();
    int value = 0;
    eng->push_sync(
        [&](engine::RunContext) {
          value = 1;
          eng->push_sync([&](engine::RunContext) { value += 10; }, cpu(), {}, {y});
        },
        cpu(), {}, {x});
    eng->wait_for_var(x);
    eng->wait_for_all();
    CHECK(value == 11);
  }
}

TEST_CASE("destroying an engine finishes the work it was given", "[engine][lifetime]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    std::atomic<int> done{0};
    long chained = 0;
    {
      auto eng = engine::create(config);
      engine::VarHandle chain = eng->new_variable();
      std::vector<engine::VarHandle> vars;
      for (int i = 0; i < 16; ++i) vars.push_back(eng->new_variable());
      for (int i = 0; i < 3000; ++i) {
        eng->push_sync([&](engine::RunContext) { ++done; }, cpu(), {}, {vars[i % 16]});
        eng->push_sync([&chained](engine::RunContext) { ++chained; }, cpu(), {}, {chain});
      }
      // A failure nobody waited for is logged at destruction, not thrown.
      eng->push_sync([](engine::RunContext) { throw std::runtime_error("never waited for"); }, cpu(), {}, {vars[0]});
    }
    CHECK(done == 3000);
    CHECK(chained == 3000);
  }
}

TEST_CASE("the process-wide engine follows MX_ENGINE_TYPE", "[engine][lifetime]") {
  engine::Engine& eng = engine::Engine::get();
  CHECK(&eng == engine::Engine::get_shared().get());
  const char* type = std::getenv("MX_ENGINE_TYPE");
  CHECK(std::string(eng.type_name()) == (type && std::string(type) == "NaiveEngine" ? "NaiveEngine" : "ThreadedEngine"));
  engine::VarHandle v = eng.new_variable();
  int value = 0;
  eng.push_sync([&](engine::RunContext) { value = 3; }, cpu(), {}, {v});
  eng.wait_for_var(v);
  CHECK(value == 3);
  eng.delete_variable([](engine::RunContext) {}, cpu(), v);
  eng.wait_for_all();
}

namespace {
// A variable held in static storage, as an array in a global is: deleted during static destruction, after the
// main thread's thread_local objects are gone. Nothing is pending on it, so the deletion runs inline, on the
// main thread.
struct StaticVariable {
  std::shared_ptr<engine::Engine> engine = engine::Engine::get_shared();
  engine::VarHandle var = engine->new_variable();
  ~StaticVariable() {
    engine->delete_variable([](engine::RunContext) {}, cpu(), var);
    engine->wait_for_all();
  }
};
}  // namespace

// Run by its own CTest case: what it checks happens after main returns (a crash there, or ASan's report).
TEST_CASE("a variable deleted during static destruction", "[.static_exit]") {
  static StaticVariable held;
  // An inline deletion on this thread now too, so that the thread's engine state exists and is torn down at
  // exit before `held` goes.
  engine::Engine::get().delete_variable([](engine::RunContext) {}, cpu(), engine::Engine::get().new_variable());
  engine::Engine::get().wait_for_all();
}
