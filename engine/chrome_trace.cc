// Chrome trace JSON (the format chrome://tracing and Perfetto load, and tools/prof reads).
#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include <mx/engine/error.h>
#include <mx/engine/trace.h>

namespace mx::engine::trace {
namespace {

void write_json_string(std::ostream& out, const std::string& text) {
  out << '"';
  for (char c : text) {
    switch (c) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\n': out << "\\n"; break;
      case '\t': out << "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out << escaped;
        } else {
          out << c;
        }
    }
  }
  out << '"';
}

// Microseconds with nanosecond precision, as the format wants.
void write_us(std::ostream& out, std::int64_t ns) {
  char number[32];
  std::snprintf(number, sizeof number, "%.3f", static_cast<double>(ns) / 1e3);
  out << number;
}

class ChromeWriter {
 public:
  ChromeWriter(std::ostream& out, const std::vector<Event>& events) : out_(out), events_(events) {
    for (const Event& e : events_) origin_ = std::min(origin_, e.start_ns);
    for (std::size_t i = 0; i < events_.size(); ++i) {
      if (events_[i].id != 0) by_id_.emplace(events_[i].id, i);
    }
  }

  void write() {
    out_ << "{\"traceEvents\":[\n";
    for (const Event& e : events_) write_event(e);
    for (const Event& e : events_) write_flows(e);
    write_queue_depth();
    out_ << "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"mxpp\"}}\n";
  }

 private:
  std::string process_name(const Event& e) const { return e.host ? std::string("host") : e.ctx.str(); }

  void separator() {
    if (!first_) out_ << ",\n";
    first_ = false;
  }

  // The event's process and thread ids, naming them at first use.
  int place_process(const Event& e) {
    const std::string process = process_name(e);
    auto [it, added] = pids_.emplace(process, static_cast<int>(pids_.size()));
    const int pid = it->second;
    if (added) {
      separator();
      out_ << R"({"name":"process_name","ph":"M","pid":)" << pid << R"(,"args":{"name":)";
      write_json_string(out_, process);
      out_ << "}}";
      separator();
      out_ << R"({"name":"process_sort_index","ph":"M","pid":)" << pid << R"(,"args":{"sort_index":)" << pid << "}}";
    }
    return pid;
  }

  std::pair<int, int> place(const Event& e) {
    const int pid = place_process(e);
    const int tid = e.phase == Phase::kCounter ? 0 : e.worker;
    if (e.phase != Phase::kCounter && named_threads_.emplace(pid, tid).second) {
      separator();
      out_ << R"({"name":"thread_name","ph":"M","pid":)" << pid << ",\"tid\":" << tid << R"(,"args":{"name":)";
      write_json_string(out_, worker_label(tid));
      out_ << "}}";
    }
    return {pid, tid};
  }

  void write_common(const Event& e, int pid, int tid) {
    out_ << "{\"name\":";
    write_json_string(out_, e.name);
    out_ << ",\"cat\":";
    write_json_string(out_, e.category);
    out_ << ",\"ph\":\"" << static_cast<char>(e.phase) << "\",\"ts\":";
    write_us(out_, e.start_ns - origin_);
    out_ << ",\"pid\":" << pid << ",\"tid\":" << tid;
  }

  void write_event(const Event& e) {
    const auto [pid, tid] = place(e);
    separator();
    write_common(e, pid, tid);
    switch (e.phase) {
      case Phase::kComplete:
        out_ << ",\"dur\":";
        write_us(out_, e.end_ns - e.start_ns);
        if (e.id != 0 || !e.args.empty()) {
          out_ << ",\"args\":{";
          bool any = false;
          if (e.id != 0) {
            out_ << "\"id\":" << e.id << ",\"waited_on\":[";
            for (std::size_t i = 0; i < e.waited_on.size(); ++i) out_ << (i ? "," : "") << e.waited_on[i];
            out_ << "]";
            any = true;
          }
          if (!e.args.empty()) {
            out_ << (any ? "," : "") << "\"inputs\":";
            write_json_string(out_, e.args);
          }
          out_ << "}";
        }
        break;
      case Phase::kInstant: out_ << ",\"s\":\"" << e.scope << "\""; break;
      case Phase::kCounter: {
        char number[32];
        std::snprintf(number, sizeof number, "%.17g", e.value);
        out_ << ",\"args\":{";
        write_json_string(out_, e.name);
        out_ << ":" << number << "}";
        break;
      }
    }
    out_ << "}";
  }

  // One arrow per dependency whose operation was recorded: from its start (the slice it binds to) to the
  // waiting operation's start.
  void write_flows(const Event& e) {
    for (std::uint64_t dep : e.waited_on) {
      const auto it = by_id_.find(dep);
      if (it == by_id_.end()) continue;
      const Event& from = events_[it->second];
      const auto [from_pid, from_tid] = place(from);
      const auto [to_pid, to_tid] = place(e);
      const std::uint64_t flow = ++flows_;
      separator();
      out_ << R"({"name":"dependency","cat":"dependency","ph":"s","id":)" << flow << ",\"ts\":";
      write_us(out_, from.start_ns - origin_);
      out_ << ",\"pid\":" << from_pid << ",\"tid\":" << from_tid << "}";
      separator();
      out_ << R"({"name":"dependency","cat":"dependency","ph":"f","bp":"e","id":)" << flow << ",\"ts\":";
      write_us(out_, e.start_ns - origin_);
      out_ << ",\"pid\":" << to_pid << ",\"tid\":" << to_tid << "}";
    }
  }

  // The engine's queue depth as a counter of the host process, drawn from the operations: the number pending
  // when each was pushed, at its start.
  void write_queue_depth() {
    std::vector<const Event*> ops;
    for (const Event& e : events_) {
      if (e.id != 0 && e.queue_depth > 0) ops.push_back(&e);
    }
    if (ops.empty()) return;
    std::sort(ops.begin(), ops.end(), [](const Event* a, const Event* b) { return a->start_ns < b->start_ns; });
    Event host;
    host.host = true;
    const int pid = place_process(host);
    for (const Event* e : ops) {
      separator();
      out_ << R"({"name":"engine queue","cat":"engine","ph":"C","ts":)";
      write_us(out_, e->start_ns - origin_);
      out_ << ",\"pid\":" << pid << R"(,"tid":0,"args":{"engine queue":)" << e->queue_depth << "}}";
    }
  }

  std::ostream& out_;
  const std::vector<Event>& events_;
  std::int64_t origin_ = INT64_MAX;
  std::unordered_map<std::uint64_t, std::size_t> by_id_;
  std::map<std::string, int> pids_;
  std::set<std::pair<int, int>> named_threads_;
  std::uint64_t flows_ = 0;
  bool first_ = true;
};

}  // namespace

void write_chrome_trace(const std::string& path, const std::vector<Event>& events) {
  std::ofstream out(path);
  if (!out) throw Error("profiler: cannot open '" + path + "' for writing");
  ChromeWriter(out, events).write();
  out.flush();
  if (!out) throw Error("profiler: failed while writing '" + path + "'");
}

}  // namespace mx::engine::trace
