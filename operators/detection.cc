#include <mx/operators/detection.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <numeric>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/indexing.h>
#include <mx/operators/layout.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd::contrib {
namespace {

void check_format(const char* op, const std::string& format) {
  if (format != "corner" && format != "center") {
    throw Error(std::string(op) + ": format must be \"corner\" or \"center\", got \"" + format + "\"");
  }
}

// (n, 4) boxes as their four corner coordinates, each (n, 1).
std::vector<NDArray> corners(const NDArray& boxes, const std::string& format) {
  std::vector<NDArray> c;
  for (int k = 0; k < 4; ++k) c.push_back(slice_axis(boxes, 1, k, k + 1));
  if (format == "corner") return c;
  const NDArray half_w = c[2] * 0.5, half_h = c[3] * 0.5;
  return {c[0] - half_w, c[1] - half_h, c[0] + half_w, c[1] + half_h};
}

}  // namespace

NDArray box_iou(const NDArray& lhs, const NDArray& rhs, const std::string& format) {
  check_format("box_iou", format);
  if (lhs.ndim() < 1 || rhs.ndim() < 1 || lhs.shape()[lhs.ndim() - 1] != 4 || rhs.shape()[rhs.ndim() - 1] != 4) {
    throw ShapeError("box_iou: boxes must be (..., 4), got " + lhs.shape().str() + " and " + rhs.shape().str());
  }
  const std::int64_t n = lhs.size() / 4, m = rhs.size() / 4;
  const std::vector<NDArray> a = corners(lhs.reshape({n, 4}), format);                    // each (n, 1)
  std::vector<NDArray> b = corners(rhs.reshape({m, 4}), format);
  for (NDArray& v : b) v = v.reshape({1, m});                                             // each (1, m)
  const NDArray width = relu(minimum(a[2], b[2]) - maximum(a[0], b[0]));                   // (n, m)
  const NDArray height = relu(minimum(a[3], b[3]) - maximum(a[1], b[1]));
  const NDArray inter = width * height;
  const NDArray area_a = (a[2] - a[0]) * (a[3] - a[1]), area_b = (b[2] - b[0]) * (b[3] - b[1]);
  // An empty union holds no intersection either: 0 / eps, so that 0 comes out without a NaN in the gradient.
  const NDArray iou = inter / maximum(area_a + area_b - inter, 1e-12);
  Shape out;
  for (int i = 0; i + 1 < lhs.ndim(); ++i) out.push_back(lhs.shape()[i]);
  for (int i = 0; i + 1 < rhs.ndim(); ++i) out.push_back(rhs.shape()[i]);
  return iou.reshape(out);
}

NDArray boolean_mask(const NDArray& data, const NDArray& index, int axis) {
  const int ax = axis < 0 ? axis + data.ndim() : axis;
  if (ax < 0 || ax >= data.ndim()) {
    throw ShapeError("boolean_mask: axis " + std::to_string(axis) + " is out of range for " + data.shape().str());
  }
  if (index.ndim() != 1 || index.shape()[0] != data.shape()[ax]) {
    throw ShapeError("boolean_mask: index must be (" + std::to_string(data.shape()[ax]) + ",) for axis " +
                     std::to_string(axis) + " of " + data.shape().str() + ", got " + index.shape().str());
  }
  const std::vector<double> mask = index.asnumpy<double>();
  std::vector<double> kept;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] != 0) kept.push_back(static_cast<double>(i));
  }
  if (kept.empty()) {  // MXNet gives an empty array along the axis
    Shape empty = data.shape();
    empty[ax] = 0;
    return zeros(empty, data.context(), data.dtype());
  }
  return take(data, array(kept, std::nullopt, data.context(), DType::kInt64), ax);
}

namespace {

struct NmsParams {
  BoxNmsOptions options;
};

double iou_of(const double* a, const double* b, bool center) {
  auto box = [center](const double* p, double out[4]) {
    if (center) {
      out[0] = p[0] - p[2] / 2, out[1] = p[1] - p[3] / 2, out[2] = p[0] + p[2] / 2, out[3] = p[1] + p[3] / 2;
    } else {
      std::copy(p, p + 4, out);
    }
  };
  double x[4], y[4];
  box(a, x);
  box(b, y);
  const double w = std::max(0.0, std::min(x[2], y[2]) - std::max(x[0], y[0]));
  const double h = std::max(0.0, std::min(x[3], y[3]) - std::max(x[1], y[1]));
  const double inter = w * h, uni = (x[2] - x[0]) * (x[3] - x[1]) + (y[2] - y[0]) * (y[3] - y[1]) - inter;
  return uni > 0 ? inter / uni : 0;
}

void nms_cpu(const NmsParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const BoxNmsOptions& o = p.options;
  const Shape& shape = in[0].shape;
  const std::int64_t n = shape[shape.ndim() - 2], k = shape[shape.ndim() - 1], batches = in[0].size() / std::max<std::int64_t>(n * k, 1);
  const bool in_center = o.in_format == "center", convert = o.in_format != o.out_format;
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].ptr<T>();
    T* y = out[0].ptr<T>();
    op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
      std::vector<double> rows(static_cast<std::size_t>(n * k));
      std::vector<std::int64_t> order;
      for (std::int64_t b = begin; b < end; ++b) {
        for (std::int64_t i = 0; i < n * k; ++i) rows[static_cast<std::size_t>(i)] = static_cast<double>(x[b * n * k + i]);
        auto row = [&](std::int64_t i) { return rows.data() + i * k; };
        order.clear();
        for (std::int64_t i = 0; i < n; ++i) {
          const double score = row(i)[o.score_index];
          const bool background = o.id_index >= 0 && o.background_id >= 0 && row(i)[o.id_index] == o.background_id;
          if (score > o.valid_thresh && !background) order.push_back(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t c) {
          return row(a)[o.score_index] > row(c)[o.score_index];
        });
        if (o.topk >= 0 && static_cast<std::int64_t>(order.size()) > o.topk) order.resize(static_cast<std::size_t>(o.topk));
        std::vector<bool> removed(order.size(), false);
        T* dst = y + b * n * k;
        std::int64_t written = 0;
        for (std::size_t a = 0; a < order.size(); ++a) {
          if (removed[a]) continue;
          const double* kept = row(order[a]);
          for (std::size_t c = a + 1; c < order.size(); ++c) {
            const double* other = row(order[c]);
            const bool same_class = o.force_suppress || o.id_index < 0 || kept[o.id_index] == other[o.id_index];
            if (!removed[c] && same_class && iou_of(kept + o.coord_start, other + o.coord_start, in_center) > o.overlap_thresh) {
              removed[c] = true;
            }
          }
          std::vector<double> r(kept, kept + k);
          if (convert) {
            double* box = r.data() + o.coord_start;
            const double a0 = box[0], a1 = box[1], a2 = box[2], a3 = box[3];
            if (in_center) {
              box[0] = a0 - a2 / 2, box[1] = a1 - a3 / 2, box[2] = a0 + a2 / 2, box[3] = a1 + a3 / 2;
            } else {
              box[0] = (a0 + a2) / 2, box[1] = (a1 + a3) / 2, box[2] = a2 - a0, box[3] = a3 - a1;
            }
          }
          for (std::int64_t j = 0; j < k; ++j) dst[written * k + j] = static_cast<T>(r[static_cast<std::size_t>(j)]);
          ++written;
        }
        for (std::int64_t i = written * k; i < n * k; ++i) dst[i] = static_cast<T>(-1);
      }
    }, 1);
  });
}

void infer_nms(const NmsParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const BoxNmsOptions& o = p.options;
  const Shape& s = in[0].shape;
  if (s.ndim() < 2) throw ShapeError("box_nms: data must be (..., N, K), got " + s.str());
  const std::int64_t k = s[s.ndim() - 1];
  const bool fits = o.coord_start >= 0 && o.coord_start + 4 <= k && o.score_index >= 0 && o.score_index < k &&
                    o.id_index < k;
  if (!fits) {
    throw ShapeError("box_nms: rows of " + std::to_string(k) + " values cannot hold the score at " +
                     std::to_string(o.score_index) + ", the class at " + std::to_string(o.id_index) +
                     " and the coordinates from " + std::to_string(o.coord_start) + " (data " + s.str() + ")");
  }
  if (in[0].dtype != DType::kFloat32 && in[0].dtype != DType::kFloat64 && in[0].dtype != DType::kFloat16) {
    throw DTypeError("box_nms: data must be floating point, got " + std::string(dtype_name(in[0].dtype)));
  }
  out[0] = in[0];
}

const op::Operator<NmsParams> kBoxNms = op::define<NmsParams>({.name = "_contrib_box_nms", .infer = &infer_nms, .cpu = &nms_cpu});

}  // namespace

NDArray box_nms(const NDArray& data, const BoxNmsOptions& options) {
  check_format("box_nms", options.in_format);
  check_format("box_nms", options.out_format);
  return op::invoke1(kBoxNms, {data}, NmsParams{options}, data.context());
}

namespace {

// The region operators' kernels over float32 and float64 (the dtypes their inference admits).
template <class Fn>
void dispatch_float(DType dtype, Fn&& fn) {
  dispatch_dtype(dtype, [&](auto tag) {
    if constexpr (std::is_floating_point_v<decltype(tag)>) fn(tag);
  });
}

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

const op::Operator<MultiBoxPriorOptions> kMultiBoxPrior = op::define<MultiBoxPriorOptions>({
    .name = "_contrib_MultiBoxPrior",
    .infer = [](const MultiBoxPriorOptions& o, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      if (in[0].shape.ndim() != 4) throw ShapeError("MultiBoxPrior: data must be (N, C, H, W), got " + in[0].shape.str());
      const auto boxes = static_cast<std::int64_t>(o.sizes.size() + o.ratios.size() - 1);
      out[0] = {Shape{1, in[0].shape[2] * in[0].shape[3] * boxes, 4}, in[0].dtype};
    },
    .cpu = [](const MultiBoxPriorOptions& o, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t height = in[0].shape[2], width = in[0].shape[3];
      const double step_y = o.steps[0] > 0 ? o.steps[0] : 1.0 / static_cast<double>(height);
      const double step_x = o.steps[1] > 0 ? o.steps[1] : 1.0 / static_cast<double>(width);
      const double aspect = static_cast<double>(height) / static_cast<double>(width);
      std::vector<std::pair<double, double>> halves;  // (w / 2, h / 2) of each box at a position
      const double first = std::sqrt(o.ratios[0]);
      for (double size : o.sizes) halves.emplace_back(size * aspect * first / 2, size / first / 2);
      for (std::size_t j = 1; j < o.ratios.size(); ++j) {
        const double ratio = std::sqrt(o.ratios[j]);
        halves.emplace_back(o.sizes[0] * aspect * ratio / 2, o.sizes[0] / ratio / 2);
      }
      dispatch_dtype(out[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        T* y = out[0].ptr<T>();
        auto put = [&](double v) { *y++ = static_cast<T>(o.clip ? std::clamp(v, 0.0, 1.0) : v); };
        for (std::int64_t r = 0; r < height; ++r) {
          const double cy = (static_cast<double>(r) + o.offsets[0]) * step_y;
          for (std::int64_t c = 0; c < width; ++c) {
            const double cx = (static_cast<double>(c) + o.offsets[1]) * step_x;
            for (const auto& [hw, hh] : halves) {
              put(cx - hw);
              put(cy - hh);
              put(cx + hw);
              put(cy + hh);
            }
          }
        }
      });
    },
});

}  // namespace

NDArray ROIPooling(const NDArray& data, const NDArray& rois, std::vector<std::int64_t> pooled_size, double spatial_scale) {
  if (pooled_size.size() != 2 || pooled_size[0] < 1 || pooled_size[1] < 1) {
    throw Error("ROIPooling: pooled_size must be two positive extents (PH, PW)");
  }
  if (!(spatial_scale > 0)) throw Error("ROIPooling: spatial_scale must be positive, got " + std::to_string(spatial_scale));
  return op::invoke1(kROIPooling, {data, rois}, RoiPoolParams{pooled_size[0], pooled_size[1], spatial_scale});
}

NDArray MultiBoxPrior(const NDArray& data, const MultiBoxPriorOptions& options) {
  if (options.sizes.empty() || options.ratios.empty()) throw Error("MultiBoxPrior: sizes and ratios must not be empty");
  for (double v : options.sizes) {
    if (!(v > 0)) throw Error("MultiBoxPrior: sizes must be positive, got " + std::to_string(v));
  }
  for (double v : options.ratios) {
    if (!(v > 0)) throw Error("MultiBoxPrior: ratios must be positive, got " + std::to_string(v));
  }
  if (options.steps.size() != 2 || options.offsets.size() != 2) {
    throw Error("MultiBoxPrior: steps and offsets take two values each, (y, x)");
  }
  return op::invoke1(kMultiBoxPrior, {data}, options, data.context());
}

namespace {

struct MatchParams {
  double threshold = 0;
  bool is_ascend = false;
  int topk = -1;
};

const op::Operator<MatchParams> kBipartiteMatching = op::define<MatchParams>({
    .name = "_contrib_bipartite_matching",
    .num_outputs = 2,
    .infer = [](const MatchParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape& s = in[0].shape;
      if (s.ndim() < 2) throw ShapeError("bipartite_matching: data must be (..., N, M), got " + s.str());
      Shape rows, cols;
      for (int a = 0; a + 2 < s.ndim(); ++a) {
        rows.push_back(s[a]);
        cols.push_back(s[a]);
      }
      rows.push_back(s[s.ndim() - 2]);
      cols.push_back(s[s.ndim() - 1]);
      out[0] = {rows, in[0].dtype};
      out[1] = {cols, in[0].dtype};
    },
    .cpu = [](const MatchParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const Shape& s = in[0].shape;
      const std::int64_t n = s[s.ndim() - 2], m = s[s.ndim() - 1], batches = in[0].size() / std::max<std::int64_t>(n * m, 1);
      dispatch_dtype(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* x = in[0].ptr<T>();
        T* rows = out[0].ptr<T>();
        T* cols = out[1].ptr<T>();
        op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
          std::vector<std::int64_t> order(static_cast<std::size_t>(n * m));
          for (std::int64_t b = begin; b < end; ++b) {
            const T* scores = x + b * n * m;
            T* row = rows + b * n;
            T* col = cols + b * m;
            std::fill(row, row + n, static_cast<T>(-1));
            std::fill(col, col + m, static_cast<T>(-1));
            std::iota(order.begin(), order.end(), std::int64_t{0});
            std::stable_sort(order.begin(), order.end(), [&](std::int64_t u, std::int64_t v) {
              return p.is_ascend ? scores[u] < scores[v] : scores[u] > scores[v];
            });
            int matched = 0;
            for (std::int64_t k : order) {
              if (p.topk >= 0 && matched >= p.topk) break;
              const double score = static_cast<double>(scores[k]);
              if (p.is_ascend ? score > p.threshold : score < p.threshold) break;  // sorted: the rest fail too
              const std::int64_t i = k / m, j = k % m;
              if (row[i] != static_cast<T>(-1) || col[j] != static_cast<T>(-1)) continue;
              row[i] = static_cast<T>(j);
              col[j] = static_cast<T>(i);
              ++matched;
            }
          }
        }, 1);
      });
    },
});

}  // namespace

MatchResult bipartite_matching(const NDArray& data, double threshold, bool is_ascend, int topk) {
  std::vector<NDArray> outs(2);
  const NDArray in[] = {data};
  op::invoke(kBipartiteMatching, std::span<const NDArray>(in), MatchParams{threshold, is_ascend, topk}, std::span<NDArray>(outs),
             data.context());
  return {outs[0], outs[1]};
}

NDArray box_decode(const NDArray& data, const NDArray& anchors, std::vector<double> stds, double clip, const std::string& format) {
  check_format("box_decode", format);
  if (data.ndim() != 3 || data.shape()[2] != 4 || anchors.ndim() != 3 || anchors.shape()[0] != 1 ||
      anchors.shape()[1] != data.shape()[1] || anchors.shape()[2] != 4) {
    throw ShapeError("box_decode: data must be (B, N, 4) and anchors (1, N, 4), got " + data.shape().str() + " and " +
                     anchors.shape().str());
  }
  if (stds.size() != 4) throw Error("box_decode: stds takes four values, got " + std::to_string(stds.size()));
  auto column = [](const NDArray& x, int k) { return slice_axis(x, 2, k, k + 1); };
  NDArray ax = column(anchors, 0), ay = column(anchors, 1), aw = column(anchors, 2), ah = column(anchors, 3);
  if (format == "corner") {
    aw = aw - ax;
    ah = ah - ay;
    ax = ax + aw * 0.5;
    ay = ay + ah * 0.5;
  }
  const NDArray x = column(data, 0) * stds[0] * aw + ax, y = column(data, 1) * stds[1] * ah + ay;
  NDArray dw = column(data, 2) * stds[2], dh = column(data, 3) * stds[3];
  if (clip > 0) {
    dw = minimum(dw, clip);
    dh = minimum(dh, clip);
  }
  const NDArray half_w = exp(dw) * aw * 0.5, half_h = exp(dh) * ah * 0.5;
  return concat({x - half_w, y - half_h, x + half_w, y + half_h}, 2);
}

namespace {

const op::Operator<MultiBoxDetectionOptions> kMultiBoxDetection = op::define<MultiBoxDetectionOptions>({
    .name = "_contrib_MultiBoxDetection",
    .num_inputs = 3,
    .infer = [](const MultiBoxDetectionOptions&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape &cls = in[0].shape, &loc = in[1].shape, &anchors = in[2].shape;
      const bool fits = cls.ndim() == 3 && cls[1] >= 2 && loc.ndim() == 2 && loc[0] == cls[0] && loc[1] == cls[2] * 4 &&
                        anchors.ndim() == 3 && anchors[0] == 1 && anchors[1] == cls[2] && anchors[2] == 4;
      if (!fits) {
        throw ShapeError("MultiBoxDetection: cls_prob (B, classes, N), loc_pred (B, N * 4) and anchors (1, N, 4) do not "
                         "fit: " + cls.str() + ", " + loc.str() + ", " + anchors.str());
      }
      if (in[0].dtype != in[1].dtype || in[0].dtype != in[2].dtype ||
          (in[0].dtype != DType::kFloat32 && in[0].dtype != DType::kFloat64)) {
        throw DTypeError("MultiBoxDetection: inputs must be float32 or float64 alike");
      }
      out[0] = {Shape{cls[0], cls[2], 6}, in[0].dtype};
    },
    .cpu = [](const MultiBoxDetectionOptions& o, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t batches = in[0].shape[0], classes = in[0].shape[1], n = in[0].shape[2];
      dispatch_float(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* prob = in[0].ptr<T>();
        const T* loc = in[1].ptr<T>();
        const T* anchors = in[2].ptr<T>();
        T* y = out[0].ptr<T>();
        op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
          std::vector<std::array<double, 6>> found;
          for (std::int64_t b = begin; b < end; ++b) {
            found.clear();
            for (std::int64_t i = 0; i < n; ++i) {
              double score = -1;
              std::int64_t id = 0;
              for (std::int64_t c = 1; c < classes; ++c) {
                const double p = static_cast<double>(prob[(b * classes + c) * n + i]);
                if (p > score) {
                  score = p;
                  id = c;
                }
              }
              if (score < o.threshold) continue;
              const T* a = anchors + i * 4;
              const T* d = loc + (b * n + i) * 4;
              const double aw = a[2] - a[0], ah = a[3] - a[1], ax = (a[0] + a[2]) / 2.0, ay = (a[1] + a[3]) / 2.0;
              const double ox = d[0] * o.variances[0] * aw + ax, oy = d[1] * o.variances[1] * ah + ay;
              const double half_w = std::exp(d[2] * o.variances[2]) * aw / 2, half_h = std::exp(d[3] * o.variances[3]) * ah / 2;
              auto bound = [&](double v) { return o.clip ? std::clamp(v, 0.0, 1.0) : v; };
              found.push_back({static_cast<double>(id - 1), score, bound(ox - half_w), bound(oy - half_h), bound(ox + half_w),
                               bound(oy + half_h)});
            }
            if (o.nms_threshold > 0 && o.nms_threshold <= 1) {
              std::stable_sort(found.begin(), found.end(), [](const auto& u, const auto& v) { return u[1] > v[1]; });
              const std::size_t keep = o.nms_topk > 0 ? std::min(found.size(), static_cast<std::size_t>(o.nms_topk)) : found.size();
              for (std::size_t i = keep; i < found.size(); ++i) found[i][0] = -1;
              for (std::size_t i = 0; i < keep; ++i) {
                if (found[i][0] < 0) continue;
                for (std::size_t j = i + 1; j < keep; ++j) {
                  if (found[j][0] < 0 || !(o.force_suppress || found[i][0] == found[j][0])) continue;
                  if (iou_of(found[i].data() + 2, found[j].data() + 2, false) >= o.nms_threshold) found[j][0] = -1;
                }
              }
            }
            T* dst = y + b * n * 6;
            std::fill(dst, dst + n * 6, static_cast<T>(-1));
            for (std::size_t i = 0; i < found.size(); ++i) {
              for (std::size_t k = 0; k < 6; ++k) dst[i * 6 + k] = static_cast<T>(found[i][k]);
            }
          }
        }, 1);
      });
    },
});

}  // namespace

NDArray MultiBoxDetection(const NDArray& cls_prob, const NDArray& loc_pred, const NDArray& anchors,
                          const MultiBoxDetectionOptions& options) {
  if (options.variances.size() != 4) {
    throw Error("MultiBoxDetection: variances take four values, got " + std::to_string(options.variances.size()));
  }
  return op::invoke1(kMultiBoxDetection, {cls_prob, loc_pred, anchors}, options, cls_prob.context());
}

namespace {

// A small index or flag array's values, whatever its dtype.
std::vector<double> blob_values(const Blob& blob) {
  std::vector<double> values(static_cast<std::size_t>(blob.size()));
  dispatch_dtype(blob.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* p = blob.ptr<T>();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(p[i]);
  });
  return values;
}

struct EncodeParams {
  std::array<double, 4> means{}, stds{};
};

const op::Operator<EncodeParams> kBoxEncode = op::define<EncodeParams>({
    .name = "_contrib_box_encode",
    .num_inputs = 4,
    .num_outputs = 2,
    .infer = [](const EncodeParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape &samples = in[0].shape, &matches = in[1].shape, &anchors = in[2].shape, &refs = in[3].shape;
      const bool fits = samples.ndim() == 2 && matches == samples && anchors.ndim() == 3 && anchors[0] == samples[0] &&
                        anchors[1] == samples[1] && anchors[2] == 4 && refs.ndim() == 3 && refs[0] == samples[0] &&
                        refs[2] == 4;
      if (!fits) {
        throw ShapeError("box_encode: samples and matches (B, N), anchors (B, N, 4) and refs (B, M, 4) do not fit: " +
                         samples.str() + ", " + matches.str() + ", " + anchors.str() + ", " + refs.str());
      }
      if (in[2].dtype != in[3].dtype || (in[2].dtype != DType::kFloat32 && in[2].dtype != DType::kFloat64)) {
        throw DTypeError("box_encode: anchors and refs must be float32 or float64 alike");
      }
      out[0] = out[1] = {anchors, in[2].dtype};
    },
    .cpu = [](const EncodeParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t batches = in[2].shape[0], n = in[2].shape[1], m = in[3].shape[1];
      const std::vector<double> samples = blob_values(in[0]), matches = blob_values(in[1]);
      dispatch_float(in[2].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* anchors = in[2].ptr<T>();
        const T* refs = in[3].ptr<T>();
        T* targets = out[0].ptr<T>();
        T* masks = out[1].ptr<T>();
        for (std::int64_t b = 0; b < batches; ++b) {
          for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t at = b * n + i;
            T* t = targets + at * 4;
            T* mask = masks + at * 4;
            const auto match = static_cast<std::int64_t>(matches[static_cast<std::size_t>(at)]);
            if (samples[static_cast<std::size_t>(at)] <= 0.5 || match < 0) {
              std::fill(t, t + 4, T{0});
              std::fill(mask, mask + 4, T{0});
              continue;
            }
            if (match >= m) throw Error("box_encode: anchor " + std::to_string(i) + " matches reference " + std::to_string(match) + " of " + std::to_string(m));
            const T* a = anchors + at * 4;
            const T* g = refs + (b * m + match) * 4;
            const double aw = a[2] - a[0], ah = a[3] - a[1], ax = a[0] + aw / 2, ay = a[1] + ah / 2;
            const double gw = g[2] - g[0], gh = g[3] - g[1], gx = g[0] + gw / 2, gy = g[1] + gh / 2;
            const double raw[4] = {(gx - ax) / aw, (gy - ay) / ah, std::log(gw / aw), std::log(gh / ah)};
            for (int k = 0; k < 4; ++k) {
              t[k] = static_cast<T>((raw[k] - p.means[static_cast<std::size_t>(k)]) / p.stds[static_cast<std::size_t>(k)]);
              mask[k] = T{1};
            }
          }
        }
      });
    },
});

}  // namespace

EncodedBoxes box_encode(const NDArray& samples, const NDArray& matches, const NDArray& anchors, const NDArray& refs,
                        std::vector<double> means, std::vector<double> stds) {
  if (means.size() != 4 || stds.size() != 4) throw Error("box_encode: means and stds take four values each");
  EncodeParams p;
  std::copy(means.begin(), means.end(), p.means.begin());
  std::copy(stds.begin(), stds.end(), p.stds.begin());
  std::vector<NDArray> outs(2);
  const NDArray in[] = {samples, matches, anchors, refs};
  op::invoke(kBoxEncode, std::span<const NDArray>(in), p, std::span<NDArray>(outs), anchors.context());
  return {outs[0], outs[1]};
}

}  // namespace mx::nd::contrib
