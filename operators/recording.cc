#include <mx/operators/recording.h>
#include <mx/operators/tracing.h>

namespace mx::op {

ThreadMode& thread_mode() {
  thread_local ThreadMode mode;
  return mode;
}

Tracer*& thread_tracer() { return thread_mode().tracer; }

}  // namespace mx::op
