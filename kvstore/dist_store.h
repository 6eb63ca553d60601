#pragma once
// "dist_sync" and "dist_device_sync": the local stores, with each push's sum also summed across the processes of
// an mpirun job (MPI all-reduce of host arrays, neighbouring small keys in one message). Internal.
#include <memory>
#include <string>

#include <mx/kvstore/kvstore.h>

namespace mx::kvstore::detail {

std::shared_ptr<KVStore> make_dist_store(const std::string& type);

}  // namespace mx::kvstore::detail
