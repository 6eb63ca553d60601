#pragma once
// The stores of one process: "local" sums on the CPU, "device" on the devices that hold the values.
// Internal to the kvstore; the distributed stores build on them.
#include <utility>
#include <vector>

#include <mx/kvstore/kvstore.h>

namespace mx::kvstore::detail {

class LocalStore : public KVStore {
 public:
  explicit LocalStore(std::string type = "local") : KVStore(std::move(type)) {}

 protected:
  Context init_context(const NDArray&) const override { return cpu(0); }
  Context home_context(const Entry&, const std::vector<NDArray>&) override { return cpu(0); }
};

class DeviceStore : public KVStore {
 public:
  explicit DeviceStore(std::string type = "device") : KVStore(std::move(type)) {}

 protected:
  Context init_context(const NDArray& value) const override { return value.context(); }
  // The device among the values' that holds the fewest bytes of other keys so far (MXNet's CommDevice).
  Context home_context(const Entry& entry, const std::vector<NDArray>& values) override;
  bool can_compress() const override { return true; }

 private:
  std::vector<std::pair<Context, std::size_t>> bytes_per_device_;
};

}  // namespace mx::kvstore::detail
