#include <mx/module/checkpoint.h>

#include <cstdio>

#include <mx/ndarray/error.h>
#include <mx/ndarray/serialize.h>

namespace mx::mod {

namespace {
std::string epoch_file(const std::string& prefix, int epoch, const char* extension) {
  char number[16];
  std::snprintf(number, sizeof number, "%04d", epoch);
  return prefix + "-" + number + extension;
}
}  // namespace

std::string params_file(const std::string& prefix, int epoch) { return epoch_file(prefix, epoch, ".params"); }
std::string states_file(const std::string& prefix, int epoch) { return epoch_file(prefix, epoch, ".states"); }

void save_checkpoint(const std::string& prefix, int epoch, const sym::Symbol& symbol, const ParamDict& arg_params,
                     const ParamDict& aux_params) {
  symbol.save(prefix + "-symbol.json");
  std::map<std::string, NDArray> tagged;
  for (const auto& [name, array] : arg_params) tagged.emplace("arg:" + name, array);
  for (const auto& [name, array] : aux_params) tagged.emplace("aux:" + name, array);
  nd::save(params_file(prefix, epoch), tagged);
}

Checkpoint load_checkpoint(const std::string& prefix, int epoch) {
  Checkpoint checkpoint{sym::load(prefix + "-symbol.json"), {}, {}};
  const std::string path = params_file(prefix, epoch);
  for (const auto& [key, array] : nd::load(path).dict()) {
    if (key.starts_with("arg:")) {
      checkpoint.arg_params.emplace(key.substr(4), array);
    } else if (key.starts_with("aux:")) {
      checkpoint.aux_params.emplace(key.substr(4), array);
    } else {
      throw Error("load_checkpoint: '" + path + "' holds '" + key + "', which is neither \"arg:\" nor \"aux:\"");
    }
  }
  return checkpoint;
}

}  // namespace mx::mod
