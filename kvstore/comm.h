#pragma once
// Moving a key's values between devices: the sum of several arrays into one, and one array copied into several.
// Between CPU contexts this is prioritized engine work over the arrays' memory; elsewhere it goes through the
// operators' copies and additions (each device's streams). Internal to the kvstore.
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::kvstore::detail {

// target = sum of values (same shape and dtype). `staging` keeps per-value buffers for values on another kind of
// device than target's, reused from one call to the next.
void reduce(const std::vector<NDArray>& values, NDArray& target, int priority, std::vector<NDArray>& staging);
// Whether `a` and `b` are the same array (the same storage at the same offset): a copy between them is none.
bool same_array(const NDArray& a, const NDArray& b);
// Each of outs = source.
void broadcast(const NDArray& source, const std::vector<NDArray>& outs, int priority);

// How many bytes of neighbouring keys the bucketed stores sum in one collective: MX_KVSTORE_BUCKET_BYTES
// (default 1 MiB). Throws mx::Error naming the variable when it is not a number.
std::size_t bucket_bytes_from_env();

}  // namespace mx::kvstore::detail
