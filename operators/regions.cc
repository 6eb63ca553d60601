// Region pooling for two-stage detectors: ROIAlign (Mask R-CNN's bilinear samples) and ROIPooling (Fast R-CNN's
// whole-pixel maxima), with their gradients in the data.
#include <mx/operators/detection.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

#include "detection_util.h"

namespace mx::nd::contrib {

using detail::dispatch_float;

namespace {

// fn(region r, channel c) for every pair, split across the workers (forward passes: each pair its own output).
template <class Fn>
void each_region_channel(std::int64_t regions, std::int64_t channels, Fn&& fn) {
  op::parallel_for(regions * channels, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t rc = begin; rc < end; ++rc) fn(rc / channels, rc % channels);
  }, 1);
}

// The same for backward passes, which add into the data's gradient: split by channel, every region inside,
// since output channels write disjoint input channels and regions of one channel may overlap.
template <class Fn>
void each_channel_region(std::int64_t regions, std::int64_t channels, Fn&& fn) {
  op::parallel_for(channels, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = 0; r < regions; ++r) {
      for (std::int64_t c = begin; c < end; ++c) fn(r, c);
    }
  }, 1);
}

struct RoiParams {
  std::int64_t pooled_h = 1, pooled_w = 1;
  double spatial_scale = 1;
  int sample_ratio = -1;
  bool position_sensitive = false, aligned = false;
  Shape data_shape;  // the backward's output
};

// Calls visit(input channel offset within the batch image, element offset in the map, weight) for every
// bilinear contribution to output (roi, channel c, bin i, j), the weights already divided by the samples.
template <class T, class Visit>
void each_contribution(const RoiParams& p, const T* roi, std::int64_t c, std::int64_t i, std::int64_t j,
                       std::int64_t height, std::int64_t width, Visit&& visit) {
  const double offset = p.aligned ? 0.5 : 0.0;
  const double start_w = static_cast<double>(roi[1]) * p.spatial_scale - offset;
  const double start_h = static_cast<double>(roi[2]) * p.spatial_scale - offset;
  double roi_w = static_cast<double>(roi[3]) * p.spatial_scale - offset - start_w;
  double roi_h = static_cast<double>(roi[4]) * p.spatial_scale - offset - start_h;
  if (!p.aligned) {  // MXNet's: regions at least one pixel across
    roi_w = std::max(roi_w, 1.0);
    roi_h = std::max(roi_h, 1.0);
  }
  const double bin_h = roi_h / static_cast<double>(p.pooled_h), bin_w = roi_w / static_cast<double>(p.pooled_w);
  const std::int64_t grid_h = p.sample_ratio > 0 ? p.sample_ratio : static_cast<std::int64_t>(std::ceil(roi_h / static_cast<double>(p.pooled_h)));
  const std::int64_t grid_w = p.sample_ratio > 0 ? p.sample_ratio : static_cast<std::int64_t>(std::ceil(roi_w / static_cast<double>(p.pooled_w)));
  const double count = static_cast<double>(std::max<std::int64_t>(grid_h * grid_w, 1));
  const std::int64_t channel = p.position_sensitive ? (c * p.pooled_h + i) * p.pooled_w + j : c;
  for (std::int64_t iy = 0; iy < grid_h; ++iy) {
    double y = start_h + static_cast<double>(i) * bin_h + (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
    for (std::int64_t ix = 0; ix < grid_w; ++ix) {
      double x = start_w + static_cast<double>(j) * bin_w + (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
      if (y < -1.0 || y > static_cast<double>(height) || x < -1.0 || x > static_cast<double>(width)) continue;  // outside: 0
      const double yy = std::max(y, 0.0), xx = std::max(x, 0.0);
      auto low_high = [](double v, std::int64_t extent, std::int64_t& low, std::int64_t& high, double& frac) {
        low = static_cast<std::int64_t>(v);
        if (low >= extent - 1) {
          low = high = extent - 1;
          frac = 0;
        } else {
          high = low + 1;
          frac = v - static_cast<double>(low);
        }
      };
      std::int64_t y_low, y_high, x_low, x_high;
      double ly, lx;
      low_high(yy, height, y_low, y_high, ly);
      low_high(xx, width, x_low, x_high, lx);
      const double hy = 1 - ly, hx = 1 - lx;
      visit(channel, y_low * width + x_low, hy * hx / count);
      visit(channel, y_low * width + x_high, hy * lx / count);
      visit(channel, y_high * width + x_low, ly * hx / count);
      visit(channel, y_high * width + x_high, ly * lx / count);
    }
  }
}

std::int64_t batch_of(double index, std::int64_t batch, std::int64_t r) {
  const auto b = static_cast<std::int64_t>(index);
  if (b < 0 || b >= batch) {
    throw Error("ROIAlign: roi " + std::to_string(r) + " names batch image " + std::to_string(b) + " of " + std::to_string(batch));
  }
  return b;
}

std::int64_t out_channels(const RoiParams& p, std::int64_t channels) {
  return p.position_sensitive ? channels / (p.pooled_h * p.pooled_w) : channels;
}

void check_roi_inputs(const RoiParams& p, const op::ArrayInfo& data, const op::ArrayInfo& rois) {
  if (data.shape.ndim() != 4) throw ShapeError("ROIAlign: data must be (N, C, H, W), got " + data.shape.str());
  if (rois.shape.ndim() != 2 || rois.shape[1] != 5) {
    throw ShapeError("ROIAlign: rois must be (R, 5) rows [batch, x1, y1, x2, y2], got " + rois.shape.str());
  }
  if (data.dtype != DType::kFloat32 && data.dtype != DType::kFloat64) {
    throw DTypeError("ROIAlign: data must be float32 or float64, got " + std::string(dtype_name(data.dtype)));
  }
  if (rois.dtype != data.dtype) {
    throw DTypeError("ROIAlign: rois must have data's dtype " + std::string(dtype_name(data.dtype)) + ", got " + dtype_name(rois.dtype));
  }
  if (p.position_sensitive && data.shape[1] % (p.pooled_h * p.pooled_w) != 0) {
    throw ShapeError("ROIAlign: position_sensitive needs channels divisible by " + std::to_string(p.pooled_h * p.pooled_w) +
                     " bins, got data " + data.shape.str());
  }
}

const op::Operator<RoiParams>& roi_align_backward();

const op::Operator<RoiParams> kROIAlign = op::define<RoiParams>({
    .name = "_contrib_ROIAlign",
    .num_inputs = 2,
    .infer = [](const RoiParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      check_roi_inputs(p, in[0], in[1]);
      out[0] = {Shape{in[1].shape[0], out_channels(p, in[0].shape[1]), p.pooled_h, p.pooled_w}, in[0].dtype};
    },
    .cpu = [](const RoiParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const Shape& s = in[0].shape;
      const std::int64_t channels = out[0].shape[1], bins = p.pooled_h * p.pooled_w, plane = s[2] * s[3];
      dispatch_float(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* x = in[0].ptr<T>();
        const T* rois = in[1].ptr<T>();
        T* y = out[0].ptr<T>();
        each_region_channel(out[0].shape[0], channels, [&](std::int64_t r, std::int64_t c) {
          const T* roi = rois + r * 5;
          const T* image = x + batch_of(static_cast<double>(roi[0]), s[0], r) * s[1] * plane;
          for (std::int64_t b = 0; b < bins; ++b) {
            double sum = 0;
            each_contribution(p, roi, c, b / p.pooled_w, b % p.pooled_w, s[2], s[3],
                              [&](std::int64_t ch, std::int64_t at, double w) { sum += w * static_cast<double>(image[ch * plane + at]); });
            y[(r * channels + c) * bins + b] = static_cast<T>(sum);
          }
        });
      });
    },
    .gradient = [](const RoiParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      RoiParams q = p;
      q.data_shape = args.inputs[0].shape();
      return {op::invoke1(roi_align_backward(), {args.output_grads[0], args.inputs[1]}, q), NDArray()};
    },
});

// Inputs (output gradient, rois): the data's gradient, each output's share spread back over its samples.
const op::Operator<RoiParams> kROIAlignBackward = op::define<RoiParams>({
    .name = "_backward_ROIAlign",
    .num_inputs = 2,
    .infer = [](const RoiParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      out[0] = {p.data_shape, in[0].dtype};
    },
    .cpu = [](const RoiParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const Shape& s = p.data_shape;
      const std::int64_t rois_count = in[1].shape[0], channels = in[0].shape[1], bins = p.pooled_h * p.pooled_w;
      const std::int64_t plane = s[2] * s[3];
      dispatch_float(out[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* g = in[0].ptr<T>();
        const T* rois = in[1].ptr<T>();
        T* dx = out[0].ptr<T>();
        std::fill(dx, dx + out[0].size(), T{0});
        each_channel_region(rois_count, channels, [&](std::int64_t r, std::int64_t c) {
          const T* roi = rois + r * 5;
          T* image = dx + batch_of(static_cast<double>(roi[0]), s[0], r) * s[1] * plane;
          for (std::int64_t b = 0; b < bins; ++b) {
            const double grad = static_cast<double>(g[(r * channels + c) * bins + b]);
            each_contribution(p, roi, c, b / p.pooled_w, b % p.pooled_w, s[2], s[3],
                              [&](std::int64_t ch, std::int64_t at, double w) { image[ch * plane + at] += static_cast<T>(w * grad); });
          }
        });
      });
    },
});

const op::Operator<RoiParams>& roi_align_backward() { return kROIAlignBackward; }

}  // namespace

NDArray ROIAlign(const NDArray& data, const NDArray& rois, const ROIAlignOptions& options) {
  if (options.pooled_size.size() != 2 || options.pooled_size[0] < 1 || options.pooled_size[1] < 1) {
    throw Error("ROIAlign: pooled_size must be two positive extents (PH, PW)");
  }
  if (!(options.spatial_scale > 0)) throw Error("ROIAlign: spatial_scale must be positive, got " + std::to_string(options.spatial_scale));
  const RoiParams p{options.pooled_size[0], options.pooled_size[1], options.spatial_scale, options.sample_ratio,
                    options.position_sensitive, options.aligned, data.shape()};
  return op::invoke1(kROIAlign, {data, rois}, p);
}

namespace {

struct RoiPoolParams {
  std::int64_t pooled_h = 1, pooled_w = 1;
  double spatial_scale = 1;
};

// Calls visit(bin, element offset of its maximum in the map, or -1 for an empty bin) for each bin of region
// `roi` of one channel's map.
template <class T, class Visit>
void each_bin_max(const RoiPoolParams& p, const T* roi, const T* map, std::int64_t height, std::int64_t width, Visit&& visit) {
  auto scaled = [&](int k) { return static_cast<std::int64_t>(std::round(static_cast<double>(roi[k]) * p.spatial_scale)); };
  const std::int64_t start_w = scaled(1), start_h = scaled(2), end_w = scaled(3), end_h = scaled(4);
  const double bin_h = static_cast<double>(std::max<std::int64_t>(end_h - start_h + 1, 1)) / static_cast<double>(p.pooled_h);
  const double bin_w = static_cast<double>(std::max<std::int64_t>(end_w - start_w + 1, 1)) / static_cast<double>(p.pooled_w);
  auto clamp = [](std::int64_t v, std::int64_t extent) { return std::min(std::max<std::int64_t>(v, 0), extent); };
  for (std::int64_t i = 0; i < p.pooled_h; ++i) {
    const std::int64_t h0 = clamp(static_cast<std::int64_t>(std::floor(static_cast<double>(i) * bin_h)) + start_h, height);
    const std::int64_t h1 = clamp(static_cast<std::int64_t>(std::ceil(static_cast<double>(i + 1) * bin_h)) + start_h, height);
    for (std::int64_t j = 0; j < p.pooled_w; ++j) {
      const std::int64_t w0 = clamp(static_cast<std::int64_t>(std::floor(static_cast<double>(j) * bin_w)) + start_w, width);
      const std::int64_t w1 = clamp(static_cast<std::int64_t>(std::ceil(static_cast<double>(j + 1) * bin_w)) + start_w, width);
      std::int64_t best = -1;
      for (std::int64_t h = h0; h < h1; ++h) {
        for (std::int64_t w = w0; w < w1; ++w) {
          if (best < 0 || map[h * width + w] > map[best]) best = h * width + w;
        }
      }
      visit(i * p.pooled_w + j, best);
    }
  }
}

void check_pool_inputs(const op::ArrayInfo& data, const op::ArrayInfo& rois) {
  if (data.shape.ndim() != 4) throw ShapeError("ROIPooling: data must be (N, C, H, W), got " + data.shape.str());
  if (rois.shape.ndim() != 2 || rois.shape[1] != 5) {
    throw ShapeError("ROIPooling: rois must be (R, 5) rows [batch, x1, y1, x2, y2], got " + rois.shape.str());
  }
  if ((data.dtype != DType::kFloat32 && data.dtype != DType::kFloat64) || rois.dtype != data.dtype) {
    throw DTypeError("ROIPooling: data and rois must be float32 or float64 alike, got " + std::string(dtype_name(data.dtype)) +
                     " and " + dtype_name(rois.dtype));
  }
}

const op::Operator<RoiPoolParams>& roi_pooling_backward();

const op::Operator<RoiPoolParams> kROIPooling = op::define<RoiPoolParams>({
    .name = "ROIPooling",
    .num_inputs = 2,
    .infer = [](const RoiPoolParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      check_pool_inputs(in[0], in[1]);
      out[0] = {Shape{in[1].shape[0], in[0].shape[1], p.pooled_h, p.pooled_w}, in[0].dtype};
    },
    .cpu = [](const RoiPoolParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const Shape& s = in[0].shape;
      const std::int64_t plane = s[2] * s[3], bins = p.pooled_h * p.pooled_w;
      dispatch_float(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* x = in[0].ptr<T>();
        const T* rois = in[1].ptr<T>();
        T* y = out[0].ptr<T>();
        each_region_channel(in[1].shape[0], s[1], [&](std::int64_t r, std::int64_t c) {
          const T* roi = rois + r * 5;
          const T* map = x + (batch_of(static_cast<double>(roi[0]), s[0], r) * s[1] + c) * plane;
          T* dst = y + (r * s[1] + c) * bins;
          each_bin_max(p, roi, map, s[2], s[3], [&](std::int64_t bin, std::int64_t at) { dst[bin] = at < 0 ? T{0} : map[at]; });
        });
      });
    },
    .gradient = [](const RoiPoolParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {op::invoke1(roi_pooling_backward(), {args.output_grads[0], args.inputs[0], args.inputs[1]}, p), NDArray()};
    },
});

// Inputs (output gradient, data, rois): each bin's gradient added at its maximum, found again in data.
const op::Operator<RoiPoolParams> kROIPoolingBackward = op::define<RoiPoolParams>({
    .name = "_backward_ROIPooling",
    .num_inputs = 3,
    .infer = [](const RoiPoolParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) { out[0] = in[1]; },
    .cpu = [](const RoiPoolParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const Shape& s = in[1].shape;
      const std::int64_t plane = s[2] * s[3], bins = p.pooled_h * p.pooled_w, regions = in[2].shape[0];
      dispatch_float(in[1].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* g = in[0].ptr<T>();
        const T* x = in[1].ptr<T>();
        const T* rois = in[2].ptr<T>();
        T* dx = out[0].ptr<T>();
        std::fill(dx, dx + out[0].size(), T{0});
        each_channel_region(regions, s[1], [&](std::int64_t r, std::int64_t c) {
          const T* roi = rois + r * 5;
          const std::int64_t map = (batch_of(static_cast<double>(roi[0]), s[0], r) * s[1] + c) * plane;
          const T* grad = g + (r * s[1] + c) * bins;
          each_bin_max(p, roi, x + map, s[2], s[3], [&](std::int64_t bin, std::int64_t at) {
            if (at >= 0) dx[map + at] += grad[bin];
          });
        });
      });
    },
});

const op::Operator<RoiPoolParams>& roi_pooling_backward() { return kROIPoolingBackward; }

}  // namespace

NDArray ROIPooling(const NDArray& data, const NDArray& rois, std::vector<std::int64_t> pooled_size, double spatial_scale) {
  if (pooled_size.size() != 2 || pooled_size[0] < 1 || pooled_size[1] < 1) {
    throw Error("ROIPooling: pooled_size must be two positive extents (PH, PW)");
  }
  if (!(spatial_scale > 0)) throw Error("ROIPooling: spatial_scale must be positive, got " + std::to_string(spatial_scale));
  return op::invoke1(kROIPooling, {data, rois}, RoiPoolParams{pooled_size[0], pooled_size[1], spatial_scale});
}

}  // namespace mx::nd::contrib
