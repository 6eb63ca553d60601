#pragma once
// The profiler, as MXNet's `mx.profiler`: configure, run, pause, dump a Chrome trace, or print the aggregate
// table. It drives the engine's trace hook (engine/trace.h); MX_PROFILER=file.json does the same with no code.
//
//   profiler::set_config({.filename = "train.json", .aggregate_stats = true});
//   profiler::set_state(profiler::State::kRun);
//   ... train ...
//   profiler::set_state(profiler::State::kStop);
//   profiler::dump();
//   std::cout << profiler::dumps();
#include <string>

namespace mx::profiler {

struct Config {
  std::string filename = "profile.json";
  bool profile_all = false;         // everything below, whatever the other flags say
  bool profile_imperative = true;   // engine operations, their dependencies and the engine's queue depth
  bool profile_memory = true;       // pool in use and pool cached, per device
  bool profile_api = true;          // operator calls on the calling thread (the front end's own cost)
  bool aggregate_stats = false;     // kept for MXNet's spelling: dumps() aggregates whatever was recorded
  bool continuous_dump = false;     // rewrite the file every dump_period seconds while running
  double dump_period = 1.0;
};

enum class State { kStop, kRun };

// Sets what the next run records and where dump() writes; removes an existing file of that name. Throws
// mx::Error while the profiler runs, or for a non-positive dump_period.
void set_config(const Config& config);
Config config();

void set_state(State state);
State state();

// Stop and resume recording without ending the run (MXNet's pause/resume). What is recorded is decided when
// an operation is pushed: one pushed before pause() is recorded even if it runs after.
void pause();
void resume();

// Writes everything recorded since the last finished dump to config().filename as Chrome trace JSON. With
// `finished`, what was written is then dropped. Throws mx::Error naming the file if it cannot be written.
void dump(bool finished = true);

enum class Format { kTable, kJson };
enum class SortBy { kTotal, kAverage, kMin, kMax, kCount };

struct DumpsOptions {
  bool reset = false;  // drop what was recorded after aggregating it
  Format format = Format::kTable;
  SortBy sort_by = SortBy::kTotal;
  bool ascending = false;
};

// The aggregate statistics of what was recorded: per category (operator, copy, api, user domains), per name,
// count and total, min, max and average time in ms; per memory counter its min, max and average (kB).
std::string dumps(const DumpsOptions& options = {});

}  // namespace mx::profiler
