// The profiling hook: each operation's start and end, per device and worker, written as Chrome trace JSON.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>

#include "engine_test_util.h"

using namespace mx;
using json = nlohmann::json;

namespace {

// Checks the structure chrome://tracing and Perfetto expect; returns the operation events by name.
std::multimap<std::string, json> check_chrome_trace(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  const json trace = json::parse(in);  // throws on malformed JSON
  REQUIRE(trace.contains("traceEvents"));
  std::map<int, std::string> processes;
  std::map<std::pair<int, int>, std::string> threads;
  std::multimap<std::string, json> ops;
  for (const json& event : trace["traceEvents"]) {
    const std::string ph = event.at("ph");
    if (ph == "M" && event.at("name") == "process_name") processes[event.at("pid")] = event["args"]["name"];
    if (ph == "M" && event.at("name") == "thread_name") {
      threads[{event.at("pid"), event.at("tid")}] = event["args"]["name"];
    }
    if (ph == "X") {
      CHECK(event.at("dur").get<double>() >= 0);
      CHECK(event.at("ts").get<double>() >= 0);
      ops.emplace(event.at("name"), event);
    }
  }
  for (const auto& [name, event] : ops) {
    CHECK(processes.count(event.at("pid")) == 1);  // every event sits on a named device and worker
    CHECK(threads.count({event.at("pid"), event.at("tid")}) == 1);
  }
  return ops;
}

}  // namespace

TEST_CASE("the profiler hook records every operation with its device and worker", "[engine][trace]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::trace::clear();
    engine::trace::enable();
    engine::VarHandle a = eng->new_variable(), b = eng->new_variable();
    for (int i = 0; i < 10; ++i) {
      eng->push_sync([](engine::RunContext) {}, cpu(), {a}, {b}, {.name = "traced \"op\""});
    }
    eng->push_async([](engine::RunContext, engine::OnComplete done) { done(); }, cpu(), {}, {a},
                    {.name = "traced_async"});
    eng->wait_for_all();
    engine::trace::disable();
    eng->push_sync([](engine::RunContext) {}, cpu(), {}, {a}, {.name = "not traced"});
    eng->wait_for_all();

    const auto events = engine::trace::events();
    int sync_count = 0, async_count = 0;
    for (const auto& e : events) {
      CHECK(e.start_ns <= e.end_ns);
      CHECK(e.ctx == cpu());
      CHECK(e.name != "not traced");
      if (e.name == "traced \"op\"") ++sync_count;
      if (e.name == "traced_async") ++async_count;
    }
    CHECK(sync_count == 10);
    CHECK(async_count == 1);

    const auto path = (std::filesystem::temp_directory_path() / "mxpp_trace_test.json").string();
    engine::trace::write_chrome_trace(path);
    const auto ops = check_chrome_trace(path);
    CHECK(ops.count("traced \"op\"") == 10);
    std::filesystem::remove(path);
  }
}

TEST_CASE("a thread's events are all kept past many chunks, taken once, and recorded again after", "[engine][trace]") {
  engine::trace::clear();
  engine::trace::enable(engine::trace::kUser);
  const auto record_markers = [](int first, int count) {
    for (int i = first; i < first + count; ++i) {
      engine::trace::Event e;
      e.phase = engine::trace::Phase::kInstant;
      e.name = "marker";
      e.category = "chunk_test";
      e.host = true;
      e.id = static_cast<std::uint64_t>(i);
      engine::trace::record(std::move(e));
    }
  };
  // Values of the test's own events, in the order read back (one thread: the order they were recorded).
  const auto ids = [](const std::vector<engine::trace::Event>& events) {
    std::vector<std::uint64_t> out;
    for (const auto& e : events) {
      if (e.category == "chunk_test") out.push_back(e.id);
    }
    return out;
  };
  const int many = 3 * 4096 + 17;  // past several of a buffer's chunks
  record_markers(0, many);
  std::vector<std::uint64_t> expected(many);
  for (int i = 0; i < many; ++i) expected[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
  CHECK(ids(engine::trace::events()) == expected);       // reading leaves them in place
  CHECK(ids(engine::trace::take_events()) == expected);  // taking removes them
  CHECK(ids(engine::trace::events()).empty());
  record_markers(100, 5000);  // into the kept chunks
  const auto again = ids(engine::trace::events());
  REQUIRE(again.size() == 5000);
  CHECK(again.front() == 100);
  CHECK(again.back() == 5099);
  engine::trace::disable();
  engine::trace::clear();
  CHECK(ids(engine::trace::events()).empty());
}

TEST_CASE("clear drops every recorded operation, past many chunks, and recording goes on after it", "[engine][trace]") {
  auto eng = engine::create({});
  engine::VarHandle v = eng->new_variable();
  const auto count_named = [](const char* name) {
    const auto events = engine::trace::events();
    return std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.name == name; });
  };
  engine::trace::clear();
  engine::trace::enable();
  for (int i = 0; i < 3 * 4096 + 17; ++i) {
    eng->push_sync([](engine::RunContext) {}, cpu(), {}, {v}, {.name = "before_clear", .args = "float32 (2, 3)"});
  }
  eng->wait_for_all();
  CHECK(count_named("before_clear") == 3 * 4096 + 17);
  engine::trace::clear();
  CHECK(count_named("before_clear") == 0);
  eng->push_sync([](engine::RunContext) {}, cpu(), {}, {v}, {.name = "after_clear"});
  eng->wait_for_all();
  engine::trace::disable();
  CHECK(count_named("after_clear") == 1);
  CHECK(count_named("before_clear") == 0);
  engine::trace::clear();
}

TEST_CASE("operations keep their names and categories even when a name's memory is reused", "[engine][trace]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::trace::clear();
    engine::trace::enable();
    engine::VarHandle a = eng->new_variable();
    // One buffer holds each name in turn: the recorder must not take a pointer it saw before for the same name.
    char name[16];
    const std::vector<std::string> names = {"first", "second", "first", "third"};
    for (const std::string& n : names) {
      std::snprintf(name, sizeof name, "%s", n.c_str());
      eng->push_sync([](engine::RunContext) {}, cpu(), {}, {a}, {.name = name});
      eng->wait_for_all();  // the name must stay valid while the operation runs
    }
    eng->push_sync([](engine::RunContext) {}, cpu(), {}, {a}, {.name = "copied", .category = "copy", .args = "float32 (2)"});
    eng->wait_for_all();
    engine::trace::disable();

    std::vector<engine::trace::Event> ops;
    for (auto& e : engine::trace::take_events()) {
      if (e.id != 0) ops.push_back(std::move(e));
    }
    std::sort(ops.begin(), ops.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
    REQUIRE(ops.size() == 5);
    for (std::size_t i = 0; i < names.size(); ++i) {
      CHECK(ops[i].name == names[i]);
      CHECK(ops[i].category == "operator");
      CHECK(ops[i].args.empty());
    }
    CHECK(ops[4].name == "copied");
    CHECK(ops[4].category == "copy");
    CHECK(ops[4].args == "float32 (2)");
    CHECK(ops[4].waited_on == std::vector<std::uint64_t>{ops[3].id});  // the last writer of `a`
  }
}

TEST_CASE("writing a trace where it cannot be written names the file", "[engine][trace]") {
  CHECK_THROWS_WITH(engine::trace::write_chrome_trace("/nonexistent-dir/trace.json"),
                    Catch::Matchers::Contains("/nonexistent-dir/trace.json"));
}

// Run by CTest after mx_engine_trace_demo wrote MX_TRACE_TO_CHECK with MX_PROFILER set.
TEST_CASE("MX_PROFILER writes a trace at exit with no code change", "[.profiler_env]") {
  const char* path = std::getenv("MX_TRACE_TO_CHECK");
  REQUIRE(path != nullptr);
  const auto ops = check_chrome_trace(path);
  CHECK(ops.count("demo_produce") == 100);
  CHECK(ops.count("demo_consume") == 100);
  for (const auto& [name, event] : ops) CHECK(event.at("cat") == "operator");
}
