#include <mx/optimizer/state_file.h>

#include <map>

#include <mx/ndarray/serialize.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/recording.h>

namespace mx::optimizer {

void save_states(const std::string& path, const Optimizer& optimizer, const std::vector<std::string>& names,
                 const std::vector<std::vector<std::vector<NDArray>>>& states) {
  std::map<std::string, NDArray> arrays;
  for (std::size_t index = 0; index < names.size(); ++index) {
    if (states[index].empty() || states[index][0].empty()) continue;
    const std::vector<NDArray>& first = states[index][0];
    for (std::size_t s = 0; s < first.size(); ++s) arrays[names[index] + ":state" + std::to_string(s)] = first[s];
    const auto count = optimizer.update_counts().find(static_cast<int>(index));
    const double updates = count == optimizer.update_counts().end() ? 0 : count->second;
    arrays[names[index] + ":updates"] = nd::full({1}, updates, cpu(), DType::kFloat64);
  }
  nd::save(path, arrays);
}

void load_states(const std::string& path, Optimizer& optimizer, const std::vector<std::string>& names,
                 std::vector<std::vector<std::vector<NDArray>>>& states, const char* caller) {
  const std::map<std::string, NDArray> loaded = nd::load(path).dict();
  std::map<int, int> counts;
  std::vector<std::vector<NDArray>> found(names.size());
  for (std::size_t index = 0; index < names.size(); ++index) {  // every check before anything changes
    const auto updates = loaded.find(names[index] + ":updates");
    if (updates == loaded.end() || states[index].empty()) continue;  // never updated when saved
    counts[static_cast<int>(index)] = static_cast<int>(updates->second.asscalar<double>());
    const std::vector<NDArray>& expected = states[index][0];
    for (std::size_t s = 0; s < expected.size(); ++s) {
      const auto it = loaded.find(names[index] + ":state" + std::to_string(s));
      if (it == loaded.end() || it->second.shape() != expected[s].shape()) {
        throw Error(std::string(caller) + ": " + path + " has no state " + std::to_string(s) + " of shape " +
                    expected[s].shape().str() + " for '" + names[index] + "' (saved by another optimizer or network?)");
      }
      found[index].push_back(it->second);
    }
  }
  op::PauseRecording no_recording;
  for (std::size_t index = 0; index < names.size(); ++index) {
    for (std::vector<NDArray>& per_context : states[index]) {
      for (std::size_t s = 0; s < found[index].size(); ++s) {
        nd::astype(found[index][s], per_context[s].dtype()).copyto(per_context[s]);
      }
    }
  }
  optimizer.set_update_counts(std::move(counts));
}

}  // namespace mx::optimizer
