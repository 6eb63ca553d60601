#include "trace_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace mxprof {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// A field of event number `index`, of the type asked; a clear error otherwise.
template <class T>
T field(const json& event, const char* key, std::size_t index, const std::string& path) {
  const auto it = event.find(key);
  if (it == event.end()) fail(path, "event " + std::to_string(index) + " has no \"" + key + "\"");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    fail(path, "event " + std::to_string(index) + ": \"" + key + "\" has the wrong type (" + it->dump() + ")");
  }
}

bool is_work(const std::string& category) { return category == "operator" || category == "copy"; }

}  // namespace

double Trace::begin() const {
  double first = work.empty() ? 0 : work.front().start;
  for (const Span& s : work) first = std::min(first, s.start);
  return first;
}

double Trace::end() const {
  double last = 0;
  for (const Span& s : work) last = std::max(last, s.end());
  return last;
}

std::string Trace::process_name(int pid) const {
  const auto it = processes.find(pid);
  return it != processes.end() ? it->second : "process " + std::to_string(pid);
}

std::string Trace::thread_name(int pid, int tid) const {
  const auto it = threads.find({pid, tid});
  return it != threads.end() ? it->second : "thread " + std::to_string(tid);
}

Trace parse_trace(const std::string& text, const std::string& path) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(path, std::string("not valid JSON (") + e.what() + ")");
  }
  const json* events = nullptr;
  if (doc.is_object() && doc.contains("traceEvents")) events = &doc["traceEvents"];
  if (doc.is_array()) events = &doc;  // the format's plain-array form
  if (events == nullptr || !events->is_array()) fail(path, "not a Chrome trace: no \"traceEvents\" array");

  Trace trace;
  trace.path = path;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const json& e = (*events)[i];
    if (!e.is_object()) fail(path, "event " + std::to_string(i) + " is not an object");
    const std::string ph = field<std::string>(e, "ph", i, path);
    if (ph == "M") {
      const std::string name = field<std::string>(e, "name", i, path);
      const std::string label = e.contains("args") && e["args"].contains("name") ? e["args"]["name"].get<std::string>() : "";
      if (name == "process_name") trace.processes[field<int>(e, "pid", i, path)] = label;
      if (name == "thread_name") trace.threads[{field<int>(e, "pid", i, path), field<int>(e, "tid", i, path)}] = label;
    } else if (ph == "X") {
      Span s;
      s.name = field<std::string>(e, "name", i, path);
      s.category = e.contains("cat") ? field<std::string>(e, "cat", i, path) : "";
      s.pid = field<int>(e, "pid", i, path);
      s.tid = e.contains("tid") ? field<int>(e, "tid", i, path) : 0;
      s.start = field<double>(e, "ts", i, path);
      s.duration = field<double>(e, "dur", i, path);
      if (s.duration < 0) fail(path, "event " + std::to_string(i) + " (" + s.name + ") has a negative duration");
      if (const auto args = e.find("args"); args != e.end() && args->is_object()) {
        if (args->contains("id")) s.id = field<std::uint64_t>(*args, "id", i, path);
        if (args->contains("waited_on")) s.waited_on = field<std::vector<std::uint64_t>>(*args, "waited_on", i, path);
        if (args->contains("inputs")) s.inputs = field<std::string>(*args, "inputs", i, path);
      }
      (is_work(s.category) ? trace.work : trace.host).push_back(std::move(s));
    } else if (ph == "C") {
      const std::string name = field<std::string>(e, "name", i, path);
      const json args = field<json>(e, "args", i, path);
      for (const auto& [key, value] : args.items()) {
        if (value.is_number()) trace.counters.push_back({key, field<int>(e, "pid", i, path), field<double>(e, "ts", i, path), value.get<double>()});
      }
    }
  }
  auto by_start = [](const Span& a, const Span& b) { return a.start < b.start; };
  std::stable_sort(trace.work.begin(), trace.work.end(), by_start);
  std::stable_sort(trace.host.begin(), trace.host.end(), by_start);
  return trace;
}

Trace load_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the trace file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_trace(text.str(), path);
}

}  // namespace mxprof
