#pragma once
// Optimizer states in one file, as the Trainer and Module save them when they update locally (a kvstore that
// updates saves its own, named by its keys): per weight, "<name>:state<s>" for each state and "<name>:updates"
// (its update count, float64), in MXNet's NDArray format.
#include <string>
#include <vector>

#include <mx/optimizer/optimizer.h>

namespace mx::optimizer {

// states[i][c]: the states of weight i (numbered as the optimizer numbers it, named names[i]) on context c; the
// first context's are saved. Weights without states (never updated) are left out.
void save_states(const std::string& path, const Optimizer& optimizer, const std::vector<std::string>& names,
                 const std::vector<std::vector<std::vector<NDArray>>>& states);
// Reads them back into every context's states and the optimizer's update counts. A weight the file has but with
// a missing or misshapen state is an mx::Error naming the file and the weight; nothing changes then.
void load_states(const std::string& path, Optimizer& optimizer, const std::vector<std::string>& names,
                 std::vector<std::vector<std::vector<NDArray>>>& states, const char* caller);

}  // namespace mx::optimizer
