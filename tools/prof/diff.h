#pragma once
// mx-prof diff: which operators got slower or faster between two traced runs, and by how much.
#include <string>
#include <vector>

#include "summary.h"

namespace mxprof {

struct OperatorChange {
  std::string name;
  OperatorStats before, after;  // count 0 where the operator did not run
  double total_change() const { return after.total - before.total; }  // microseconds
  // after's average over before's; 0 when either run lacks the operator.
  double average_ratio() const {
    return before.count > 0 && after.count > 0 && before.average() > 0 ? after.average() / before.average() : 0;
  }
};

struct TraceDiff {
  double wall_before = 0, wall_after = 0;
  std::vector<OperatorChange> changes;  // by |total change|, largest first
};

TraceDiff diff(const Trace& before, const Trace& after);
std::string format_diff(const TraceDiff& d, const std::string& before_name, const std::string& after_name);

}  // namespace mxprof
