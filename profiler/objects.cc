#include <mx/profiler/objects.h>

#include <mx/engine/trace.h>

namespace mx::profiler {
namespace trace = engine::trace;

namespace {

trace::Event host_event(trace::Phase phase, const std::string& category, const std::string& name) {
  trace::Event e;
  e.phase = phase;
  e.name = name;
  e.category = category;
  e.host = true;
  e.worker = trace::host_thread_id();
  e.start_ns = e.end_ns = trace::now();
  return e;
}

}  // namespace

Span::Span(const Domain& domain, std::string name)
    : category_(domain.name()), name_(std::move(name)) {
  start();
}

Span::~Span() { stop(); }

void Span::start() {
  running_ = trace::enabled(trace::kUser);
  if (running_) start_ns_ = trace::now();
}

void Span::stop() {
  if (!running_) return;
  running_ = false;
  if (!trace::enabled(trace::kUser)) return;
  trace::Event e = host_event(trace::Phase::kComplete, category_, name_);
  e.start_ns = start_ns_;
  trace::record(std::move(e));
}

Counter::Counter(const Domain& domain, std::string name, std::int64_t value)
    : category_(domain.name()), name_(std::move(name)), value_(value) {
  record();
}

void Counter::set_value(std::int64_t value) {
  value_ = value;
  record();
}

Counter& Counter::operator+=(std::int64_t delta) {
  set_value(value_ + delta);
  return *this;
}

Counter& Counter::operator-=(std::int64_t delta) {
  set_value(value_ - delta);
  return *this;
}

void Counter::record() const {
  if (!trace::enabled(trace::kUser)) return;
  trace::Event e = host_event(trace::Phase::kCounter, category_, name_);
  e.worker = -1;
  e.value = static_cast<double>(value_);
  trace::record(std::move(e));
}

void Marker::mark(MarkerScope scope) const {
  if (!trace::enabled(trace::kUser)) return;
  trace::Event e = host_event(trace::Phase::kInstant, category_, name_);
  e.scope = scope == MarkerScope::kGlobal ? 'g' : scope == MarkerScope::kThread ? 't' : 'p';
  trace::record(std::move(e));
}

}  // namespace mx::profiler
