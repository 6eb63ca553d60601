#pragma once
// What the convolutions built from columns share (convolution.cc, deformable_convolution.cc). Private to
// operators/.
#include <cstdint>
#include <optional>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::detail {

// Throws naming `op` unless num_group divides channels and num_filter.
void check_groups(const char* op, std::int64_t channels, std::int64_t num_filter, std::int64_t num_group);

// weight (F, C / G, *kernel) times columns (C * K, N * L), group by group, as (N, F, *out_spatial), plus bias (F).
NDArray convolve_columns(const NDArray& columns, const NDArray& weight, const std::optional<NDArray>& bias,
                         std::int64_t batch, const Shape& out_spatial, std::int64_t num_filter, std::int64_t num_group,
                         const char* op);

}  // namespace mx::nd::detail
