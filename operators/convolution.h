#pragma once
// Convolution, Deconvolution and Pooling over 1, 2 or 3 spatial axes (NCW, NCHW, NCDHW), as MXNet's operators.
// All three are built from im2col (patches as columns), OpenBLAS products and reductions, each recorded, so
// autograd differentiates them.
#include <cstdint>
#include <optional>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// Spatial parameters: one value per spatial axis (empty stride/dilate/pad mean 1, 1, 0).
struct ConvShape {
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> stride = {};
  std::vector<std::int64_t> dilate = {};
  std::vector<std::int64_t> pad = {};
};

// data (N, C, *spatial), weight (num_filter, C / num_group, *kernel), bias (num_filter).
NDArray Convolution(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                    const ConvShape& shape, std::int64_t num_filter, std::int64_t num_group = 1);
// The transpose of Convolution: data (N, C, *spatial), weight (C, num_filter / num_group, *kernel); the output
// has `num_filter` channels and (in - 1) * stride - 2 pad + dilate (kernel - 1) + 1 + adj per spatial axis.
NDArray Deconvolution(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                      const ConvShape& shape, std::int64_t num_filter, std::int64_t num_group = 1,
                      std::vector<std::int64_t> adj = {});

enum class PoolType { kMax, kAvg, kSum };
enum class PoolingConvention { kValid, kFull };  // full: the last window may hang over the edge (ceil)
struct PoolOptions {
  PoolType type = PoolType::kMax;
  bool global_pool = false;
  PoolingConvention convention = PoolingConvention::kValid;
  bool count_include_pad = true;  // avg: divide by the window's size, padding included
};
NDArray Pooling(const NDArray& data, const ConvShape& shape, const PoolOptions& options = {});

// The patches of `data` (N, C, *spatial) as columns: (C * prod(kernel), N * prod(out spatial)), padding with
// `pad_value`; pad_end adds to `pad` at the end of each axis. col2im sums columns back into an image of
// `image_shape`, the gradient of im2col (and im2col is col2im's).
NDArray im2col(const NDArray& data, const ConvShape& shape, std::vector<std::int64_t> pad_end = {},
               double pad_value = 0);
NDArray col2im(const NDArray& columns, const Shape& image_shape, const ConvShape& shape,
               std::vector<std::int64_t> pad_end = {});

}  // namespace mx::nd
