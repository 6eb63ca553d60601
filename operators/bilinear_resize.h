#pragma once
// MXNet's contrib BilinearResize2D: (N, C, H, W) resized to (N, C, height, width) by bilinear interpolation,
// corners aligned (MXNet's default) or pixel areas aligned (align_corners false, PyTorch's convention). Written
// as two products with interpolation matrices, Y = R_h X R_w^T per image, so it differentiates as the products
// do and runs wherever they run; a trace shows one _contrib_BilinearResize2D node. The matrices are dense, so
// height x H and width x W are each limited to 2^28.
#include <cstdint>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::contrib {

NDArray BilinearResize2D(const NDArray& data, std::int64_t height, std::int64_t width, bool align_corners = true);

}  // namespace mx::nd::contrib
