#pragma once
// Convolution on cuDNN, for data on a GPU: the forward as one operator, its gradient (data and weight) as another,
// each choosing cuDNN's fastest algorithm once per shape (cudnnFind*, cached). Private to operators/; built with
// CUDA only.
#include <cstdint>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/convolution.h>

namespace mx::nd::cudnn {

// Whether cuDNN convolves this: data on a GPU, 1 to 3 spatial axes, a floating dtype.
bool supports(const NDArray& data);
// data (N, C, *spatial), weight (num_filter, C / num_group, *kernel); no bias. Recorded: autograd differentiates
// it once (a second order through it is refused with an error naming it).
NDArray convolution(const NDArray& data, const NDArray& weight, const ConvShape& shape, std::int64_t num_filter,
                    std::int64_t num_group);

}  // namespace mx::nd::cudnn
