#pragma once
// mx-prof summary: where the time went, per operator, per device and worker, and how much work overlapped.
#include <string>
#include <vector>

#include "trace_file.h"

namespace mxprof {

struct OperatorStats {
  std::string name;
  std::int64_t count = 0;
  double total = 0, min = 0, max = 0;  // microseconds
  double average() const { return count > 0 ? total / static_cast<double>(count) : 0; }
};

struct Utilisation {
  std::string name;  // a device ("cpu(0)"), or "device / worker"
  double busy = 0;   // microseconds with at least one operation running
  double fraction = 0;  // busy / wall
};

struct Summary {
  double wall = 0;  // first operation start to last end, microseconds
  std::vector<OperatorStats> operators;  // by total, largest first
  std::vector<Utilisation> devices, workers;
  // Overlap achieved: within each device, time two or more of its workers (streams) ran at once, as a
  // fraction of the device's busy time; across devices, time two or more devices ran at once / wall.
  std::vector<Utilisation> within_device_overlap;
  double cross_device_overlap = 0;
  double parallelism = 0;  // the sum of all workers' busy time / wall: the average number running at once
};

Summary summarize(const Trace& trace);
std::string format_summary(const Summary& summary);

// The union of intervals, as disjoint intervals in order.
std::vector<std::pair<double, double>> merged(std::vector<std::pair<double, double>> intervals);

// Time covered by at least `min_depth` of the given intervals at once.
double covered(std::vector<std::pair<double, double>> intervals, int min_depth = 1);

// Per-operator statistics of a list of spans, by total time, largest first.
std::vector<OperatorStats> operator_stats(const std::vector<Span>& spans);

}  // namespace mxprof
