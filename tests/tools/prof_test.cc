// mx-prof's analyses on constructed traces with known answers, and its errors on malformed files.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "critical_path.h"
#include "diff.h"
#include "html_report.h"
#include "summary.h"
#include "trace_file.h"

using namespace mxprof;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);  // prof_fuzz.cc

namespace {

std::string op(const char* name, int pid, int tid, double ts, double dur, int id, const char* waited_on) {
  return std::string("{\"name\":\"") + name + "\",\"cat\":\"operator\",\"ph\":\"X\",\"pid\":" + std::to_string(pid) +
         ",\"tid\":" + std::to_string(tid) + ",\"ts\":" + std::to_string(ts) + ",\"dur\":" + std::to_string(dur) +
         ",\"args\":{\"id\":" + std::to_string(id) + ",\"waited_on\":[" + waited_on + "],\"inputs\":\"float32 (2, 2)\"}}";
}

// Two workers of cpu(0) and one GPU stream. The longest chain by duration is B (30) -> D (10).
std::string dag_trace() {
  return std::string("{\"traceEvents\":[") +
         R"J({"name":"process_name","ph":"M","pid":0,"args":{"name":"cpu(0)"}},)J"
         R"J({"name":"process_name","ph":"M","pid":1,"args":{"name":"gpu(0)"}},)J"
         R"J({"name":"thread_name","ph":"M","pid":0,"tid":0,"args":{"name":"worker 0"}},)J"
         R"J({"name":"thread_name","ph":"M","pid":0,"tid":1,"args":{"name":"worker 1"}},)J" +
         op("A", 0, 0, 100, 10, 1, "") + "," + op("B", 0, 1, 100, 30, 2, "") + "," + op("C", 0, 0, 110, 5, 3, "1") +
         "," + op("D", 0, 1, 130, 10, 4, "2,3") + "," + op("E", 0, 0, 115, 1, 5, "3") + "," +
         op("F", 1, 0, 105, 10, 6, "") + "," +
         R"J({"name":"load","cat":"data","ph":"X","pid":2,"tid":9,"ts":90,"dur":200},)J"
         R"J({"name":"engine queue","cat":"engine","ph":"C","pid":2,"ts":100,"args":{"engine queue":3}}]})J";
}

}  // namespace

TEST_CASE("the critical path of a known DAG is found exactly", "[tools][prof]") {
  const Trace trace = parse_trace(dag_trace(), "dag.json");
  CHECK(trace.work.size() == 6);
  CHECK(trace.host.size() == 1);  // the user's span is not engine work
  CHECK(trace.counters.size() == 1);
  const CriticalPath path = critical_path(trace);
  REQUIRE(path.links.size() == 2);
  CHECK(path.links[0].op->name == "B");
  CHECK(path.links[1].op->name == "D");
  CHECK(path.links[1].wait == Approx(0));
  CHECK(path.work == Approx(40));
  CHECK(path.wall == Approx(40));
  const std::string text = format_critical_path(trace, path);
  CHECK(text.find("100.0% of the wall time") != std::string::npos);
}

TEST_CASE("the critical path counts the waits between links", "[tools][prof]") {
  const std::string text = std::string("{\"traceEvents\":[") + op("first", 0, 0, 0, 10, 1, "") + "," +
                           op("second", 0, 1, 25, 10, 2, "1") + "]}";
  const Trace trace = parse_trace(text, "gap.json");
  const CriticalPath path = critical_path(trace);
  REQUIRE(path.links.size() == 2);
  CHECK(path.links[1].wait == Approx(15));
  CHECK(path.waits == Approx(15));
  CHECK(path.work == Approx(20));
}

TEST_CASE("summary: per-operator times, busy fractions and overlap", "[tools][prof]") {
  const Summary s = summarize(parse_trace(dag_trace(), "dag.json"));
  CHECK(s.wall == Approx(40));
  REQUIRE(s.operators.size() == 6);
  CHECK(s.operators[0].name == "B");  // by total, largest first
  CHECK(s.operators[0].total == Approx(30));
  REQUIRE(s.devices.size() == 2);
  CHECK(s.devices[0].name == "cpu(0)");
  CHECK(s.devices[0].fraction == Approx(1.0));
  CHECK(s.devices[1].fraction == Approx(0.25));
  REQUIRE(s.workers.size() == 3);
  CHECK(s.workers[0].name == "cpu(0) / worker 0");
  CHECK(s.workers[0].busy == Approx(16));
  CHECK(s.workers[1].busy == Approx(40));
  REQUIRE(s.within_device_overlap.size() == 1);  // only cpu(0) has two workers
  CHECK(s.within_device_overlap[0].busy == Approx(16));
  CHECK(s.within_device_overlap[0].fraction == Approx(0.4));
  CHECK(s.cross_device_overlap == Approx(0.25));
  CHECK(s.parallelism == Approx(66.0 / 40));
  CHECK(format_summary(s).find("average parallelism 1.65") != std::string::npos);
}

TEST_CASE("covered() measures time under at least n intervals", "[tools][prof]") {
  CHECK(covered({{0, 10}, {5, 15}, {20, 30}}) == Approx(25));
  CHECK(covered({{0, 10}, {5, 15}, {20, 30}}, 2) == Approx(5));
  CHECK(covered({{0, 10}, {10, 20}}, 2) == Approx(0));  // touching is not overlapping
}

TEST_CASE("diff ranks operators by the change in their total time", "[tools][prof]") {
  const std::string a = std::string("{\"traceEvents\":[") + op("X", 0, 0, 0, 10, 1, "") + "," +
                        op("X", 0, 0, 10, 10, 2, "") + "," + op("Y", 0, 0, 20, 5, 3, "") + "]}";
  const std::string b = std::string("{\"traceEvents\":[") + op("X", 0, 0, 0, 20, 1, "") + "," +
                        op("X", 0, 0, 20, 20, 2, "") + "," + op("Z", 0, 0, 40, 3, 3, "") + "]}";
  const TraceDiff d = diff(parse_trace(a, "a.json"), parse_trace(b, "b.json"));
  REQUIRE(d.changes.size() == 3);
  CHECK(d.changes[0].name == "X");
  CHECK(d.changes[0].total_change() == Approx(20));
  CHECK(d.changes[0].average_ratio() == Approx(2.0));
  CHECK(d.changes[1].name == "Y");
  CHECK(d.changes[1].after.count == 0);
  CHECK(d.changes[2].name == "Z");
  CHECK(d.changes[2].before.count == 0);
  CHECK(d.wall_before == Approx(25));
  CHECK(d.wall_after == Approx(43));
  const std::string text = format_diff(d, "a.json", "b.json");
  CHECK(text.find("gone") != std::string::npos);
  CHECK(text.find("new") != std::string::npos);
}

TEST_CASE("malformed traces give an error naming the file and the problem", "[tools][prof]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(parse_trace("{not json", "bad.json"), Contains("bad.json") && Contains("not valid JSON"));
  CHECK_THROWS_WITH(parse_trace("{\"events\":[]}", "x.json"), Contains("no \"traceEvents\""));
  CHECK_THROWS_WITH(parse_trace("{\"traceEvents\":[{\"ph\":\"X\",\"name\":\"a\",\"pid\":0,\"ts\":1}]}", "x.json"),
                    Contains("event 0 has no \"dur\""));
  CHECK_THROWS_WITH(parse_trace("{\"traceEvents\":[{\"ph\":\"X\",\"name\":\"a\",\"pid\":0,\"ts\":\"soon\",\"dur\":1}]}",
                                "x.json"),
                    Contains("\"ts\" has the wrong type"));
  CHECK_THROWS_WITH(parse_trace("{\"traceEvents\":[{\"ph\":\"X\",\"name\":\"a\",\"pid\":0,\"ts\":1,\"dur\":-4}]}",
                                "x.json"),
                    Contains("negative duration"));
  CHECK_THROWS_WITH(parse_trace("{\"traceEvents\":[3]}", "x.json"), Contains("event 0 is not an object"));
  // Found by the fuzzer: a number beyond a double, times that overflow, a name that is not a string.
  CHECK_THROWS_WITH(parse_trace("{\"traceEvents\":[{\"ts\":1e3081}]}", "x.json"),
                    Contains("x.json") && Contains("not valid JSON") && Contains("number overflow"));
  CHECK_THROWS_WITH(parse_trace("{\"traceEvents\":[{\"ph\":\"X\",\"name\":\"a\",\"pid\":0,\"ts\":1e308,\"dur\":1e308}]}",
                                "x.json"),
                    Contains("event 0 (a) has a time beyond any run"));
  CHECK_THROWS_WITH(parse_trace("{\"traceEvents\":[{\"ph\":\"M\",\"name\":\"thread_name\",\"args\":{\"name\":7}}]}",
                                "x.json"),
                    Contains("event 0: \"name\" has the wrong type"));
  CHECK_THROWS_WITH(load_trace("/nonexistent/trace.json"), Contains("/nonexistent/trace.json") && Contains("cannot open"));
  // A Chrome trace from another tool loads, but has no dependencies for the critical path.
  const Trace foreign = parse_trace(
      "[{\"ph\":\"X\",\"name\":\"a\",\"cat\":\"operator\",\"pid\":0,\"tid\":0,\"ts\":1,\"dur\":2}]", "foreign.json");
  CHECK(foreign.work.size() == 1);
  CHECK_THROWS_WITH(critical_path(foreign), Contains("has no id"));
}

TEST_CASE("the HTML report is one page with the data and tables inline", "[tools][prof]") {
  const std::string page = html_report(parse_trace(dag_trace(), "dag<1>.json"));
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  CHECK(page.find("dag&lt;1&gt;.json") != std::string::npos);  // escaped
  CHECK(page.find("<h2>Critical path</h2>") != std::string::npos);
  CHECK(page.find("id=\"trace-data\"") != std::string::npos);
  CHECK(page.find("http://") == std::string::npos);  // no network
  CHECK(page.find("https://") == std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
}

TEST_CASE("the fuzzing corpus gives reports or errors, never a crash", "[tools][prof][fuzz]") {
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(MXPP_PROF_CORPUS)) {
    if (!entry.is_regular_file() || entry.path().extension() == ".md" || entry.path().extension() == ".dict") continue;
    ++files;
    INFO(entry.path());
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
  }
  CHECK(files > 20);
}
