#include <mx/kvstore/kvstore.h>

#include <mx/ndarray/error.h>

#include "dist_store.h"
#include "local_stores.h"
#include "nccl_store.h"

namespace mx::kvstore {

std::shared_ptr<KVStore> create(const std::string& type) {
  if (type == "local") return std::make_shared<detail::LocalStore>();
  if (type == "device") return std::make_shared<detail::DeviceStore>();
  if (type == "dist_sync" || type == "dist" || type == "dist_device_sync") {
    return detail::make_dist_store(type == "dist" ? "dist_sync" : type);
  }
  if (type == "dist_async") {
    throw Error("kvstore::create: 'dist_async' (updates applied as each worker's gradients arrive, on parameter "
                "servers) is not offered: use 'dist_sync' (every worker's gradients summed each step, over MPI)");
  }
  if (type == "nccl") return std::make_shared<detail::NcclStore>();
  throw Error("kvstore::create: unknown type '" + type + "'; the types are local, device, nccl, dist_sync, "
              "dist_device_sync");
}

}  // namespace mx::kvstore
