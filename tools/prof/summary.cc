#include "summary.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace mxprof {

double covered(std::vector<std::pair<double, double>> intervals, int min_depth) {
  std::vector<std::pair<double, int>> edges;
  edges.reserve(intervals.size() * 2);
  for (const auto& [begin, end] : intervals) {
    if (end <= begin) continue;
    edges.emplace_back(begin, +1);
    edges.emplace_back(end, -1);
  }
  std::sort(edges.begin(), edges.end());  // at a tie, ends (-1) before starts: touching spans do not overlap
  double total = 0, since = 0;
  int depth = 0;
  for (const auto& [time, step] : edges) {
    if (depth >= min_depth) total += time - since;
    depth += step;
    since = time;
  }
  return total;
}

std::vector<std::pair<double, double>> merged(std::vector<std::pair<double, double>> intervals) {
  std::sort(intervals.begin(), intervals.end());
  std::vector<std::pair<double, double>> out;
  for (const auto& iv : intervals) {
    if (!out.empty() && iv.first <= out.back().second) {
      out.back().second = std::max(out.back().second, iv.second);
    } else {
      out.push_back(iv);
    }
  }
  return out;
}

std::vector<OperatorStats> operator_stats(const std::vector<Span>& spans) {
  std::map<std::string, OperatorStats> by_name;
  for (const Span& s : spans) {
    OperatorStats& o = by_name[s.name];
    o.name = s.name;
    o.min = o.count == 0 ? s.duration : std::min(o.min, s.duration);
    o.max = o.count == 0 ? s.duration : std::max(o.max, s.duration);
    o.total += s.duration;
    ++o.count;
  }
  std::vector<OperatorStats> out;
  for (auto& [name, stats] : by_name) out.push_back(stats);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.total > b.total; });
  return out;
}

Summary summarize(const Trace& trace) {
  Summary s;
  s.wall = trace.wall();
  s.operators = operator_stats(trace.work);
  std::map<int, std::vector<std::pair<double, double>>> per_device;
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> per_worker;
  for (const Span& span : trace.work) {
    per_device[span.pid].emplace_back(span.start, span.end());
    per_worker[{span.pid, span.tid}].emplace_back(span.start, span.end());
  }
  std::map<int, int> workers_of_device;
  for (const auto& [key, unused] : per_worker) ++workers_of_device[key.first];
  const double wall = s.wall > 0 ? s.wall : 1;
  // One pass per device: its busy periods (its workers' spans merged), and how long two of its workers overlapped.
  std::vector<std::pair<double, double>> busy_periods_of_all_devices;
  for (const auto& [pid, intervals] : per_device) {
    const std::vector<std::pair<double, double>> periods = merged(intervals);
    double busy = 0;
    for (const auto& [begin, end] : periods) busy += end - begin;
    s.devices.push_back({trace.process_name(pid), busy, busy / wall});
    busy_periods_of_all_devices.insert(busy_periods_of_all_devices.end(), periods.begin(), periods.end());
    if (workers_of_device[pid] >= 2) {
      const double overlap = covered(intervals, 2);
      s.within_device_overlap.push_back({trace.process_name(pid), overlap, busy > 0 ? overlap / busy : 0});
    }
  }
  s.cross_device_overlap = per_device.size() > 1 ? covered(busy_periods_of_all_devices, 2) / wall : 0;
  double all_busy = 0;
  for (const auto& [key, intervals] : per_worker) {
    const double busy = covered(intervals);
    all_busy += busy;
    s.workers.push_back({trace.process_name(key.first) + " / " + trace.thread_name(key.first, key.second), busy,
                         busy / wall});
  }
  s.parallelism = all_busy / wall;
  return s;
}

std::string format_summary(const Summary& s) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "wall time %.3f ms, average parallelism %.2f\n\n", s.wall / 1e3, s.parallelism);
  out << line;
  std::snprintf(line, sizeof line, "%-40s %8s %12s %10s %10s %10s %7s\n", "operator", "count", "total ms", "avg us",
                "min us", "max us", "% busy");
  out << line;
  double all = 0;
  for (const auto& o : s.operators) all += o.total;
  for (const auto& o : s.operators) {
    std::snprintf(line, sizeof line, "%-40s %8lld %12.3f %10.2f %10.2f %10.2f %6.1f%%\n", o.name.c_str(),
                  static_cast<long long>(o.count), o.total / 1e3, o.average(), o.min, o.max,
                  all > 0 ? 100 * o.total / all : 0);
    out << line;
  }
  out << "\nbusy fraction of the wall time\n";
  for (const auto& d : s.devices) {
    std::snprintf(line, sizeof line, "  %-50s %6.1f%%  (%.3f ms)\n", d.name.c_str(), 100 * d.fraction, d.busy / 1e3);
    out << line;
  }
  for (const auto& w : s.workers) {
    std::snprintf(line, sizeof line, "    %-48s %6.1f%%  (%.3f ms)\n", w.name.c_str(), 100 * w.fraction, w.busy / 1e3);
    out << line;
  }
  out << "\noverlap achieved\n";
  for (const auto& o : s.within_device_overlap) {
    std::snprintf(line, sizeof line, "  %-50s %6.1f%% of its busy time had two or more workers running (%.3f ms)\n",
                  o.name.c_str(), 100 * o.fraction, o.busy / 1e3);
    out << line;
  }
  std::snprintf(line, sizeof line, "  %-50s %6.1f%% of the wall time\n", "across devices", 100 * s.cross_device_overlap);
  out << line;
  return out.str();
}

}  // namespace mxprof
