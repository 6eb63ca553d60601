// An exception inside an operation stays on the variables it writes, skips what depends on them, and is
// rethrown at the sync points; everything else keeps running.
#include <catch2/catch.hpp>

#include <thread>

#include <mx/engine/engine.h>
#include <mx/engine/error.h>

#include "engine_test_util.h"

using namespace mx;
using Catch::Matchers::Contains;

namespace {

auto fail_with(const char* message) {
  return [message](engine::RunContext) { throw std::invalid_argument(message); };
}

// The exception nested inside an OperatorError.
std::string nested_message(const OperatorError& error) {
  try {
    std::rethrow_if_nested(error);
  } catch (const std::invalid_argument& original) {
    return original.what();
  } catch (...) {
    return "an unexpected nested type";
  }
  return "nothing nested";
}

}  // namespace

TEST_CASE("a failure skips its dependents and is rethrown when waited for", "[engine][errors]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable(), y = eng->new_variable(), z = eng->new_variable();
    engine::VarHandle unrelated = eng->new_variable();
    bool dependent_ran = false, second_dependent_ran = false, unrelated_ran = false;

    eng->push_sync(fail_with("bad shape (2, 3)"), cpu(), {}, {x}, {.name = "broken_op"});
    eng->push_sync([&](engine::RunContext) { dependent_ran = true; }, cpu(), {x}, {y}, {.name = "uses_x"});
    eng->push_sync([&](engine::RunContext) { second_dependent_ran = true; }, cpu(), {y}, {z}, {.name = "uses_y"});
    eng->push_sync([&](engine::RunContext) { unrelated_ran = true; }, cpu(), {}, {unrelated});

    // The error reaches z through y, naming the operation that failed, with the original nested.
    try {
      eng->wait_for_var(z);
      FAIL("wait_for_var did not throw");
    } catch (const OperatorError& e) {
      CHECK(e.op_name() == "broken_op");
      CHECK_THAT(e.what(), Contains("broken_op") && Contains("bad shape (2, 3)"));
      CHECK(nested_message(e) == "bad shape (2, 3)");
    }
    CHECK_THROWS_AS(eng->wait_for_var(x), OperatorError);  // still failed: its data was never produced
    eng->wait_for_var(unrelated);
    CHECK(unrelated_ran);
    CHECK_FALSE(dependent_ran);
    CHECK_FALSE(second_dependent_ran);
    // Already reported by wait_for_var: wait_for_all has nothing new to say.
    CHECK_NOTHROW(eng->wait_for_all());
  }
}

TEST_CASE("wait_for_all rethrows the first unreported failure, once", "[engine][errors]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle a = eng->new_variable(), b = eng->new_variable();
    eng->push_sync(fail_with("first"), cpu(), {}, {a}, {.name = "first_failure"});
    eng->wait_for_var(b);  // unrelated: no throw
    eng->push_sync(fail_with("second"), cpu(), {a}, {b}, {.name = "never_runs"});
    eng->push_sync(fail_with("third"), cpu(), {}, {b}, {.name = "third_failure"});
    try {
      eng->wait_for_all();
      FAIL("wait_for_all did not throw");
    } catch (const OperatorError& e) {
      CHECK(e.op_name() == "first_failure");
    }
    CHECK_NOTHROW(eng->wait_for_all());
  }
}

TEST_CASE("a variable written again successfully is clean", "[engine][errors]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable();
    int value = 0;
    eng->push_sync(fail_with("boom"), cpu(), {}, {x});
    // An in-place update reads the broken value: it is skipped and the variable stays failed.
    eng->push_sync([&](engine::RunContext) { value += 1; }, cpu(), {x}, {x});
    CHECK_THROWS_AS(eng->wait_for_var(x), OperatorError);
    CHECK(value == 0);
    // A plain write produces new data.
    eng->push_sync([&](engine::RunContext) { value = 7; }, cpu(), {}, {x});
    CHECK_NOTHROW(eng->wait_for_var(x));
    eng->push_sync([&](engine::RunContext) { value *= 2; }, cpu(), {x}, {x});
    eng->wait_for_var(x);
    CHECK(value == 14);
    CHECK_NOTHROW(eng->wait_for_all());
  }
}

TEST_CASE("an asynchronous operation reports its failure through OnComplete", "[engine][errors]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable(), y = eng->new_variable();
    eng->push_async(
        [](engine::RunContext, engine::OnComplete done) {
          std::thread([done] { done(std::make_exception_ptr(std::invalid_argument("device lost"))); }).detach();
        },
        cpu(), {}, {x}, {.name = "async_copy"});
    bool ran = false;
    eng->push_sync([&](engine::RunContext) { ran = true; }, cpu(), {x}, {y});
    CHECK_THROWS_WITH(eng->wait_for_var(y), Contains("async_copy") && Contains("device lost"));
    CHECK_FALSE(ran);

    // Throwing before completing counts as completing with that error.
    engine::VarHandle z = eng->new_variable();
    eng->push_async([](engine::RunContext, engine::OnComplete) { throw std::invalid_argument("no launch"); }, cpu(),
                    {}, {z}, {.name = "bad_launch"});
    CHECK_THROWS_WITH(eng->wait_for_var(z), Contains("bad_launch") && Contains("no launch"));
    eng->wait_for_all();
  }
}

TEST_CASE("waiting inside an operation is an error, not a deadlock", "[engine][errors]") {
  for (const auto& [label, config] : test::threaded_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable(), y = eng->new_variable();
    eng->push_sync([&](engine::RunContext) { eng->wait_for_var(x); }, cpu(), {}, {y}, {.name = "waits_inside"});
    CHECK_THROWS_WITH(eng->wait_for_var(y), Contains("waits_inside") && Contains("inside an engine operation"));
  }
}

TEST_CASE("unusable contexts and variables are refused at the push", "[engine][errors]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable();
    auto noop = [](engine::RunContext) {};
    CHECK_THROWS_WITH(eng->push_sync(noop, gpu(15), {}, {x}), Contains("gpu(15) is not available"));
    if (config.type == engine::EngineType::kThreaded) {
      CHECK_THROWS_WITH(eng->push_sync(noop, cpu(-1), {}, {x}), Contains("cpu(-1)"));
    }
    CHECK_THROWS_WITH(eng->push_sync(noop, cpu(), {nullptr}, {x}, {.name = "op_with_null"}),
                      Contains("op_with_null") && Contains("null variable"));
    CHECK_NOTHROW(eng->wait_for_all());
  }
}

TEST_CASE("pushing on a variable whose deletion is pending is refused", "[engine][errors]") {
  for (const auto& [label, config] : test::threaded_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle x = eng->new_variable();
    test::Gate gate;
    eng->push_sync([&](engine::RunContext) { gate.wait(); }, cpu(), {}, {x});
    eng->delete_variable([](engine::RunContext) {}, cpu(), x);  // waits behind the gated write
    CHECK_THROWS_WITH(eng->push_sync([](engine::RunContext) {}, cpu(), {x}, {}), Contains("deleted variable"));
    gate.open();
    CHECK_NOTHROW(eng->wait_for_all());
  }
}
