#include "local_stores.h"

#include <algorithm>

#include "entry.h"

namespace mx::kvstore::detail {

Context DeviceStore::home_context(const Entry& entry, const std::vector<NDArray>& values) {
  auto holds = [&](const Context& ctx) {
    return std::any_of(values.begin(), values.end(), [&](const NDArray& v) { return v.context() == ctx; });
  };
  for (const NDArray& value : values) {
    const bool known = std::any_of(bytes_per_device_.begin(), bytes_per_device_.end(),
                                   [&](const auto& device) { return device.first == value.context(); });
    if (!known) bytes_per_device_.emplace_back(value.context(), 0);
  }
  std::pair<Context, std::size_t>* best = nullptr;
  for (auto& device : bytes_per_device_) {
    if (holds(device.first) && (best == nullptr || device.second < best->second)) best = &device;
  }
  best->second += entry.bytes();
  return best->first;
}

}  // namespace mx::kvstore::detail
