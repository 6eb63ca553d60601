#pragma once
// mx-prof critical-path: the longest chain of dependent operations (by the sum of their durations) through a
// traced run. Its length is a lower bound on the wall time however many workers there are; the waits between
// its links are what scheduling and contention added.
#include <string>
#include <vector>

#include "trace_file.h"

namespace mxprof {

struct Link {
  const Span* op = nullptr;
  double wait = 0;  // microseconds between the previous link's end and this one's start (0 for the first)
};

struct CriticalPath {
  std::vector<Link> links;  // in execution order
  double work = 0;          // the sum of the links' durations, microseconds
  double waits = 0;         // the sum of their waits
  double wall = 0;
};

// Throws std::runtime_error when the trace has operations without ids (not written by mxpp's profiler) or a
// dependency on a later operation.
CriticalPath critical_path(const Trace& trace);
std::string format_critical_path(const Trace& trace, const CriticalPath& path, std::size_t max_links = 40);

}  // namespace mxprof
