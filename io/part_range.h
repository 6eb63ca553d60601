#pragma once
// The contiguous samples worker part_index of num_parts reads, split as MXNet's iterators split them
// (count / num_parts * index, in floating point). Private to io/.
#include <cstdint>
#include <string>
#include <utility>

#include <mx/ndarray/error.h>

namespace mx::io::detail {

// mx::Error naming `op` when part_index is not a part of num_parts.
inline void check_part(const char* op, std::int64_t num_parts, std::int64_t part_index) {
  if (num_parts <= 0 || part_index < 0 || part_index >= num_parts) {
    throw Error(std::string(op) + ": part_index " + std::to_string(part_index) + " is not a part of num_parts " +
                std::to_string(num_parts));
  }
}

// [begin, end) of `count` samples.
inline std::pair<std::int64_t, std::int64_t> part_range(std::int64_t count, std::int64_t num_parts, std::int64_t part_index) {
  const double share = static_cast<double>(count) / static_cast<double>(num_parts);
  return {static_cast<std::int64_t>(share * static_cast<double>(part_index)),
          static_cast<std::int64_t>(share * static_cast<double>(part_index + 1))};
}

}  // namespace mx::io::detail
