#include <mx/operators/registry.h>

#include <algorithm>
#include <map>
#include <mutex>

#include <mx/engine/error.h>

namespace mx::op {
namespace {

struct Registry {
  std::mutex mutex;  // guards `ops`; definitions run during static initialization, lookups at any time
  std::map<std::string, OpInfo> ops;
};

Registry& registry() {
  static Registry* instance = new Registry;  // never destroyed: lookups may come during static destruction
  return *instance;
}

}  // namespace

void register_operator(OpInfo info) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::string name = info.name;
  if (!r.ops.emplace(name, std::move(info)).second) throw Error("operator '" + name + "' is defined twice");
}

std::vector<OpInfo> list_operators() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<OpInfo> out;
  for (const auto& [name, info] : r.ops) out.push_back(info);
  return out;
}

const OpInfo* find_operator(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.ops.find(name);
  return it == r.ops.end() ? nullptr : &it->second;
}

}  // namespace mx::op
