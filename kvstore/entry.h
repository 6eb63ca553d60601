#pragma once
// What a store keeps per key: shared by the store types, not installed.
#include <optional>
#include <vector>

#include <mx/kvstore/kvstore.h>

namespace mx::kvstore {

struct KVStore::Entry {
  Key key = 0;
  int index = 0;  // the order of init: the optimizer's weight index
  Shape shape;
  DType dtype = DType::kFloat32;
  NDArray stored;                  // the key's value
  NDArray merged;                  // the sum of a push, when it cannot be formed in `stored` itself
  NDArray pushed;                  // the last push's sum: stored, merged, or the one value pushed
  bool summed_in_place = false;    // this push sums `pushed`, the caller's array, where it is
  // After a sum in place the key's value is the caller's array, as long as nothing has written it since (its
  // version is still `in_place_version`); `stored` is then out of date.
  NDArray in_place;
  std::uint64_t in_place_version = 0;
  std::optional<Context> home;     // where sums are formed, once the first push has said
  std::vector<NDArray> staging;    // copies of values from other kinds of device, one per value
  // nccl: this push's sum on each GPU it came from, for reduce_bucket to sum into `pushed` (empty: nothing to
  // do), and where a GPU's several values are summed, reused from one push to the next.
  std::vector<NDArray> device_sums;
  std::vector<NDArray> device_buffers;
  std::vector<NDArray> states;     // the optimizer's, created at the first update
  // Gradient compression: per value pushed (device stores), or for this process's sum (distributed stores),
  // the residual and codes where it is quantized, and the codes where they are summed.
  struct Compressed {
    NDArray residual, codes, codes_home;
  };
  std::vector<Compressed> compressed;
  NDArray gathered;  // distributed: every rank's codes, a row each
  NDArray host_sum;  // distributed: a GPU sum's copy on the host, where it is quantized and summed

  std::size_t bytes() const { return static_cast<std::size_t>(shape.size()) * dtype_size(dtype); }
};

}  // namespace mx::kvstore
