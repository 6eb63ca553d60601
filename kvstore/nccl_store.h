#pragma once
// "nccl": the device store (each key's sum formed on one of the GPUs holding its values), with the sums across
// GPUs and the copies back out done by NCCL collectives on the GPUs' own streams, grouped per bucket of
// neighbouring keys, instead of copies between devices. Internal to the kvstore.
#include <map>
#include <memory>
#include <vector>

#include "local_stores.h"
#include "nccl.h"

namespace mx::kvstore::detail {

class NcclStore : public DeviceStore {
 public:
  NcclStore();

 protected:
  // Values must be GPU arrays; pulls may also go to host arrays (copied from the sum).
  void check_value_devices(const Entry& entry, const std::vector<NDArray>& values, const char* call) const override;
  // The Trainer's pushpull, one GPU array per GPU as both value and output: summed in place (ncclAllReduce).
  bool sums_in_place(const std::vector<NDArray>& values, const std::vector<NDArray>& outs) const override;
  // Each GPU's values summed on that GPU (no copy for a GPU's one value); reduce_bucket sums across the GPUs.
  void sum_values(Entry& entry, const std::vector<NDArray>& values, int priority) override;
  // One NCCL group per set of GPUs in the bucket: each key's per-GPU sums all-reduced in place, or reduced into
  // the key's sum (ncclReduce).
  void reduce_bucket(const std::vector<Entry*>& bucket) override;
  // The value broadcast to one output on each GPU (ncclBroadcast), copied on that GPU to its other outputs.
  void copy_out(const NDArray& source, const std::vector<NDArray>& outs, int priority) override;
  bool bucketed() const override { return true; }
  std::size_t bucket_bytes() const override { return bucket_bytes_; }
  bool can_compress() const override { return false; }  // MXNet's nccl store has no compression either

 private:
  // The communicators of these GPUs (sorted), made at their first use on the calling thread.
  std::shared_ptr<NcclClique> clique(const std::vector<int>& devices);

  std::map<std::vector<int>, std::shared_ptr<NcclClique>> cliques_;
  std::size_t bucket_bytes_;
};

}  // namespace mx::kvstore::detail
