#include "trace_file.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace mxprof {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// `value` as the integer type T when it is a JSON integer T can hold. (nlohmann's get<T> would convert 1e45 or
// -1 with a cast whose result is undefined or wrapped.)
template <class T>
std::optional<T> integer(const json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(v);
  } else if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  }
  return std::nullopt;
}

[[noreturn]] void wrong_type(const std::string& path, std::size_t index, const char* key, const json& value) {
  fail(path, "event " + std::to_string(index) + ": \"" + key + "\" has the wrong type (" + value.dump() + ")");
}

// A field of event number `index`, of the type asked; a clear error otherwise.
template <class T>
T field(const json& event, const char* key, std::size_t index, const std::string& path) {
  const auto it = event.find(key);
  if (it == event.end()) fail(path, "event " + std::to_string(index) + " has no \"" + key + "\"");
  if constexpr (std::is_integral_v<T>) {
    const std::optional<T> value = integer<T>(*it);
    if (!value) wrong_type(path, index, key, *it);
    return *value;
  } else if constexpr (std::is_same_v<T, std::vector<std::uint64_t>>) {
    T values;
    if (!it->is_array()) wrong_type(path, index, key, *it);
    for (const json& item : *it) {
      const auto value = integer<std::uint64_t>(item);
      if (!value) wrong_type(path, index, key, *it);
      values.push_back(*value);
    }
    return values;
  } else {
    try {
      return it->get<T>();
    } catch (const json::exception&) {
      wrong_type(path, index, key, *it);
    }
  }
}

// Microseconds within about 3,000 years of the clock's origin: arithmetic on them stays exact enough and finite.
bool plausible_time(double t) { return std::isfinite(t) && std::abs(t) < 1e17; }

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
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number beyond a double
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
      const auto args = e.find("args");
      const bool named = args != e.end() && args->is_object() && args->contains("name");
      const std::string label = named ? field<std::string>(*args, "name", i, path) : "";
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
      if (!plausible_time(s.start) || !plausible_time(s.end())) {
        fail(path, "event " + std::to_string(i) + " (" + s.name + ") has a time beyond any run (ts " +
                       std::to_string(s.start) + ", dur " + std::to_string(s.duration) + ")");
      }
      if (const auto args = e.find("args"); args != e.end() && args->is_object()) {
        if (args->contains("id")) s.id = field<std::uint64_t>(*args, "id", i, path);
        if (args->contains("waited_on")) s.waited_on = field<std::vector<std::uint64_t>>(*args, "waited_on", i, path);
        if (args->contains("inputs")) s.inputs = field<std::string>(*args, "inputs", i, path);
      }
      (is_work(s.category) ? trace.work : trace.host).push_back(std::move(s));
    } else if (ph == "C") {
      const std::string name = field<std::string>(e, "name", i, path);
      const json args = field<json>(e, "args", i, path);
      const int pid = field<int>(e, "pid", i, path);
      const double ts = field<double>(e, "ts", i, path);
      if (!plausible_time(ts)) fail(path, "event " + std::to_string(i) + " (" + name + ") has a time beyond any run");
      for (const auto& [key, value] : args.items()) {
        if (value.is_number()) trace.counters.push_back({key, pid, ts, value.get<double>()});
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
