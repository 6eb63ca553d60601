#include "diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace mxprof {

TraceDiff diff(const Trace& before, const Trace& after) {
  TraceDiff d;
  d.wall_before = before.wall();
  d.wall_after = after.wall();
  std::map<std::string, OperatorChange> by_name;
  for (const OperatorStats& s : operator_stats(before.work)) {
    by_name[s.name].name = s.name;
    by_name[s.name].before = s;
  }
  for (const OperatorStats& s : operator_stats(after.work)) {
    by_name[s.name].name = s.name;
    by_name[s.name].after = s;
  }
  for (auto& [name, change] : by_name) d.changes.push_back(change);
  std::stable_sort(d.changes.begin(), d.changes.end(), [](const auto& a, const auto& b) {
    return std::abs(a.total_change()) > std::abs(b.total_change());
  });
  return d;
}

std::string format_diff(const TraceDiff& d, const std::string& before_name, const std::string& after_name) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "wall time: %.3f ms (%s) -> %.3f ms (%s), x%.3f\n\n", d.wall_before / 1e3,
                before_name.c_str(), d.wall_after / 1e3, after_name.c_str(),
                d.wall_before > 0 ? d.wall_after / d.wall_before : 0.0);
  out << line;
  std::snprintf(line, sizeof line, "%-36s %9s %9s %12s %12s %12s %10s %10s %8s\n", "operator", "count a", "count b",
                "total a ms", "total b ms", "change ms", "avg a us", "avg b us", "avg b/a");
  out << line;
  for (const OperatorChange& c : d.changes) {
    char ratio[32];
    if (c.before.count == 0) {
      std::snprintf(ratio, sizeof ratio, "new");
    } else if (c.after.count == 0) {
      std::snprintf(ratio, sizeof ratio, "gone");
    } else {
      std::snprintf(ratio, sizeof ratio, "%.3f", c.average_ratio());
    }
    std::snprintf(line, sizeof line, "%-36s %9lld %9lld %12.3f %12.3f %+12.3f %10.2f %10.2f %8s\n", c.name.c_str(),
                  static_cast<long long>(c.before.count), static_cast<long long>(c.after.count), c.before.total / 1e3,
                  c.after.total / 1e3, c.total_change() / 1e3, c.before.average(), c.after.average(), ratio);
    out << line;
  }
  return out.str();
}

}  // namespace mxprof
