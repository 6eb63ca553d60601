// mx-prof under a fuzzer: any bytes given as a trace must give the reports or std::runtime_error naming the file,
// never a crash, a hang or another exception. Built as a libFuzzer target with clang (MXPP_FUZZ=ON); the corpus
// it kept runs through prof_test.cc's driver in every build.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "critical_path.h"
#include "diff.h"
#include "html_report.h"
#include "summary.h"
#include "trace_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const mxprof::Trace trace = mxprof::parse_trace(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    (void)mxprof::format_summary(mxprof::summarize(trace));
    (void)mxprof::format_diff(mxprof::diff(trace, trace), "a", "b");
    (void)mxprof::html_report(trace);
    (void)mxprof::format_critical_path(trace, mxprof::critical_path(trace), 40);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
