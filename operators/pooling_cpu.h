#pragma once
// Two-dimensional max, average and sum pooling on the CPU, window by window over each (sample, channel) plane.
// Built from im2col and a reduction, pooling wrote every window's pixels out (four times the input for 2x2
// windows, nine for 3x3) and its gradient took a mask, a broadcast and a col2im: 4 ms of a LeNet's 18 ms step
// at batch 128 against 0.5 ms this way. Private to operators/.
#include <cstdint>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/convolution.h>

namespace mx::nd::pooling_cpu {

struct Window {
  std::int64_t kernel[2], stride[2], pad[2], pad_end[2];  // pad_end: extra padding after each axis (full convention)
};

// Whether these kernels take the call: a host array of float32 or float64 with two spatial axes.
bool supports(const NDArray& data, std::size_t spatial_axes);

// data (N, C, H, W) -> (N, C, OH, OW). Max pooling's gradient goes to the first largest pixel of each window (as
// MXNet's and PyTorch's); average pooling divides by the window's size, or with count_include_pad false by the
// pixels it covers. Under create_graph the gradient is built from im2col, col2im and elementwise operators, so
// that it can itself be differentiated (there, tied maxima each receive the window's gradient).
NDArray pooling(const NDArray& data, const Window& window, PoolType type, bool count_include_pad);

}  // namespace mx::nd::pooling_cpu
