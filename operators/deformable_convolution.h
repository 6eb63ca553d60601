#pragma once
// MXNet's contrib DeformableConvolution (Dai et al., Deformable ConvNets) and ModulatedDeformableConvolution
// (Zhu et al., v2): a 2-D convolution whose every kernel tap, at every output position, samples the input at a
// learned fractional offset (bilinearly, zero outside the image), v2 also scaling each sample by a learned mask.
// torchvision's deform_conv2d computes the same.
//
//   data (N, C, H, W), offset (N, 2 DG KH KW, OH, OW): for deformable group g and tap (i, j), channel
//   2 (g KH KW + i KW + j) holds the row offset and the next one the column offset; mask (N, DG KH KW, OH, OW);
//   weight (num_filter, C / num_group, KH, KW), bias (num_filter). The C channels fall into DG groups of taps.
//
// Built from deformable columns (CPU kernels, with their gradient in data, offset and mask) and the products
// Convolution uses, so autograd differentiates every input; one node of MXNet's name when traced. CPU only.
#include <cstdint>
#include <optional>

#include <mx/operators/convolution.h>

namespace mx::nd::contrib {

NDArray DeformableConvolution(const NDArray& data, const NDArray& offset, const NDArray& weight,
                              const std::optional<NDArray>& bias, const ConvShape& shape, std::int64_t num_filter,
                              std::int64_t num_group = 1, std::int64_t num_deformable_group = 1);
NDArray ModulatedDeformableConvolution(const NDArray& data, const NDArray& offset, const NDArray& mask,
                                       const NDArray& weight, const std::optional<NDArray>& bias, const ConvShape& shape,
                                       std::int64_t num_filter, std::int64_t num_group = 1,
                                       std::int64_t num_deformable_group = 1);

}  // namespace mx::nd::contrib
