#pragma once
// The order of row numbers, for gathering the rows a batch touches. Private to sparse/.
#include <cstdint>
#include <vector>

namespace mx::detail::sparse {

// The positions of `keys` (each in [0, limit)) in ascending order of key, equal keys in their given order: a
// least-significant-digit radix sort of 11-bit digits, so two passes for a million rows. A comparison sort of a
// batch's 16K row numbers took most of a sparse training step.
std::vector<std::int64_t> stable_order(const std::vector<std::int64_t>& keys, std::int64_t limit);

// The distinct keys in ascending order, and for each given key its place among them.
struct DistinctKeys {
  std::vector<std::int64_t> keys;
  std::vector<std::int64_t> place;  // per given key
};
DistinctKeys distinct_keys(const std::vector<std::int64_t>& keys, std::int64_t limit);

}  // namespace mx::detail::sparse
