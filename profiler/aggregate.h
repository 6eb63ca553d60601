#pragma once
// Aggregate statistics of recorded events: what profiler::dumps() prints.
#include <map>
#include <string>
#include <vector>

#include <mx/engine/trace.h>
#include <mx/profiler/profiler.h>

namespace mx::profiler {

struct Stat {
  std::int64_t count = 0;
  double total = 0, min = 0, max = 0;  // ms for spans, kB for memory counters
  double average() const { return count > 0 ? total / static_cast<double>(count) : 0.0; }
};

struct Aggregate {
  std::map<std::string, std::map<std::string, Stat>> time;    // category -> name -> spans
  std::map<std::string, std::map<std::string, Stat>> memory;  // category -> counter -> values
};

Aggregate aggregate(const std::vector<engine::trace::Event>& events);
std::string format_aggregate(const Aggregate& stats, const DumpsOptions& options);

}  // namespace mx::profiler
