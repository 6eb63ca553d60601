// What each traced operation waited on: derived when the trace is read from the writes its variables had seen.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <vector>

#include <mx/engine/engine.h>
#include <mx/engine/trace.h>
#include <mx/engine/trace_dependencies.h>

#include "engine_test_util.h"

using namespace mx;
using engine::trace::Event;
using engine::trace::VarTouch;
using Ids = std::vector<std::uint64_t>;

namespace {

Event operation(std::uint64_t id, std::vector<VarTouch> touches) {
  Event e;
  e.id = id;
  e.touches = std::move(touches);
  return e;
}

VarTouch read_after(std::uint64_t writer) { return {writer, false}; }
VarTouch write_after(std::uint64_t writer) { return {writer, true}; }

// The traced operations of `events` by name, each name once.
std::map<std::string, Event> by_name(std::vector<Event> events) {
  std::map<std::string, Event> out;
  for (Event& e : events) {
    if (e.id != 0) out[e.name] = std::move(e);
  }
  return out;
}

}  // namespace

TEST_CASE("waits are derived from the writes each operation's variables had seen", "[engine][trace]") {
  const std::uint64_t u = engine::trace::kFirstVariableNumber | 42;  // a variable no traced operation had written
  // In push order, over variables v, y, u and z:
  std::vector<Event> events = {
      operation(1, {write_after(0)}),                  // writes v, which nothing traced touched before
      operation(2, {read_after(1)}),                   // reads v
      operation(3, {read_after(1)}),                   // reads v
      operation(4, {write_after(1), write_after(0)}),  // writes v (after its writer and readers) and y
      operation(5, {read_after(4)}),                   // reads v
      operation(6, {read_after(u)}),                   // reads u, never written while traced
      operation(7, {write_after(u)}),                  // writes u: after its reader only
      operation(8, {read_after(4), write_after(7)}),   // reads v, writes u
      operation(9, {read_after(8), read_after(4)}),    // reads u and y
      operation(10, {read_after(4), read_after(4)}),   // reads v and y, both last written by 4: 4 once
      operation(11, {write_after(99)}),                // writes z, last written by an operation not among these
  };
  events.push_back(Event{});  // not an operation: left alone
  events.back().name = "marker";
  engine::trace::detail::derive_waited_on(events);
  const std::vector<Ids> expected = {{}, {1}, {1}, {1, 2, 3}, {4}, {}, {6}, {4, 7}, {4, 8}, {4}, {99}, {}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("operation " << events[i].id);
    CHECK(events[i].waited_on == expected[i]);
    CHECK(events[i].touches.empty());  // dropped once used
  }
}

TEST_CASE("a writer waits on the first 256 readers since the last write, in push order", "[engine][trace]") {
  std::vector<Event> events;
  for (std::uint64_t id = 400; id >= 100; --id) events.push_back(operation(id, {read_after(1)}));  // 301 readers
  events.push_back(operation(1, {write_after(0)}));
  events.push_back(operation(500, {write_after(1)}));
  engine::trace::detail::derive_waited_on(events);
  Ids expected = {1};
  for (std::uint64_t id = 100; id < 356; ++id) expected.push_back(id);
  CHECK(events.back().waited_on == expected);
}

TEST_CASE("traced runs wait on the operations that wrote and read their variables, however traced", "[engine][trace]") {
  for (const auto& [label, config] : test::all_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable(), w = eng->new_variable();
    eng->push_sync([](engine::RunContext) {}, cpu(), {}, {v}, {.name = "untraced write"});
    eng->wait_for_all();
    engine::trace::clear();
    engine::trace::enable(engine::trace::kOperators);
    // v's first traced operations read it: they are numbered by the variable, and its first traced writer
    // waits on them alone.
    eng->push_sync([](engine::RunContext) {}, cpu(), {v}, {w}, {.name = "read v, write w"});
    eng->push_sync([](engine::RunContext) {}, cpu(), {v}, {}, {.name = "read v"});
    eng->push_sync([](engine::RunContext) {}, cpu(), {w}, {v}, {.name = "read w, write v"});
    eng->push_sync([](engine::RunContext) {}, cpu(), {v, w}, {}, {.name = "read both"});
    eng->wait_for_all();
    engine::trace::disable();
    auto ops = by_name(engine::trace::take_events());
    REQUIRE(ops.size() == 4);
    const std::uint64_t first = ops["read v, write w"].id;
    CHECK(ops["read v, write w"].waited_on.empty());
    CHECK(ops["read v"].waited_on.empty());
    CHECK(ops["read w, write v"].waited_on == Ids{first, first + 1});
    CHECK(ops["read both"].waited_on == Ids{first, first + 2});
  }
}

TEST_CASE("an operation's record is in the trace once a wait on its output returns", "[engine][trace]") {
  // Workers record a run after releasing what waited on it: reading the trace must wait for that record, and
  // find the name the record added to the recorder's table after the reader had looked at it.
  for (const auto& [label, config] : test::threaded_configs()) {
    INFO(label);
    auto eng = engine::create(config);
    engine::VarHandle v = eng->new_variable();
    std::vector<std::string> names;
    for (int i = 0; i < 2000; ++i) names.push_back(label + " awaited " + std::to_string(i));
    engine::trace::clear();
    engine::trace::enable(engine::trace::kOperators);
    int missing = 0;
    for (const std::string& name : names) {
      eng->push_sync([](engine::RunContext) {}, cpu(), {}, {v}, {.name = name.c_str()});
      eng->wait_for_var(v);
      const auto events = engine::trace::take_events();
      missing += std::none_of(events.begin(), events.end(), [&](const Event& e) { return e.name == name; });
    }
    engine::trace::disable();
    CHECK(missing == 0);
  }
}
