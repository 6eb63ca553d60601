#pragma once
// Resampling images (N, C, H, W) by separable matrices, Y = R_h X R_w^T per image: MXNet's contrib
// BilinearResize2D and AdaptiveAvgPooling2D. Written as products, they differentiate as the products do and run
// wherever they run; a trace shows one node of MXNet's name.
//
// BilinearResize2D: (N, C, H, W) resized to (N, C, height, width) by bilinear interpolation,
// corners aligned (MXNet's default) or pixel areas aligned (align_corners false, PyTorch's convention). Written
// as two products with interpolation matrices, Y = R_h X R_w^T per image, so it differentiates as the products
// do and runs wherever they run; a trace shows one _contrib_BilinearResize2D node. The matrices are dense, so
// height x H and width x W are each limited to 2^28.
#include <cstdint>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::contrib {

NDArray BilinearResize2D(const NDArray& data, std::int64_t height, std::int64_t width, bool align_corners = true);

// AdaptiveAvgPooling2D: (N, C, H, W) to (N, C, OH, OW), output (i, j) the mean of input rows
// floor(i H / OH) .. ceil((i + 1) H / OH) - 1 and the columns likewise (PyTorch's adaptive_avg_pool2d; PSPNet's
// pyramid pooling). output_size {S} is {S, S}; {} is {1, 1}, a global average.
NDArray AdaptiveAvgPooling2D(const NDArray& data, std::vector<std::int64_t> output_size = {});

}  // namespace mx::nd::contrib
