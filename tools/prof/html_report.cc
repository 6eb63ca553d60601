#include "html_report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "critical_path.h"
#include "report_page.h"
#include "summary.h"

namespace mxprof {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxSpans = 400000;  // beyond this the page gets slow; later spans are left out
constexpr int kUtilisationBuckets = 400;

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The JSON the script reads: rows of [start, duration, name index, inputs index] per worker and host thread,
// utilisation series.
json page_data(const Trace& trace, bool* truncated) {
  json data;
  std::vector<std::string> names{""}, inputs{""};
  std::map<std::string, int> name_index, input_index;
  auto intern = [](std::vector<std::string>& table, std::map<std::string, int>& index, const std::string& s) {
    auto [it, added] = index.emplace(s, static_cast<int>(table.size()));
    if (added) table.push_back(s);
    return it->second;
  };
  std::map<std::pair<int, int>, json> rows;
  *truncated = false;
  std::size_t kept = 0;
  // Devices' workers first, then the host threads (operator calls, the user's spans).
  for (const std::vector<Span>* spans : {&trace.work, &trace.host}) {
    for (const Span& s : *spans) {
      if (++kept > kMaxSpans) {
        *truncated = true;
        break;
      }
      const int inputs_at = s.inputs.empty() ? 0 : intern(inputs, input_index, s.inputs);
      const int name_at = intern(names, name_index, spans == &trace.host ? s.category + ": " + s.name : s.name);
      rows[{s.pid, s.tid}].push_back(json::array({s.start, s.duration, name_at, inputs_at}));
    }
  }
  data["rows"] = json::array();
  for (auto& [key, spans] : rows) {
    data["rows"].push_back({{"label", trace.process_name(key.first) + " / " + trace.thread_name(key.first, key.second)},
                            {"spans", std::move(spans)}});
  }
  data["names"] = names;
  data["inputs"] = inputs;
  data["begin"] = trace.begin();
  data["end"] = std::max(trace.end(), trace.begin() + 1e-3);

  // Utilisation: per device, the average number of its workers busy in each time bucket.
  const double begin = trace.begin(), width = std::max(trace.wall(), 1e-3) / kUtilisationBuckets;
  std::map<int, std::vector<double>> per_device;
  for (const Span& s : trace.work) {
    std::vector<double>& busy = per_device.try_emplace(s.pid, kUtilisationBuckets, 0.0).first->second;
    const int first = std::clamp(static_cast<int>((s.start - begin) / width), 0, kUtilisationBuckets - 1);
    const int last = std::clamp(static_cast<int>((s.end() - begin) / width), 0, kUtilisationBuckets - 1);
    for (int b = first; b <= last; ++b) {
      const double lo = begin + b * width, hi = lo + width;
      busy[static_cast<std::size_t>(b)] += std::max(0.0, std::min(hi, s.end()) - std::max(lo, s.start)) / width;
    }
  }
  data["utilisation"]["bucket_us"] = width;
  data["utilisation"]["series"] = json::array();
  for (const auto& [pid, values] : per_device) {
    data["utilisation"]["series"].push_back({{"label", trace.process_name(pid)}, {"values", values}});
  }
  return data;
}

void summary_tables(std::ostream& out, const Summary& s) {
  char cell[128];
  out << "<h2>Operators</h2><table><tr><th>operator</th><th>count</th><th>total ms</th><th>avg us</th>"
         "<th>min us</th><th>max us</th></tr>\n";
  for (const OperatorStats& o : s.operators) {
    std::snprintf(cell, sizeof cell, "<td>%lld</td><td>%.3f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>",
                  static_cast<long long>(o.count), o.total / 1e3, o.average(), o.min, o.max);
    out << "<tr><td>" << escape_html(o.name) << "</td>" << cell << "</tr>\n";
  }
  out << "</table>\n<h2>Devices and workers</h2><table><tr><th>where</th><th>busy ms</th><th>busy</th></tr>\n";
  for (const auto* list : {&s.devices, &s.workers}) {
    for (const Utilisation& u : *list) {
      std::snprintf(cell, sizeof cell, "<td>%.3f</td><td>%.1f%%</td>", u.busy / 1e3, 100 * u.fraction);
      out << "<tr><td>" << escape_html(u.name) << "</td>" << cell << "</tr>\n";
    }
  }
  out << "</table>\n";
  for (const Utilisation& o : s.within_device_overlap) {
    std::snprintf(cell, sizeof cell, "%.1f%%", 100 * o.fraction);
    out << "<p>" << escape_html(o.name) << ": two or more workers ran at once during " << cell
        << " of its busy time.</p>\n";
  }
  std::snprintf(cell, sizeof cell, "%.1f%%", 100 * s.cross_device_overlap);
  out << "<p>Across devices: two or more busy at once during " << cell << " of the wall time.</p>\n";
}

}  // namespace

std::string html_report(const Trace& trace) {
  const Summary summary = summarize(trace);
  bool truncated = false;
  std::string data = page_data(trace, &truncated).dump();
  // Inside <script>, "</" could end the element early.
  for (std::size_t at = data.find("</"); at != std::string::npos; at = data.find("</", at + 3)) data.replace(at, 2, "<\\/");

  std::ostringstream out;
  char line[256];
  out << "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>mx-prof: " << escape_html(trace.path)
      << "</title>\n<style>" << kReportStyle << "</style></head><body>\n";
  out << "<h1>mx-prof report</h1>\n<p class=\"note\">" << escape_html(trace.path) << "</p>\n";
  std::snprintf(line, sizeof line, "<p>Wall time %.3f ms, %zu operations, average parallelism %.2f.</p>\n",
                summary.wall / 1e3, trace.work.size(), summary.parallelism);
  out << line;
  out << "<div id=\"status\" data-state=\"loading\">loading (the page needs JavaScript)</div>\n";
  out << "<h2>Timeline</h2><p class=\"note\">Wheel: zoom. Drag: pan. Double-click: everything. Hover: details."
      << (truncated ? " Only the first spans are drawn." : "") << "</p>\n<canvas id=\"timeline\"></canvas>\n";
  out << "<h2>Utilisation</h2><canvas id=\"utilisation\"></canvas>\n";
  summary_tables(out, summary);
  try {
    const CriticalPath path = critical_path(trace);
    out << "<h2>Critical path</h2><pre>" << escape_html(format_critical_path(trace, path, 30)) << "</pre>\n";
  } catch (const std::exception& e) {
    out << "<h2>Critical path</h2><p class=\"note\">" << escape_html(e.what()) << "</p>\n";
  }
  out << "<div id=\"tooltip\"></div>\n<script type=\"application/json\" id=\"trace-data\">" << data
      << "</script>\n<script>" << kReportScript << "</script>\n</body></html>\n";
  return out.str();
}

}  // namespace mxprof
