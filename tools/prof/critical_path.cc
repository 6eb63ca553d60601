#include "critical_path.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace mxprof {

CriticalPath critical_path(const Trace& trace) {
  std::vector<const Span*> ops;
  for (const Span& s : trace.work) {
    if (s.id == 0) {
      throw std::runtime_error(trace.path + ": operation '" + s.name +
                               "' has no id: the critical path needs a trace written by mxpp's profiler");
    }
    ops.push_back(&s);
  }
  // Ids count pushes, and an operation only waits on earlier pushes: id order is a topological order.
  std::sort(ops.begin(), ops.end(), [](const Span* a, const Span* b) { return a->id < b->id; });
  std::unordered_map<std::uint64_t, std::size_t> index;
  for (std::size_t i = 0; i < ops.size(); ++i) index[ops[i]->id] = i;

  std::vector<double> longest(ops.size());                  // the longest chain ending with op i, its work
  std::vector<std::ptrdiff_t> previous(ops.size(), -1);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    double best = 0;
    for (std::uint64_t dep : ops[i]->waited_on) {
      const auto it = index.find(dep);
      if (it == index.end()) continue;  // not recorded (paused, or before the profiler ran)
      if (it->second >= i) {
        throw std::runtime_error(trace.path + ": operation " + std::to_string(ops[i]->id) + " waits on a later one (" +
                                 std::to_string(dep) + ")");
      }
      // Ties go to the dependency that ended last: the one the operation actually waited for.
      const double chain = longest[it->second];
      if (chain > best || (chain == best && previous[i] >= 0 && ops[it->second]->end() > ops[previous[i]]->end())) {
        best = chain;
        previous[i] = static_cast<std::ptrdiff_t>(it->second);
      }
    }
    longest[i] = best + ops[i]->duration;
  }

  CriticalPath path;
  path.wall = trace.wall();
  if (ops.empty()) return path;
  std::ptrdiff_t at = std::max_element(longest.begin(), longest.end()) - longest.begin();
  std::vector<const Span*> chain;
  for (; at >= 0; at = previous[static_cast<std::size_t>(at)]) chain.push_back(ops[static_cast<std::size_t>(at)]);
  std::reverse(chain.begin(), chain.end());
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const double wait = i == 0 ? 0 : std::max(0.0, chain[i]->start - chain[i - 1]->end());
    path.links.push_back({chain[i], wait});
    path.work += chain[i]->duration;
    path.waits += wait;
  }
  return path;
}

std::string format_critical_path(const Trace& trace, const CriticalPath& path, std::size_t max_links) {
  std::ostringstream out;
  char line[512];
  const double wall = path.wall > 0 ? path.wall : 1;
  std::snprintf(line, sizeof line,
                "critical path: %zu operations, %.3f ms of work + %.3f ms of waits between them = %.1f%% of the "
                "wall time (%.3f ms)\n",
                path.links.size(), path.work / 1e3, path.waits / 1e3, 100 * (path.work + path.waits) / wall,
                path.wall / 1e3);
  out << line;
  std::snprintf(line, sizeof line, "work alone explains %.1f%% of the wall time\n\n", 100 * path.work / wall);
  out << line;

  // Which operators make up the path.
  std::map<std::string, std::pair<int, double>> by_name;
  for (const Link& l : path.links) {
    auto& [count, total] = by_name[l.op->name];
    ++count;
    total += l.op->duration;
  }
  std::vector<std::pair<std::string, std::pair<int, double>>> ranked(by_name.begin(), by_name.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  std::snprintf(line, sizeof line, "%-40s %8s %12s %8s\n", "on the path", "count", "total ms", "% path");
  out << line;
  for (const auto& [name, stats] : ranked) {
    std::snprintf(line, sizeof line, "%-40s %8d %12.3f %7.1f%%\n", name.c_str(), stats.first, stats.second / 1e3,
                  path.work > 0 ? 100 * stats.second / path.work : 0);
    out << line;
  }

  out << "\nlinks (start ms, wait us, duration us, operator, where, inputs)\n";
  const std::size_t n = path.links.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (n > max_links && i == max_links / 2) {
      std::snprintf(line, sizeof line, "  ... %zu more links ...\n", n - max_links);
      out << line;
      i = n - max_links / 2;
    }
    const Link& l = path.links[i];
    std::snprintf(line, sizeof line, "  %10.3f %9.2f %10.2f  %-28s %-28s %s\n", (l.op->start - trace.begin()) / 1e3,
                  l.wait, l.op->duration, l.op->name.c_str(),
                  (trace.process_name(l.op->pid) + " / " + trace.thread_name(l.op->pid, l.op->tid)).c_str(),
                  l.op->inputs.c_str());
    out << line;
  }
  return out.str();
}

}  // namespace mxprof
