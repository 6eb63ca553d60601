#pragma once
// What every benchmark program shares: the --quick and --json FILE flags, and writing the JSON report.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace bench {

struct Flags {
  bool quick = false;      // a few iterations: CTest runs each benchmark this way, to keep it building and working
  std::string json_path;   // where to write the figures, if anywhere
};

// Takes argv[i] (and its value) when it is a common flag; returns false for anything else.
inline bool take_common_flag(int argc, char** argv, int& i, Flags& flags) {
  if (std::strcmp(argv[i], "--quick") == 0) {
    flags.quick = true;
    return true;
  }
  if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
    flags.json_path = argv[++i];
    return true;
  }
  return false;
}

// Parses a program that takes only the common flags; exits with status 2 and a usage line on anything else.
inline Flags parse_flags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    if (!take_common_flag(argc, argv, i, flags)) {
      std::fprintf(stderr, "usage: %s [--quick] [--json FILE]\n", argv[0]);
      std::exit(2);
    }
  }
  return flags;
}

// Writes `report` to the --json file, if one was given; returns the program's exit status.
inline int write_report(const Flags& flags, const nlohmann::json& report) {
  if (flags.json_path.empty()) return 0;
  std::ofstream file(flags.json_path);
  file << report.dump(2) << "\n";
  if (!file) {
    std::fprintf(stderr, "cannot write %s\n", flags.json_path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace bench
