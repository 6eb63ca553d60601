#pragma once
// mx-prof html: one self-contained page (no network) with the timeline of devices and workers, the summary
// tables, the utilisation over time and the critical path.
#include <string>

#include "trace_file.h"

namespace mxprof {

std::string html_report(const Trace& trace);

}  // namespace mxprof
