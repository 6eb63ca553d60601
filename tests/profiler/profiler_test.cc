// The profiler's API over the engine hook: a traced run of known operations, its Chrome trace (events, input
// shapes, flow arrows, counters), the aggregate table, pause/resume, the user's marks and configuration errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include <mx/engine/trace.h>
#include <mx/ndarray/ndarray.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/elemwise.h>
#include <mx/profiler/objects.h>
#include <mx/profiler/profiler.h>

#include "../temp_path.h"

using namespace mx;
using json = nlohmann::json;
namespace trace = engine::trace;

namespace {

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return json::parse(in);
}

// Runs `fn` with the profiler recording into a fresh buffer; returns the operations in push order.
template <class Fn>
std::vector<trace::Event> traced_operations(Fn&& fn, profiler::Config config = {}) {
  config.filename = test::temp_path("run.json");
  profiler::set_config(config);
  trace::clear();
  profiler::set_state(profiler::State::kRun);
  fn();
  nd::waitall();
  profiler::set_state(profiler::State::kStop);
  std::vector<trace::Event> ops;
  for (trace::Event& e : trace::events()) {
    if (e.id != 0) ops.push_back(e);
  }
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return ops;
}

}  // namespace

TEST_CASE("a traced run records each operation with its inputs and what it waited on", "[profiler]") {
  NDArray a, b, c, d;
  const auto ops = traced_operations([&] {
    a = nd::ones({2, 3});           // 1
    b = nd::full({3, 4}, 2.0);      // 2
    c = nd::dot(a, b);              // 3: waits on 1 and 2
    d = c + c;                      // 4: waits on 3
    a += 1.0;                       // 5: writes a, which 3 read: waits on 1 (its writer) and 3 (a reader)
  });
  REQUIRE(ops.size() == 5);
  const std::uint64_t first = ops[0].id;
  CHECK(ops[0].name == "_full");
  CHECK(ops[0].args.empty());
  CHECK(ops[0].waited_on.empty());
  CHECK(ops[2].name == "dot");
  CHECK(ops[2].args == "float32 (2, 3); float32 (3, 4)");
  CHECK(ops[2].waited_on == std::vector<std::uint64_t>{first, first + 1});
  CHECK(ops[3].args == "float32 (2, 4); float32 (2, 4)");
  CHECK(ops[3].waited_on == std::vector<std::uint64_t>{first + 2});
  CHECK(ops[4].waited_on == std::vector<std::uint64_t>{first, first + 2});
  for (const auto& op : ops) {
    CHECK(op.category == "operator");
    CHECK(op.ctx == cpu());
    CHECK(op.start_ns <= op.end_ns);
  }
  // Each operation starts after those it waited on ended.
  for (std::size_t i = 0; i < ops.size(); ++i) {
    for (std::uint64_t dep : ops[i].waited_on) CHECK(ops[dep - first].end_ns <= ops[i].start_ns);
  }
  CHECK(d.asnumpy<float>() == std::vector<float>(8, 12.0f));
}

TEST_CASE("the Chrome trace carries processes, threads, flows and counters", "[profiler]") {
  profiler::Config config;
  config.filename = test::temp_path("chrome.json");
  profiler::set_config(config);
  trace::clear();
  profiler::set_state(profiler::State::kRun);
  NDArray x = nd::ones({4, 4});
  NDArray y = x * 2.0;
  NDArray z = y + x;
  z.wait_to_read();
  profiler::set_state(profiler::State::kStop);
  profiler::dump();

  const json doc = read_json(config.filename);
  std::map<int, std::string> processes;
  std::map<std::string, json> ops;
  int flow_starts = 0, flow_ends = 0, api_calls = 0;
  std::map<std::string, std::vector<std::pair<double, double>>> counter_samples;  // (ts, value)
  for (const json& e : doc.at("traceEvents")) {
    const std::string ph = e.at("ph");
    if (ph == "M" && e.at("name") == "process_name") processes[e.at("pid")] = e["args"]["name"];
    if (ph == "X" && e.at("cat") == "operator") ops[e.at("name")] = e;
    if (ph == "X" && e.at("cat") == "api") ++api_calls;
    if (ph == "s") ++flow_starts;
    if (ph == "f") ++flow_ends;
    if (ph == "C") {
      counter_samples[e.at("name")].push_back({e.at("ts"), e["args"][e.at("name").get<std::string>()]});
    }
  }
  // Each thread's events come together in the file, the threads one after another: a counter's samples are in
  // order of time once sorted by it, as a viewer does.
  std::map<std::string, std::vector<double>> counters;
  for (auto& [name, samples] : counter_samples) {
    std::stable_sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& sample : samples) counters[name].push_back(sample.second);
  }
  CHECK(processes.size() == 2);  // cpu(0) and the host threads
  REQUIRE(ops.count("_full") == 1);
  REQUIRE(ops.count("_mul_scalar") == 1);
  REQUIRE(ops.count("elemwise_add") + ops.count("broadcast_add") == 1);
  CHECK(ops["_mul_scalar"]["args"]["inputs"] == "float32 (4, 4)");
  CHECK(processes[ops["_full"]["pid"]] == "cpu(0)");
  CHECK(api_calls == 3);
  CHECK(flow_starts == 3);  // mul <- full; add <- mul, full
  CHECK(flow_ends == 3);
  // Three arrays of 64 bytes: the pool's in-use counter climbs by 64 at each allocation.
  REQUIRE(counters.count("pool in use") == 1);
  const auto& in_use = counters["pool in use"];
  REQUIRE(in_use.size() >= 3);
  CHECK(in_use[1] - in_use[0] == 64);
  CHECK(in_use[2] - in_use[1] == 64);
  REQUIRE(counters.count("engine queue") == 1);  // the depth at each operation's push: 1 or more
  CHECK(counters["engine queue"].size() == 3);
  for (double depth : counters["engine queue"]) CHECK(depth >= 1);
}

TEST_CASE("dumps aggregates per operator, as a table or JSON, sorted as asked", "[profiler]") {
  traced_operations([] {
    NDArray x = nd::ones({8});
    for (int i = 0; i < 5; ++i) x = x * 2.0;
    x = x + 1.0;
  });
  const json stats = json::parse(profiler::dumps({.format = profiler::Format::kJson, .sort_by = profiler::SortBy::kCount}));
  const json& ops = stats.at("Time").at("operator");
  CHECK(ops.at("_mul_scalar").at("Count") == 5);
  CHECK(ops.at("_plus_scalar").at("Count") == 1);
  CHECK(ops.at("_mul_scalar").at("Min").get<double>() <= ops.at("_mul_scalar").at("Avg").get<double>());
  CHECK(ops.begin().key() == "_full");  // JSON objects list keys in order; the sort shows in the table
  CHECK(stats.at("Unit").at("Time") == "ms");
  CHECK(stats.at("Memory").at("memory").contains("cpu(0) pool in use"));

  const std::string table = profiler::dumps({.reset = true, .sort_by = profiler::SortBy::kCount});
  CHECK(table.find("Profile Statistics:") == 0);
  CHECK(table.find("_mul_scalar") < table.find("_plus_scalar"));  // 5 calls before 1
  const std::string ascending = profiler::dumps({.sort_by = profiler::SortBy::kCount, .ascending = true});
  CHECK(ascending.find("_mul_scalar") == std::string::npos);  // reset dropped everything
}

TEST_CASE("pause stops recording until resume, stop ends it", "[profiler]") {
  const auto ops = traced_operations([] {
    NDArray x = nd::ones({2});
    profiler::pause();
    NDArray hidden = x * 3.0;
    hidden.wait_to_read();
    profiler::resume();
    NDArray y = x + 1.0;
  });
  std::vector<std::string> names;
  for (const auto& op : ops) names.push_back(op.name);
  CHECK(names == std::vector<std::string>{"_full", "_plus_scalar"});
  NDArray after = nd::ones({2}) * 5.0;
  after.wait_to_read();
  CHECK(!trace::enabled());
}

TEST_CASE("the user's Task, Frame, Event, Counter and Marker land in their domain", "[profiler]") {
  traced_operations([] {
    profiler::Domain domain("data");
    {
      profiler::Task task(domain, "load batch");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    profiler::Frame frame(domain, "step");
    frame.stop();
    frame.stop();  // once only
    profiler::Event event("plain event");
    event.stop();
    profiler::Counter queued(domain, "queued", 1);
    queued += 2;
    queued -= 1;
    CHECK(queued.value() == 2);
    profiler::Marker(domain, "epoch end").mark(profiler::MarkerScope::kGlobal);
  });
  std::map<std::string, std::vector<trace::Event>> by_name;
  for (const auto& e : trace::events()) by_name[e.name].push_back(e);
  REQUIRE(by_name["load batch"].size() == 1);
  const trace::Event& task = by_name["load batch"][0];
  CHECK(task.category == "data");
  CHECK(task.host);
  CHECK(task.end_ns - task.start_ns >= 2'000'000);
  CHECK(by_name["step"].size() == 1);
  CHECK(by_name["plain event"].at(0).category == "event");
  std::vector<double> values;
  for (const auto& e : by_name["queued"]) values.push_back(e.value);
  CHECK(values == std::vector<double>{1, 3, 2});
  REQUIRE(by_name["epoch end"].size() == 1);
  CHECK(by_name["epoch end"][0].phase == trace::Phase::kInstant);
  CHECK(by_name["epoch end"][0].scope == 'g');

  // Not running: nothing is recorded.
  trace::clear();
  profiler::Domain domain("data");
  profiler::Task idle(domain, "idle");
  idle.stop();
  profiler::Counter(domain, "idle counter", 3);
  CHECK(trace::events().empty());
}

TEST_CASE("configuration flags choose what is recorded", "[profiler]") {
  profiler::Config config;
  config.profile_memory = false;
  config.profile_api = false;
  traced_operations([] { nd::ones({3}).wait_to_read(); }, config);
  for (const auto& e : trace::events()) {
    CHECK(e.category != "memory");
    CHECK(e.category != "api");
  }
  config.profile_imperative = false;
  const auto ops = traced_operations([] { nd::ones({3}).wait_to_read(); }, config);
  CHECK(ops.empty());
}

TEST_CASE("set_config refuses to change a running profiler and bad values", "[profiler]") {
  profiler::set_config({.filename = test::temp_path("x.json")});
  profiler::set_state(profiler::State::kRun);
  CHECK(profiler::state() == profiler::State::kRun);
  CHECK_THROWS_WITH(profiler::set_config({}), Catch::Contains("set_config while running"));
  profiler::set_state(profiler::State::kStop);
  CHECK_THROWS_WITH(profiler::set_config({.dump_period = 0}), Catch::Contains("dump_period must be positive"));
  CHECK_THROWS_WITH(profiler::set_config({.filename = ""}), Catch::Contains("filename is empty"));
  profiler::set_config({.filename = "/nonexistent-dir/trace.json"});
  CHECK_THROWS_WITH(profiler::dump(), Catch::Contains("/nonexistent-dir/trace.json"));
}

TEST_CASE("continuous dump rewrites the file while the profiler runs", "[profiler]") {
  const std::string path = test::temp_path("continuous.json");
  profiler::set_config({.filename = path, .continuous_dump = true, .dump_period = 0.01});
  CHECK(!std::filesystem::exists(path));
  profiler::set_state(profiler::State::kRun);
  nd::ones({2}).wait_to_read();
  // Polls for up to half a minute: the dump thread may be slow to get a core on a loaded machine.
  for (int i = 0; i < 6000 && !std::filesystem::exists(path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  profiler::set_state(profiler::State::kStop);
  REQUIRE(std::filesystem::exists(path));
  CHECK(read_json(path).contains("traceEvents"));
}
