#pragma once
// MXNet's model checkpoints (mx.model.save_checkpoint / load_checkpoint): prefix-symbol.json and
// prefix-%04d.params, the parameters named "arg:fc1_weight" and auxiliary states "aux:bn0_moving_mean", so
// that MXNet 1.x loads what mxpp saves and the other way round.
#include <map>
#include <string>

#include <mx/graph/symbol.h>

namespace mx::mod {

using ParamDict = std::map<std::string, NDArray>;

void save_checkpoint(const std::string& prefix, int epoch, const sym::Symbol& symbol, const ParamDict& arg_params,
                     const ParamDict& aux_params);

struct Checkpoint {
  sym::Symbol symbol;
  ParamDict arg_params, aux_params;
};
// Reads both files; a parameter file entry without an "arg:" or "aux:" tag is an mx::Error naming the file and
// the entry.
Checkpoint load_checkpoint(const std::string& prefix, int epoch);
// "prefix-0007.params", and the optimizer states' "prefix-0007.states".
std::string params_file(const std::string& prefix, int epoch);
std::string states_file(const std::string& prefix, int epoch);

}  // namespace mx::mod
