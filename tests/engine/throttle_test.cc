// max_pending: an application thread that never syncs runs at most that far ahead of the workers; workers and
// operations that push work are never held back.
#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <thread>

#include <mx/engine/engine.h>

#include "engine_test_util.h"

using namespace mx;

TEST_CASE("a pushing thread waits once max_pending operations are outstanding", "[engine][throttle]") {
  for (auto [label, config] : test::threaded_configs()) {
    INFO(label);
    config.max_pending = 16;
    auto eng = engine::create(config);
    engine::VarHandle chain = eng->new_variable();
    std::atomic<int> done{0};
    int worst = 0;
    for (int pushed = 1; pushed <= 2000; ++pushed) {
      eng->push_sync([&](engine::RunContext) { done.fetch_add(1); }, cpu(), {}, {chain}, {.name = "step"});
      worst = std::max(worst, pushed - done.load());
    }
    eng->wait_for_all();
    CHECK(done.load() == 2000);
    CHECK(worst <= 17);  // the limit, plus the push that reached it
  }
}

TEST_CASE("max_pending 0 lets a thread run ahead without bound", "[engine][throttle]") {
  engine::EngineConfig config;
  config.cpu_workers = 1;
  config.max_pending = 0;
  auto eng = engine::create(config);
  engine::VarHandle gate = eng->new_variable(), chain = eng->new_variable();
  test::Gate open;
  eng->push_sync([&](engine::RunContext) { open.wait(); }, cpu(), {}, {gate}, {.name = "held"});
  for (int i = 0; i < 5000; ++i) eng->push_sync([](engine::RunContext) {}, cpu(), {gate}, {chain}, {.name = "queued"});
  open.open();  // reached only because none of the 5000 pushes waited
  eng->wait_for_all();
}

TEST_CASE("operations and threads under an UnthrottledScope are never held back", "[engine][throttle]") {
  engine::EngineConfig config;
  config.cpu_workers = 2;
  config.max_pending = 4;
  auto eng = engine::create(config);
  engine::VarHandle chain = eng->new_variable(), other = eng->new_variable();
  std::atomic<int> inner{0};
  // One operation pushes 100 more: were it throttled it would wait for work queued behind itself.
  eng->push_sync([&](engine::RunContext) {
    for (int i = 0; i < 100; ++i) {
      eng->push_sync([&](engine::RunContext) { inner.fetch_add(1); }, cpu(), {}, {other}, {.name = "inner"});
    }
  }, cpu(), {}, {chain}, {.name = "outer"});
  eng->wait_for_all();
  CHECK(inner.load() == 100);

  // A producer thread pushes past the limit while the engine's work is held: it must not wait.
  test::Gate open;
  eng->push_sync([&](engine::RunContext) { open.wait(); }, cpu(), {}, {chain}, {.name = "held"});
  std::thread producer([&] {
    engine::UnthrottledScope unthrottled;
    CHECK(engine::UnthrottledScope::active());
    for (int i = 0; i < 100; ++i) eng->push_sync([](engine::RunContext) {}, cpu(), {chain}, {other}, {.name = "after"});
  });
  producer.join();  // reached only because no push waited
  open.open();
  eng->wait_for_all();
  CHECK(!engine::UnthrottledScope::active());
}

TEST_CASE("a negative max_pending is refused, the default bounds run-ahead", "[engine][throttle][config]") {
  engine::EngineConfig config;
  config.max_pending = -1;
  CHECK_THROWS_WITH(engine::create(config), Catch::Contains("max_pending"));
  CHECK(engine::EngineConfig{}.max_pending == 1024);
}

TEST_CASE("no push waits while a ThrottleHold lives on any thread", "[engine][throttle]") {
  engine::EngineConfig config;
  config.cpu_workers = 1;
  config.max_pending = 4;
  auto eng = engine::create(config);
  engine::VarHandle gate = eng->new_variable(), chain = eng->new_variable();
  test::Gate open;
  eng->push_sync([&](engine::RunContext) { open.wait(); }, cpu(), {}, {gate}, {.name = "held"});
  {
    // Held on another thread (as an exchange among devices holds it while members are still to come): this
    // thread's pushes past the limit do not wait for the held work.
    std::optional<engine::ThrottleHold> hold;
    std::thread holder([&] { hold.emplace(); });
    holder.join();
    CHECK(engine::ThrottleHold::active());
    for (int i = 0; i < 100; ++i) eng->push_sync([](engine::RunContext) {}, cpu(), {gate}, {chain}, {.name = "queued"});
    hold.reset();
  }
  CHECK(!engine::ThrottleHold::active());
  open.open();
  eng->wait_for_all();
}
