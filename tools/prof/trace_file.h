#pragma once
// A Chrome trace as mx-prof reads it: the operations (spans with ids and dependencies), the host threads' spans,
// the counters, and the names of processes (devices) and threads (workers, streams). Written by mxpp's profiler;
// any Chrome trace of complete ("X") events loads, without dependencies.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mxprof {

struct Span {
  std::string name, category;
  int pid = 0, tid = 0;
  double start = 0, duration = 0;  // microseconds
  std::uint64_t id = 0;            // 0: not an engine operation
  std::vector<std::uint64_t> waited_on;
  std::string inputs;
  double end() const { return start + duration; }
};

struct CounterSample {
  std::string name;
  int pid = 0;
  double time = 0, value = 0;
};

struct Trace {
  std::string path;
  std::map<int, std::string> processes;
  std::map<std::pair<int, int>, std::string> threads;
  std::vector<Span> work;  // engine operations and copies, by start time
  std::vector<Span> host;  // api calls and the user's spans
  std::vector<CounterSample> counters;

  double begin() const;  // first work start, in microseconds
  double end() const;    // last work end
  double wall() const { return end() - begin(); }
  std::string process_name(int pid) const;
  std::string thread_name(int pid, int tid) const;
};

// Throws std::runtime_error naming the file and what is wrong with it.
Trace load_trace(const std::string& path);
Trace parse_trace(const std::string& text, const std::string& path);

}  // namespace mxprof
