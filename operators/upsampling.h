#pragma once
// MXNet's UpSampling with sample_type "nearest": each (N, C, H, W) input repeated over s x s pixels. With
// several inputs, the first is scaled by `scale` and each other one to the same size (its own integer factor),
// and the results are joined along the channels ("concat") or summed ("sum"). Built from repeat, so it
// differentiates and runs on every device; a trace shows one UpSampling node.
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

NDArray UpSampling(const std::vector<NDArray>& inputs, std::int64_t scale, const std::string& multi_input_mode = "concat");
inline NDArray UpSampling(const NDArray& x, std::int64_t scale) { return UpSampling(std::vector<NDArray>{x}, scale); }

// MXNet's UpSampling with sample_type "bilinear": a transposed convolution of each channel on its own by `weight`
// (C, 1, k, k), k = 2 scale - scale % 2, stride `scale`, padding ceil((scale - 1) / 2), no bias; with
// init::Bilinear's weight it interpolates bilinearly (within the border). (N, C, H, W) to (N, C, scale H, scale W).
NDArray UpSamplingBilinear(const NDArray& data, const NDArray& weight, std::int64_t scale);

}  // namespace mx::nd
