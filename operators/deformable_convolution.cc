#include <mx/operators/deformable_convolution.h>

#include <cmath>
#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/composite_forms.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

#include "conv_columns.h"
#include "detection_util.h"

namespace mx::nd::contrib {
namespace {

using detail::dispatch_float;

struct DeformParams {
  std::int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilate_h = 1, dilate_w = 1, pad_h = 0, pad_w = 0;
  std::int64_t groups = 1;  // deformable groups
  bool modulated = false;   // a mask is the third input
};

// The sizes every loop needs, from data's shape and the parameters.
struct DeformGeometry {
  std::int64_t batch, channels, height, width, out_h, out_w, taps, channels_per_group;
  DeformGeometry(const DeformParams& p, const Shape& data)
      : batch(data[0]), channels(data[1]), height(data[2]), width(data[3]),
        out_h((data[2] + 2 * p.pad_h - (p.dilate_h * (p.kernel_h - 1) + 1)) / p.stride_h + 1),
        out_w((data[3] + 2 * p.pad_w - (p.dilate_w * (p.kernel_w - 1) + 1)) / p.stride_w + 1),
        taps(p.kernel_h * p.kernel_w), channels_per_group(data[1] / p.groups) {}
  std::int64_t positions() const { return out_h * out_w; }
};

// A bilinear sample of one channel's image at (h, w), zero outside it, and its weights' corners: what the
// forward reads and the backward scatters to.
struct Sample {
  std::int64_t corner[4];  // flat indices into the image, -1 outside
  double weight[4];
  double dh[4], dw[4];  // each corner weight's derivative in h and in w
};

Sample sample_at(double h, double w, std::int64_t height, std::int64_t width) {
  Sample s{};
  const auto h0 = static_cast<std::int64_t>(std::floor(h)), w0 = static_cast<std::int64_t>(std::floor(w));
  const double lh = h - static_cast<double>(h0), lw = w - static_cast<double>(w0);
  const std::int64_t rows[4] = {h0, h0, h0 + 1, h0 + 1}, cols[4] = {w0, w0 + 1, w0, w0 + 1};
  const double wh[4] = {1 - lh, 1 - lh, lh, lh}, ww[4] = {1 - lw, lw, 1 - lw, lw};
  const double dwh[4] = {-1, -1, 1, 1}, dww[4] = {-1, 1, -1, 1};
  for (int k = 0; k < 4; ++k) {
    const bool inside = rows[k] >= 0 && rows[k] < height && cols[k] >= 0 && cols[k] < width;
    s.corner[k] = inside ? rows[k] * width + cols[k] : -1;
    s.weight[k] = wh[k] * ww[k];
    s.dh[k] = dwh[k] * ww[k];
    s.dw[k] = wh[k] * dww[k];
  }
  return s;
}

// Calls visit(sample, row of the columns, column, offset index of the row shift, mask index or -1) for every
// tap of every channel of image n at every output position whose sample point lies inside (-1, H) x (-1, W).
template <class Visit>
void each_tap(const DeformParams& p, const DeformGeometry& g, const double* offsets_of_n, std::int64_t n,
              std::int64_t c_begin, std::int64_t c_end, const Visit& visit) {
  const std::int64_t plane = g.positions();
  for (std::int64_t c = c_begin; c < c_end; ++c) {
    const std::int64_t group = c / g.channels_per_group;
    for (std::int64_t i = 0; i < p.kernel_h; ++i) {
      for (std::int64_t j = 0; j < p.kernel_w; ++j) {
        const std::int64_t tap = i * p.kernel_w + j;
        const std::int64_t row = c * g.taps + tap;
        const std::int64_t offset_h = ((n * p.groups + group) * 2 * g.taps + 2 * tap) * plane;
        const std::int64_t mask_at = p.modulated ? ((n * p.groups + group) * g.taps + tap) * plane : -1;
        for (std::int64_t y = 0; y < g.out_h; ++y) {
          for (std::int64_t x = 0; x < g.out_w; ++x) {
            const std::int64_t at = y * g.out_w + x;
            const double h = static_cast<double>(y * p.stride_h - p.pad_h + i * p.dilate_h) + offsets_of_n[offset_h + at];
            const double w = static_cast<double>(x * p.stride_w - p.pad_w + j * p.dilate_w) + offsets_of_n[offset_h + plane + at];
            if (!(h > -1 && w > -1 && h < static_cast<double>(g.height) && w < static_cast<double>(g.width))) continue;
            visit(sample_at(h, w, g.height, g.width), row, n * plane + at, offset_h + at, mask_at < 0 ? -1 : mask_at + at);
          }
        }
      }
    }
  }
}

template <class T>
std::vector<double> widen(const Blob& b) {
  std::vector<double> out(static_cast<std::size_t>(b.size()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(b.ptr<T>()[i]);
  return out;
}

void infer_deform(const DeformParams& p, std::span<const op::ArrayInfo> in, const char* op) {
  const Shape &data = in[0].shape, &offset = in[1].shape;
  if (data.ndim() != 4) throw ShapeError(std::string(op) + ": data must be (N, C, H, W), got " + data.str());
  if (p.groups < 1 || data[1] % p.groups != 0) {
    throw ShapeError(std::string(op) + ": " + std::to_string(p.groups) + " deformable groups must divide " +
                     std::to_string(data[1]) + " channels");
  }
  const DeformGeometry g(p, data);
  if (g.out_h < 1 || g.out_w < 1) throw ShapeError(std::string(op) + ": the kernel does not fit in " + data.str());
  const Shape want_offset{data[0], 2 * p.groups * g.taps, g.out_h, g.out_w};
  if (offset != want_offset) {
    throw ShapeError(std::string(op) + ": offset must be " + want_offset.str() + " for data " + data.str() + ", got " +
                     offset.str());
  }
  if (p.modulated && in[2].shape != Shape{data[0], p.groups * g.taps, g.out_h, g.out_w}) {
    throw ShapeError(std::string(op) + ": mask must be " + Shape{data[0], p.groups * g.taps, g.out_h, g.out_w}.str() +
                     ", got " + in[2].shape.str());
  }
  for (const op::ArrayInfo& a : in) {
    if (a.dtype != in[0].dtype || (a.dtype != DType::kFloat32 && a.dtype != DType::kFloat64)) {
      throw DTypeError(std::string(op) + ": data, offset and mask must be float32 or float64 alike");
    }
  }
}

const op::Operator<DeformParams>& deformable_columns_backward();

// (data, offset[, mask]) -> columns (C KH KW, N OH OW), Convolution's layout.
const op::Operator<DeformParams> kDeformableColumns = op::define<DeformParams>({
    .name = "_contrib_deformable_im2col",
    .num_inputs = op::kVariadic,
    .infer = [](const DeformParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      infer_deform(p, in, "DeformableConvolution");
      const DeformGeometry g(p, in[0].shape);
      out[0] = {Shape{g.channels * g.taps, g.batch * g.positions()}, in[0].dtype};
    },
    .cpu = [](const DeformParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const DeformGeometry g(p, in[0].shape);
      dispatch_float(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const std::vector<double> offsets = widen<T>(in[1]);
        const std::vector<double> mask = p.modulated ? widen<T>(in[2]) : std::vector<double>{};
        const T* x = in[0].ptr<T>();
        T* col = out[0].ptr<T>();
        const std::int64_t width = g.batch * g.positions();
        std::fill(col, col + out[0].size(), T(0));
        op::parallel_for(g.channels, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t n = 0; n < g.batch; ++n) {
            each_tap(p, g, offsets.data(), n, begin, end, [&](const Sample& s, std::int64_t row, std::int64_t column,
                                                             std::int64_t, std::int64_t mask_at) {
              const T* image = x + (n * g.channels + row / g.taps) * g.height * g.width;
              double value = 0;
              for (int k = 0; k < 4; ++k) value += s.corner[k] < 0 ? 0 : s.weight[k] * static_cast<double>(image[s.corner[k]]);
              col[row * width + column] = static_cast<T>(mask_at < 0 ? value : value * mask[mask_at]);
            });
          }
        }, 1);
      });
    },
    .gradient = [](const DeformParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      std::vector<NDArray> in = {args.output_grads[0]};
      in.insert(in.end(), args.inputs.begin(), args.inputs.end());
      std::vector<NDArray> grads(p.modulated ? 3 : 2);
      op::invoke(deformable_columns_backward(), std::span<const NDArray>(in), p, std::span<NDArray>(grads), in[1].context());
      return grads;
    },
});

// (column gradient, data, offset[, mask]) -> gradients of data, offset[, mask]. Work is split by image and
// deformable group, which own their slices of all three gradients.
const op::Operator<DeformParams> kDeformableColumnsBackward = op::define<DeformParams>({
    .name = "_backward_deformable_im2col",
    .num_inputs = op::kVariadic,
    .infer = [](const DeformParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[i + 1];
    },
    .cpu = [](const DeformParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const DeformGeometry g(p, in[1].shape);
      dispatch_float(in[1].dtype, [&](auto tag) {
        using T = decltype(tag);
        const std::vector<double> offsets = widen<T>(in[2]);
        const std::vector<double> mask = p.modulated ? widen<T>(in[3]) : std::vector<double>{};
        const T* gcol = in[0].ptr<T>();
        const T* x = in[1].ptr<T>();
        T* gx = out[0].ptr<T>();
        std::vector<double> goffset(static_cast<std::size_t>(out[1].size()), 0.0), gmask(mask.size(), 0.0);
        std::vector<double> gdata(static_cast<std::size_t>(out[0].size()), 0.0);
        const std::int64_t width = g.batch * g.positions(), image_size = g.height * g.width;
        op::parallel_for(g.batch * p.groups, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t task = begin; task < end; ++task) {
            const std::int64_t n = task / p.groups, group = task % p.groups;
            each_tap(p, g, offsets.data(), n, group * g.channels_per_group, (group + 1) * g.channels_per_group,
                     [&](const Sample& s, std::int64_t row, std::int64_t column, std::int64_t offset_at, std::int64_t mask_at) {
                       const std::int64_t image_at = (n * g.channels + row / g.taps) * image_size;
                       const double grad = static_cast<double>(gcol[row * width + column]);
                       const double m = mask_at < 0 ? 1.0 : mask[mask_at];
                       double value = 0, dh = 0, dw = 0;
                       for (int k = 0; k < 4; ++k) {
                         if (s.corner[k] < 0) continue;
                         const double v = static_cast<double>(x[image_at + s.corner[k]]);
                         gdata[image_at + s.corner[k]] += grad * m * s.weight[k];
                         value += s.weight[k] * v;
                         dh += s.dh[k] * v;
                         dw += s.dw[k] * v;
                       }
                       goffset[offset_at] += grad * m * dh;
                       goffset[offset_at + g.positions()] += grad * m * dw;
                       if (mask_at >= 0) gmask[mask_at] += grad * value;
                     });
          }
        }, 1);
        for (std::size_t i = 0; i < gdata.size(); ++i) gx[i] = static_cast<T>(gdata[i]);
        for (std::size_t i = 0; i < goffset.size(); ++i) out[1].ptr<T>()[i] = static_cast<T>(goffset[i]);
        for (std::size_t i = 0; i < gmask.size(); ++i) out[2].ptr<T>()[i] = static_cast<T>(gmask[i]);
      });
    },
    .count_outputs = [](const DeformParams& p, int) { return p.modulated ? 3 : 2; },
});

const op::Operator<DeformParams>& deformable_columns_backward() { return kDeformableColumnsBackward; }

NDArray deformable(const char* op, const NDArray& data, const NDArray& offset, const std::optional<NDArray>& mask,
                   const NDArray& weight, const std::optional<NDArray>& bias, const ConvShape& shape,
                   std::int64_t num_filter, std::int64_t num_group, std::int64_t num_deformable_group) {
  if (shape.kernel.size() != 2) throw ShapeError(std::string(op) + ": kernel must have two extents (KH, KW)");
  const auto pick = [&](const std::vector<std::int64_t>& v, std::size_t a, std::int64_t fallback, const char* what) {
    if (v.empty()) return fallback;
    if (v.size() != 2) throw ShapeError(std::string(op) + ": " + what + " must have two values (h, w)");
    return v[a];
  };
  const DeformParams p{shape.kernel[0], shape.kernel[1], pick(shape.stride, 0, 1, "stride"), pick(shape.stride, 1, 1, "stride"),
                       pick(shape.dilate, 0, 1, "dilate"), pick(shape.dilate, 1, 1, "dilate"), pick(shape.pad, 0, 0, "pad"),
                       pick(shape.pad, 1, 0, "pad"), num_deformable_group, mask.has_value()};
  if (p.kernel_h < 1 || p.kernel_w < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilate_h < 1 || p.dilate_w < 1 ||
      p.pad_h < 0 || p.pad_w < 0) {
    throw ShapeError(std::string(op) + ": kernel, stride and dilate must be positive and pad not negative");
  }
  if (data.ndim() != 4) throw ShapeError(std::string(op) + ": data must be (N, C, H, W), got " + data.shape().str());
  nd::detail::check_groups(op, data.shape()[1], num_filter, num_group);
  const Shape expected{num_filter, data.shape()[1] / num_group, p.kernel_h, p.kernel_w};
  if (weight.shape() != expected) {
    throw ShapeError(std::string(op) + ": weight must be " + expected.str() + " for data " + data.shape().str() +
                     ", got " + weight.shape().str());
  }
  std::vector<NDArray> inputs = {data, offset};
  if (mask) inputs.push_back(*mask);
  NDArray columns;
  op::invoke(kDeformableColumns, std::span<const NDArray>(inputs), p, std::span<NDArray>(&columns, 1), data.context());
  const DeformGeometry g(p, data.shape());
  return nd::detail::convolve_columns(columns, weight, bias, g.batch, Shape{g.out_h, g.out_w}, num_filter, num_group, op);
}

}  // namespace

NDArray DeformableConvolution(const NDArray& data, const NDArray& offset, const NDArray& weight,
                              const std::optional<NDArray>& bias, const ConvShape& shape, std::int64_t num_filter,
                              std::int64_t num_group, std::int64_t num_deformable_group) {
  std::vector<NDArray> inputs = {data, offset, weight};
  if (bias) inputs.push_back(*bias);
  op::Composite node("_contrib_DeformableConvolution", inputs);
  NDArray y = deformable("DeformableConvolution", data, offset, std::nullopt, weight, bias, shape, num_filter, num_group,
                         num_deformable_group);
  if (!node.active()) return y;
  op::Attrs attrs = op::forms::convolution(shape, num_filter, num_group, !bias);
  attrs["num_deformable_group"] = op::attr_string(num_deformable_group);
  return node.finish(attrs, y);
}

NDArray ModulatedDeformableConvolution(const NDArray& data, const NDArray& offset, const NDArray& mask,
                                       const NDArray& weight, const std::optional<NDArray>& bias, const ConvShape& shape,
                                       std::int64_t num_filter, std::int64_t num_group, std::int64_t num_deformable_group) {
  std::vector<NDArray> inputs = {data, offset, mask, weight};
  if (bias) inputs.push_back(*bias);
  op::Composite node("_contrib_ModulatedDeformableConvolution", inputs);
  NDArray y = deformable("ModulatedDeformableConvolution", data, offset, mask, weight, bias, shape, num_filter, num_group,
                         num_deformable_group);
  if (!node.active()) return y;
  op::Attrs attrs = op::forms::convolution(shape, num_filter, num_group, !bias);
  attrs["num_deformable_group"] = op::attr_string(num_deformable_group);
  return node.finish(attrs, y);
}

}  // namespace mx::nd::contrib
