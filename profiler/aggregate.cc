#include <mx/profiler/aggregate.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace mx::profiler {
namespace {

void add(Stat& s, double value) {
  s.min = s.count == 0 ? value : std::min(s.min, value);
  s.max = s.count == 0 ? value : std::max(s.max, value);
  s.total += value;
  ++s.count;
}

double key(const Stat& s, SortBy by) {
  switch (by) {
    case SortBy::kTotal: return s.total;
    case SortBy::kAverage: return s.average();
    case SortBy::kMin: return s.min;
    case SortBy::kMax: return s.max;
    case SortBy::kCount: return static_cast<double>(s.count);
  }
  return s.total;
}

std::vector<std::pair<std::string, Stat>> sorted(const std::map<std::string, Stat>& rows, const DumpsOptions& o) {
  std::vector<std::pair<std::string, Stat>> out(rows.begin(), rows.end());
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    return o.ascending ? key(a.second, o.sort_by) < key(b.second, o.sort_by)
                       : key(a.second, o.sort_by) > key(b.second, o.sort_by);
  });
  return out;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", v);
  return text;
}

std::string table(const Aggregate& stats, const DumpsOptions& o) {
  std::ostringstream out;
  char line[256];
  out << "Profile Statistics:\n\tNote the difference in units for different entries.\n";
  for (const auto& [category, rows] : stats.time) {
    out << category << "\n=================\n";
    std::snprintf(line, sizeof line, "%-40s %12s %14s %14s %14s %14s\n", "Name", "Total Count", "Time (ms)",
                  "Min Time (ms)", "Max Time (ms)", "Avg Time (ms)");
    out << line;
    std::snprintf(line, sizeof line, "%-40s %12s %14s %14s %14s %14s\n", "----", "-----------", "---------",
                  "-------------", "-------------", "-------------");
    out << line;
    for (const auto& [name, s] : sorted(rows, o)) {
      std::snprintf(line, sizeof line, "%-40s %12lld %14.4f %14.4f %14.4f %14.4f\n", name.c_str(),
                    static_cast<long long>(s.count), s.total, s.min, s.max, s.average());
      out << line;
    }
    out << "\n";
  }
  for (const auto& [category, rows] : stats.memory) {
    out << category << "\n=================\n";
    std::snprintf(line, sizeof line, "%-40s %12s %16s %16s %16s\n", "Name", "Total Count", "Min Use (kB)",
                  "Max Use (kB)", "Avg Use (kB)");
    out << line;
    std::snprintf(line, sizeof line, "%-40s %12s %16s %16s %16s\n", "----", "-----------", "------------",
                  "------------", "------------");
    out << line;
    for (const auto& [name, s] : sorted(rows, o)) {
      std::snprintf(line, sizeof line, "%-40s %12lld %16.2f %16.2f %16.2f\n", name.c_str(),
                    static_cast<long long>(s.count), s.min, s.max, s.average());
      out << line;
    }
    out << "\n";
  }
  return out.str();
}

std::string json(const Aggregate& stats, const DumpsOptions& o) {
  auto section = [&](const std::map<std::string, std::map<std::string, Stat>>& part, bool with_total) {
    std::string out = "{";
    bool first_category = true;
    for (const auto& [category, rows] : part) {
      out += (first_category ? "" : ",") + json_string(category) + ":{";
      first_category = false;
      bool first = true;
      for (const auto& [name, s] : sorted(rows, o)) {
        out += (first ? "" : ",") + json_string(name) + ":{\"Count\":" + std::to_string(s.count);
        if (with_total) out += ",\"Total\":" + number(s.total);
        out += ",\"Min\":" + number(s.min) + ",\"Max\":" + number(s.max) + ",\"Avg\":" + number(s.average()) + "}";
        first = false;
      }
      out += "}";
    }
    return out + "}";
  };
  return "{\"Time\":" + section(stats.time, true) + ",\"Memory\":" + section(stats.memory, false) +
         ",\"Unit\":{\"Time\":\"ms\",\"Memory\":\"kB\"}}";
}

}  // namespace

Aggregate aggregate(const std::vector<engine::trace::Event>& events) {
  Aggregate stats;
  for (const engine::trace::Event& e : events) {
    if (e.phase == engine::trace::Phase::kComplete) {
      add(stats.time[e.category][e.name], static_cast<double>(e.end_ns - e.start_ns) / 1e6);
    } else if (e.phase == engine::trace::Phase::kCounter && e.category == "memory") {
      add(stats.memory[e.category][e.host ? e.name : e.ctx.str() + " " + e.name], e.value / 1024.0);
    }
  }
  return stats;
}

std::string format_aggregate(const Aggregate& stats, const DumpsOptions& options) {
  return options.format == Format::kJson ? json(stats, options) : table(stats, options);
}

}  // namespace mx::profiler
