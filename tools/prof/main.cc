// mx-prof: reads the Chrome traces mxpp's profiler writes (MX_PROFILER=trace.json, or profiler::dump()).
//   mx-prof summary trace.json              per-operator times, busy fractions, overlap achieved
//   mx-prof critical-path trace.json        the longest chain of dependent operations
//   mx-prof diff before.json after.json     which operators got slower or faster
//   mx-prof html trace.json -o report.html  a self-contained page: timeline, tables, utilisation
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "critical_path.h"
#include "diff.h"
#include "html_report.h"
#include "summary.h"
#include "trace_file.h"

namespace {

int usage() {
  std::fputs("usage: mx-prof summary TRACE\n"
             "       mx-prof critical-path TRACE [--links N]\n"
             "       mx-prof diff BEFORE AFTER\n"
             "       mx-prof html TRACE -o REPORT.html\n",
             stderr);
  return 2;
}

int run(const std::vector<std::string>& args) {
  if (args.empty()) return usage();
  const std::string& command = args[0];
  if (command == "summary" && args.size() == 2) {
    std::cout << mxprof::format_summary(mxprof::summarize(mxprof::load_trace(args[1])));
    return 0;
  }
  if (command == "critical-path" && (args.size() == 2 || (args.size() == 4 && args[2] == "--links"))) {
    const mxprof::Trace trace = mxprof::load_trace(args[1]);
    const std::size_t links = args.size() == 4 ? std::stoul(args[3]) : 40;
    std::cout << mxprof::format_critical_path(trace, mxprof::critical_path(trace), links);
    return 0;
  }
  if (command == "diff" && args.size() == 3) {
    std::cout << mxprof::format_diff(mxprof::diff(mxprof::load_trace(args[1]), mxprof::load_trace(args[2])), args[1],
                                     args[2]);
    return 0;
  }
  if (command == "html" && args.size() == 4 && args[2] == "-o") {
    const std::string page = mxprof::html_report(mxprof::load_trace(args[1]));
    std::ofstream out(args[3]);
    if (!out || !(out << page) || !out.flush()) throw std::runtime_error(args[3] + ": cannot write the report");
    std::cout << "wrote " << args[3] << "\n";
    return 0;
  }
  return usage();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mx-prof: %s\n", e.what());
    return 1;
  }
}
