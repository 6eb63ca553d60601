#pragma once
// The user's own marks in the trace, as MXNet's profiler objects, each in a named domain (its trace category):
//
//   profiler::Domain domain("data");
//   { profiler::Task load(domain, "load batch"); ... }   // a span on this thread, ended by the scope
//   profiler::Counter queued(domain, "queued batches");
//   queued += 1;
//   profiler::Marker(domain, "epoch end").mark();
//
// Recorded only while the profiler runs; otherwise each call costs a branch.
#include <cstdint>
#include <string>

namespace mx::profiler {

class Domain {
 public:
  explicit Domain(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// A span of time on the calling thread: from construction (or start()) to stop() or destruction. Task, Frame and
// Event differ only in how a reader groups them, as in MXNet.
class Span {
 public:
  Span(const Domain& domain, std::string name);
  ~Span();
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  void start();  // restarts the span (MXNet's objects are started explicitly; ours start when made)
  void stop();   // records it; a second stop() does nothing

 private:
  std::string category_, name_;
  std::int64_t start_ns_ = 0;
  bool running_ = false;
};

class Task : public Span {
 public:
  Task(const Domain& domain, std::string name) : Span(domain, std::move(name)) {}
};
class Frame : public Span {
 public:
  Frame(const Domain& domain, std::string name) : Span(domain, std::move(name)) {}
};
class Event : public Span {
 public:
  explicit Event(std::string name) : Span(Domain("event"), std::move(name)) {}
  Event(const Domain& domain, std::string name) : Span(domain, std::move(name)) {}
};

// A value over time (a queue length, a loss), drawn as a counter track of the host process.
class Counter {
 public:
  Counter(const Domain& domain, std::string name, std::int64_t value = 0);
  void set_value(std::int64_t value);
  Counter& operator+=(std::int64_t delta);
  Counter& operator-=(std::int64_t delta);
  std::int64_t value() const { return value_; }

 private:
  void record() const;
  std::string category_, name_;
  std::int64_t value_;
};

enum class MarkerScope { kGlobal, kProcess, kThread };

// An instant in the trace.
class Marker {
 public:
  Marker(const Domain& domain, std::string name) : category_(domain.name()), name_(std::move(name)) {}
  void mark(MarkerScope scope = MarkerScope::kProcess) const;

 private:
  std::string category_, name_;
};

}  // namespace mx::profiler
