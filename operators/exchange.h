#pragma once
// Calls made on several devices that must see each other's values (SyncBatchNorm's batch statistics). Each call
// hands in a small host array and pushes one asynchronous engine operation that reads it. The calls that share a
// key form groups of `ndev`, one call per device, in push order. When the last member's operation runs,
// `combine` reads every member's array (in push order), its result is written to every member's output, and
// every member completes. No worker waits for another device: an operation that has handed in its array has
// simply not completed yet, and while a group waits for calls still to come, the engine does not throttle pushes.
//
// Nothing hangs: a group that is not complete within `timeout_s` of its first call (a device never called, or one
// of its outputs was waited on before every device had called), and a group in which a device calls a second
// time, complete with an error naming the key and the devices seen. NaiveEngine, which runs each operation to its
// end as it is pushed, cannot exchange among devices: ndev > 1 is refused there.
#include <functional>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::op {

struct ExchangeSpec {
  const char* op = "exchange";  // for messages and the profiler; must outlive the call (a literal)
  std::string key;              // calls with one key meet
  int ndev = 1;
  double timeout_s = 120;
};

// Every member's values, in push order; returns what every member receives.
using Combine = std::function<std::vector<double>(const std::vector<std::vector<double>>& locals)>;

// `local`: 1-D float64 on a CPU context, written by operations already pushed. Returns a new 1-D float64 array of
// `result_size` values on local's context, written when the group is complete. Throws mx::Error at the call for
// a bad spec, an ndev that differs from the group's, or NaiveEngine with ndev > 1.
NDArray exchange(const NDArray& local, const ExchangeSpec& spec, std::int64_t result_size, Combine combine);

// The elementwise sum of the members' arrays.
std::vector<double> sum_of(const std::vector<std::vector<double>>& locals);

}  // namespace mx::op
