#pragma once
// The image operators behind Gluon's transforms (MXNet's _image_to_tensor, _image_normalize, _image_resize and
// image.imrotate), one engine operation each: a data pipeline calls them once per sample.
#include <cstdint>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::image {

// (H, W, C) or (N, H, W, C) of any dtype to float32 (C, H, W) or (N, C, H, W), divided by 255.
NDArray to_tensor(const NDArray& x);
// normalize(to_tensor(x), mean, std) in one pass (what a ToTensor, Normalize pipeline runs per sample).
NDArray to_tensor_normalized(const NDArray& x, std::vector<double> mean, std::vector<double> std);
// (C, H, W) or (N, C, H, W) floating: (x - mean[c]) / std[c] per channel; one value each applies to every
// channel. Differentiable (the gradient is g / std[c]).
NDArray normalize(const NDArray& x, std::vector<double> mean, std::vector<double> std);

// (H, W, C) or (N, H, W, C) resized to height x width by bilinear interpolation (pixel centers aligned, as
// OpenCV's INTER_LINEAR), in x's dtype (integers rounded).
NDArray resize(const NDArray& x, std::int64_t width, std::int64_t height);
// The same on one (height, width, channels) uint8 image on the host, into dst of out_height x out_width pixels:
// for pipelines that transform images on threads of their own (io::ImageRecordIter).
void resize_pixels(const std::uint8_t* src, std::int64_t height, std::int64_t width, std::int64_t channels, std::uint8_t* dst,
                   std::int64_t out_height, std::int64_t out_width);

// MXNet's image.imrotate: (C, H, W) or (N, C, H, W) floating, rotated by `degrees` about the image center
// (90 turns [[0, 1, 2], [3, 4, 5], [6, 7, 8]] into [[2, 5, 8], [1, 4, 7], [0, 3, 6]]), sampled bilinearly with
// zeros outside the source. zoom_in scales the result so that no zeros come in; zoom_out so that the whole
// source stays in view. CPU only.
NDArray imrotate(const NDArray& x, double degrees, bool zoom_in = false, bool zoom_out = false);

}  // namespace mx::nd::image
