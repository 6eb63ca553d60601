#include <mx/sparse/row_order.h>

#include <array>
#include <numeric>

namespace mx::detail::sparse {

std::vector<std::int64_t> stable_order(const std::vector<std::int64_t>& keys, std::int64_t limit) {
  constexpr int kBits = 11;
  constexpr std::int64_t kBuckets = std::int64_t{1} << kBits;
  std::vector<std::int64_t> order(keys.size()), next(keys.size());
  std::iota(order.begin(), order.end(), 0);
  for (int shift = 0; (limit - 1) >> shift > 0; shift += kBits) {
    std::array<std::int64_t, kBuckets + 1> start{};
    for (const std::int64_t k : order) ++start[static_cast<std::size_t>(((keys[k] >> shift) & (kBuckets - 1)) + 1)];
    std::partial_sum(start.begin(), start.end(), start.begin());
    for (const std::int64_t k : order) next[start[static_cast<std::size_t>((keys[k] >> shift) & (kBuckets - 1))]++] = k;
    order.swap(next);
  }
  return order;
}

DistinctKeys distinct_keys(const std::vector<std::int64_t>& keys, std::int64_t limit) {
  DistinctKeys d;
  d.place.resize(keys.size());
  for (const std::int64_t k : stable_order(keys, limit)) {
    if (d.keys.empty() || d.keys.back() != keys[k]) d.keys.push_back(keys[k]);
    d.place[k] = static_cast<std::int64_t>(d.keys.size()) - 1;
  }
  return d;
}

}  // namespace mx::detail::sparse
