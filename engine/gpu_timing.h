#pragma once
// Profiling GPU operations by their time on the device. A GPU operation completes when its work is enqueued, so
// the host's clock says only when it was launched: while the profiler records, the operation's work is
// bracketed by two CUDA events on its stream, and the trace gets the interval between them (on the stream's
// row), converted to the host's clock against a reference event per device. The events are read when the trace
// is: reading a trace waits for the GPU work it shows.
#include <cstdint>
#include <vector>

#include <mx/engine/trace.h>

namespace mx::engine::detail {

// Records the start event on `stream` (the calling thread's current device is `device`).
void* gpu_timing_begin(void* stream, int device);
// Records the end event and keeps `event` (times to fill) until the trace is read.
void gpu_timing_end(void* start, void* stream, int device, trace::Event event);
// The GPU operations recorded so far, with device times in steady-clock nanoseconds; `take` forgets them.
std::vector<trace::Event> gpu_timed_events(bool take);

}  // namespace mx::engine::detail
