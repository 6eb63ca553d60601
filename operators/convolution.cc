// im2col and col2im, the two operators convolution needs, and Convolution, Deconvolution and Pooling built on
// them: a convolution is one product of the weights with the patches, so it runs at OpenBLAS's speed, and its
// gradients are the gradients of that product and of im2col.
#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>

#include <mx/ndarray/error.h>
#include <mx/operators/convolution.h>
#if MXPP_USE_CUDA
#include <mx/operators/convolution_cudnn.h>
#endif
#include <mx/operators/composite_forms.h>
#include <mx/operators/pooling_cpu.h>
#include <mx/operators/creation.h>
#include <mx/operators/dot.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/float_dispatch.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/layout.h>
#include <mx/operators/parallel.h>
#include <mx/operators/reduce.h>

#include "conv_columns.h"

namespace mx::nd {
namespace {

constexpr int kMaxSpatial = 3;

struct PatchParams {
  ConvShape shape;
  std::vector<std::int64_t> pad_end;
  double pad_value = 0;
  Shape image;  // col2im: the image to sum into
};

// Where each patch element of each output position reads: the input's spatial offset, or -1 in padding.
struct PatchPlan {
  std::int64_t batch = 0, channels = 0, image_size = 1, out_size = 1, kernel_size = 1;
  Shape out_spatial;
  std::int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};  // per spatial axis
  std::vector<std::int64_t> kernel, stride, dilate, pad;
  std::vector<std::int64_t> source;  // kernel_size x out_size; filled only when asked for (with_source)
};

std::vector<std::int64_t> per_axis(const char* op, const char* what, const std::vector<std::int64_t>& given,
                                   std::size_t axes, std::int64_t fallback) {
  if (given.empty()) return std::vector<std::int64_t>(axes, fallback);
  if (given.size() != axes) {
    throw ShapeError(std::string(op) + ": " + what + " has " + std::to_string(given.size()) + " values for " +
                     std::to_string(axes) + " spatial axes");
  }
  return given;
}

PatchPlan plan_patches(const char* op, const PatchParams& p, const Shape& image, bool with_source = false) {
  const std::size_t axes = p.shape.kernel.size();
  if (axes < 1 || axes > kMaxSpatial || image.ndim() != static_cast<int>(axes) + 2) {
    throw ShapeError(std::string(op) + ": a kernel of " + std::to_string(axes) + " axes needs data of " +
                     std::to_string(axes + 2) + " axes (N, C, spatial...), got " + image.str());
  }
  const auto kernel = per_axis(op, "kernel", p.shape.kernel, axes, 1);
  const auto stride = per_axis(op, "stride", p.shape.stride, axes, 1);
  const auto dilate = per_axis(op, "dilate", p.shape.dilate, axes, 1);
  const auto pad = per_axis(op, "pad", p.shape.pad, axes, 0);
  const auto pad_end = per_axis(op, "pad_end", p.pad_end, axes, 0);
  PatchPlan plan;
  plan.batch = image[0];
  plan.channels = image[1];
  std::int64_t in[kMaxSpatial] = {1, 1, 1}, out[kMaxSpatial] = {1, 1, 1};
  for (std::size_t a = 0; a < axes; ++a) {
    if (kernel[a] < 1 || stride[a] < 1 || dilate[a] < 1 || pad[a] < 0 || pad_end[a] < 0) {
      throw ShapeError(std::string(op) + ": kernel, stride and dilate must be positive and pad not negative");
    }
    in[a] = image[static_cast<int>(a) + 2];
    const std::int64_t span = dilate[a] * (kernel[a] - 1) + 1, padded = in[a] + pad[a] + pad[a] + pad_end[a];
    if (padded < span) {
      throw ShapeError(std::string(op) + ": the kernel spans " + std::to_string(span) + " on spatial axis " +
                       std::to_string(a) + " but the padded input " + image.str() + " has " + std::to_string(padded));
    }
    out[a] = (padded - span) / stride[a] + 1;
    plan.out_spatial.push_back(out[a]);
    plan.image_size *= in[a];
    plan.out_size *= out[a];
    plan.kernel_size *= kernel[a];
  }
  std::copy(in, in + kMaxSpatial, plan.in);
  std::copy(out, out + kMaxSpatial, plan.out);
  plan.kernel = kernel;
  plan.stride = stride;
  plan.dilate = dilate;
  plan.pad = pad;
  if (!with_source) return plan;
  plan.source.resize(static_cast<std::size_t>(plan.kernel_size * plan.out_size));
  std::int64_t k[kMaxSpatial] = {0, 0, 0};
  for (std::int64_t kk = 0; kk < plan.kernel_size; ++kk) {
    std::int64_t rest = kk;
    for (int a = static_cast<int>(axes) - 1; a >= 0; --a) {
      k[a] = rest % kernel[static_cast<std::size_t>(a)];
      rest /= kernel[static_cast<std::size_t>(a)];
    }
    for (std::int64_t l = 0; l < plan.out_size; ++l) {
      std::int64_t position = l, offset = 0, scale = 1;
      bool inside = true;
      for (int a = static_cast<int>(axes) - 1; a >= 0; --a) {
        const auto ua = static_cast<std::size_t>(a);
        const std::int64_t o = position % out[a];
        position /= out[a];
        const std::int64_t i = o * stride[ua] - pad[ua] + k[a] * dilate[ua];
        inside = inside && i >= 0 && i < in[a];
        offset += i * scale;
        scale *= in[a];
      }
      plan.source[static_cast<std::size_t>(kk * plan.out_size + l)] = inside ? offset : -1;
    }
  }
  return plan;
}

void infer_im2col(const PatchParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  op::dispatch_float32_or_64(in[0].dtype, "im2col", [](auto) {});
  const PatchPlan plan = plan_patches("im2col", p, in[0].shape);
  out[0] = {Shape{plan.channels * plan.kernel_size, plan.batch * plan.out_size}, in[0].dtype};
}

// ceil(a / b) and floor(a / b) for b > 0 and any a.
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a > 0 ? (a + b - 1) / b : -((-a) / b); }
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Two spatial axes, row by row: each output row of a patch row is a run of the input row (a copy at stride 1)
// between its padding, with no per-element index table or branch.
template <class T>
void im2col_2d(const PatchPlan& plan, const T* x, T* cols, T fill) {
  const std::int64_t H = plan.in[0], W = plan.in[1], OH = plan.out[0], OW = plan.out[1];
  const std::int64_t KH = plan.kernel[0], KW = plan.kernel[1];
  const std::int64_t sh = plan.stride[0], sw = plan.stride[1], ph = plan.pad[0], pw = plan.pad[1];
  const std::int64_t dh = plan.dilate[0], dw = plan.dilate[1];
  const std::int64_t width = plan.batch * plan.out_size;
  op::parallel_for(plan.channels * KH * KW, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t c = row / (KH * KW), kh = row / KW % KH, kw = row % KW;
      const std::int64_t shift = kw * dw - pw;  // iw = ow * sw + shift
      const std::int64_t lo = std::clamp<std::int64_t>(ceil_div(-shift, sw), 0, OW);
      const std::int64_t hi = std::clamp<std::int64_t>(floor_div(W - 1 - shift, sw) + 1, lo, OW);
      for (std::int64_t n = 0; n < plan.batch; ++n) {
        const T* image = x + (n * plan.channels + c) * plan.image_size;
        T* dst = cols + row * width + n * plan.out_size;
        for (std::int64_t oh = 0; oh < OH; ++oh, dst += OW) {
          const std::int64_t ih = oh * sh - ph + kh * dh;
          if (ih < 0 || ih >= H) {
            std::fill(dst, dst + OW, fill);
            continue;
          }
          const T* src = image + ih * W + shift;
          // Plain loops: rows are short after a few poolings (8 to 24 pixels), where a call to memmove per row
          // cost more than the copy.
          for (std::int64_t ow = 0; ow < lo; ++ow) dst[ow] = fill;
          if (sw == 1) {
            for (std::int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow];
          } else {
            for (std::int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * sw];
          }
          for (std::int64_t ow = hi; ow < OW; ++ow) dst[ow] = fill;
        }
      }
    }
  }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(width, 1)));
}

void im2col_cpu(const PatchParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  if (p.shape.kernel.size() == 2) {
    const PatchPlan plan = plan_patches("im2col", p, in[0].shape);
    op::dispatch_float32_or_64(in[0].dtype, "im2col", [&](auto tag) {
      using T = decltype(tag);
      im2col_2d<T>(plan, in[0].ptr<T>(), out[0].ptr<T>(), static_cast<T>(p.pad_value));
    });
    return;
  }
  const PatchPlan plan = plan_patches("im2col", p, in[0].shape, true);
  op::dispatch_float32_or_64(in[0].dtype, "im2col", [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].ptr<T>();
    T* cols = out[0].ptr<T>();
    const T fill = static_cast<T>(p.pad_value);
    const std::int64_t width = plan.batch * plan.out_size;
    op::parallel_for(plan.channels * plan.kernel_size, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t row = begin; row < end; ++row) {
        const std::int64_t c = row / plan.kernel_size, kk = row % plan.kernel_size;
        const std::int64_t* source = plan.source.data() + kk * plan.out_size;
        for (std::int64_t n = 0; n < plan.batch; ++n) {
          const T* image = x + (n * plan.channels + c) * plan.image_size;
          T* dst = cols + row * width + n * plan.out_size;
          for (std::int64_t l = 0; l < plan.out_size; ++l) dst[l] = source[l] >= 0 ? image[source[l]] : fill;
        }
      }
    }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(width, 1)));
  });
}

void infer_col2im(const PatchParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  op::dispatch_float32_or_64(in[0].dtype, "col2im", [](auto) {});
  const PatchPlan plan = plan_patches("col2im", p, p.image);
  const Shape expected{plan.channels * plan.kernel_size, plan.batch * plan.out_size};
  if (in[0].shape != expected) {
    throw ShapeError("col2im: columns for an image " + p.image.str() + " must be " + expected.str() + ", got " +
                     in[0].shape.str());
  }
  out[0] = {p.image, in[0].dtype};
}

// col2im over two spatial axes, im2col_2d's rows walked the other way: each patch row's run of an output row adds
// into a run of the image row it came from. Channels are independent, so they split across workers; within a
// channel the patch rows go in order, so each pixel sums its contributions in the same order every run.
template <class T>
void col2im_2d(const PatchPlan& plan, const T* cols, T* x) {
  const std::int64_t H = plan.in[0], W = plan.in[1], OH = plan.out[0], OW = plan.out[1];
  const std::int64_t KH = plan.kernel[0], KW = plan.kernel[1];
  const std::int64_t sh = plan.stride[0], sw = plan.stride[1], ph = plan.pad[0], pw = plan.pad[1];
  const std::int64_t dh = plan.dilate[0], dw = plan.dilate[1];
  const std::int64_t width = plan.batch * plan.out_size;
  op::parallel_for(plan.channels, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      for (std::int64_t n = 0; n < plan.batch; ++n) {
        T* image = x + (n * plan.channels + c) * plan.image_size;
        std::fill(image, image + plan.image_size, T{0});
      }
      for (std::int64_t kh = 0; kh < KH; ++kh) {
        for (std::int64_t kw = 0; kw < KW; ++kw) {
          const std::int64_t row = (c * KH + kh) * KW + kw;
          const std::int64_t shift = kw * dw - pw;
          const std::int64_t lo = std::clamp<std::int64_t>(ceil_div(-shift, sw), 0, OW);
          const std::int64_t hi = std::clamp<std::int64_t>(floor_div(W - 1 - shift, sw) + 1, lo, OW);
          for (std::int64_t n = 0; n < plan.batch; ++n) {
            T* image = x + (n * plan.channels + c) * plan.image_size;
            const T* src = cols + row * width + n * plan.out_size;
            for (std::int64_t oh = 0; oh < OH; ++oh, src += OW) {
              const std::int64_t ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              T* dst = image + ih * W + shift;
              if (sw == 1) {
                for (std::int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
              } else {
                for (std::int64_t ow = lo; ow < hi; ++ow) dst[ow * sw] += src[ow];
              }
            }
          }
        }
      }
    }
  }, 1);
}

// Sums each column entry into the pixel it came from; channels are independent, so they split across workers.
void col2im_cpu(const PatchParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  if (p.shape.kernel.size() == 2) {
    const PatchPlan plan = plan_patches("col2im", p, p.image);
    op::dispatch_float32_or_64(in[0].dtype, "col2im", [&](auto tag) {
      using T = decltype(tag);
      col2im_2d<T>(plan, in[0].ptr<T>(), out[0].ptr<T>());
    });
    return;
  }
  const PatchPlan plan = plan_patches("col2im", p, p.image, true);
  op::dispatch_float32_or_64(in[0].dtype, "col2im", [&](auto tag) {
    using T = decltype(tag);
    const T* cols = in[0].ptr<T>();
    T* x = out[0].ptr<T>();
    std::fill(x, x + out[0].size(), T{0});
    const std::int64_t width = plan.batch * plan.out_size;
    op::parallel_for(plan.channels, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t c = begin; c < end; ++c) {
        for (std::int64_t kk = 0; kk < plan.kernel_size; ++kk) {
          const std::int64_t* source = plan.source.data() + kk * plan.out_size;
          const T* row = cols + (c * plan.kernel_size + kk) * width;
          for (std::int64_t n = 0; n < plan.batch; ++n) {
            T* image = x + (n * plan.channels + c) * plan.image_size;
            const T* src = row + n * plan.out_size;
            for (std::int64_t l = 0; l < plan.out_size; ++l) {
              if (source[l] >= 0) image[source[l]] += src[l];
            }
          }
        }
      }
    }, 1);
  });
}

#if MXPP_USE_CUDA
op::gpu::Patches gpu_patches(const PatchPlan& plan) {
  op::gpu::Patches g;
  g.axes = static_cast<int>(plan.kernel.size());
  g.batch = plan.batch;
  g.channels = plan.channels;
  g.image_size = plan.image_size;
  g.out_size = plan.out_size;
  g.kernel_size = plan.kernel_size;
  for (int a = 0; a < g.axes; ++a) {
    const auto i = static_cast<std::size_t>(a);
    g.in[a] = plan.in[a];
    g.out[a] = plan.out[a];
    g.kernel[a] = plan.kernel[i];
    g.stride[a] = plan.stride[i];
    g.dilate[a] = plan.dilate[i];
    g.pad[a] = plan.pad[i];
  }
  return g;
}

void im2col_gpu(const PatchParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  op::gpu::im2col(static_cast<int>(in[0].dtype), in[0].data, out[0].data,
                  gpu_patches(plan_patches("im2col", p, in[0].shape)), p.pad_value, ctx.run.stream);
}

void col2im_gpu(const PatchParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  op::gpu::col2im(static_cast<int>(in[0].dtype), in[0].data, out[0].data, gpu_patches(plan_patches("col2im", p, p.image)),
                  ctx.run.stream);
}
#endif

const op::Operator<PatchParams> kIm2col = op::define<PatchParams>({
    .name = "im2col",
    .infer = &infer_im2col,
    .cpu = &im2col_cpu,
    .gpu = MX_GPU(&im2col_gpu),
    .gradient = [](const PatchParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {col2im(args.output_grads[0], args.inputs[0].shape(), p.shape, p.pad_end)};
    },
});

const op::Operator<PatchParams> kCol2im = op::define<PatchParams>({
    .name = "col2im",
    .infer = &infer_col2im,
    .cpu = &col2im_cpu,
    .gpu = MX_GPU(&col2im_gpu),
    .gradient = [](const PatchParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {im2col(args.output_grads[0], p.shape, p.pad_end)};
    },
});

std::vector<std::int64_t> spatial_dims(const NDArray& x) { return {x.shape().begin() + 2, x.shape().end()}; }

// (rows, N * L) products back to (N, rows, *spatial).
NDArray columns_to_image(const NDArray& product, std::int64_t batch, const Shape& out_spatial) {
  const std::int64_t rows = product.shape()[0];
  std::vector<std::int64_t> dims = {batch, rows};
  dims.insert(dims.end(), out_spatial.begin(), out_spatial.end());
  if (batch == 1) return product.reshape(dims);  // (C, L) is already (1, C, spatial...): a view, no copy
  return swapaxes(product.reshape({rows, batch, -1}), 0, 1).reshape(dims);
}

// Whether im2col would copy the image unchanged: one sample, a 1x1 kernel, stride 1, no padding or dilation.
bool columns_are_the_image(std::int64_t batch, const ConvShape& shape) {
  if (batch != 1) return false;
  for (std::size_t a = 0; a < shape.kernel.size(); ++a) {
    const auto at = [&](const std::vector<std::int64_t>& v, std::int64_t fallback) {
      return v.empty() ? fallback : v[std::min(a, v.size() - 1)];
    };
    if (shape.kernel[a] != 1 || at(shape.stride, 1) != 1 || at(shape.pad, 0) != 0 || at(shape.dilate, 1) != 1) {
      return false;
    }
  }
  return true;
}

NDArray add_bias(const NDArray& out, const std::optional<NDArray>& bias, std::int64_t channels, const char* op) {
  if (!bias) return out;
  if (bias->shape() != Shape{channels}) {
    throw ShapeError(std::string(op) + ": bias must be (" + std::to_string(channels) + ",), got " + bias->shape().str());
  }
  std::vector<std::int64_t> per_channel(static_cast<std::size_t>(out.ndim()), 1);
  per_channel[1] = channels;
  return out + bias->reshape(per_channel);
}

}  // namespace

void detail::check_groups(const char* op, std::int64_t channels, std::int64_t num_filter, std::int64_t num_group) {
  if (num_group < 1 || channels % num_group != 0 || num_filter % num_group != 0) {
    throw ShapeError(std::string(op) + ": " + std::to_string(num_group) + " groups must divide " +
                     std::to_string(channels) + " channels and " + std::to_string(num_filter) + " filters");
  }
}

NDArray detail::convolve_columns(const NDArray& columns, const NDArray& weight, const std::optional<NDArray>& bias,
                                 std::int64_t batch, const Shape& out_spatial, std::int64_t num_filter,
                                 std::int64_t num_group, const char* op) {
  NDArray product;
  if (num_group == 1) {
    product = dot(weight.reshape({num_filter, -1}), columns);
  } else {
    product = batch_dot(weight.reshape({num_group, num_filter / num_group, -1}),
                        columns.reshape({num_group, -1, columns.shape()[1]}))
                  .reshape({num_filter, -1});
  }
  return add_bias(columns_to_image(product, batch, out_spatial), bias, num_filter, op);
}

NDArray im2col(const NDArray& data, const ConvShape& shape, std::vector<std::int64_t> pad_end, double pad_value) {
  return op::invoke1(kIm2col, {data}, PatchParams{shape, std::move(pad_end), pad_value, {}});
}

NDArray col2im(const NDArray& columns, const Shape& image_shape, const ConvShape& shape,
               std::vector<std::int64_t> pad_end) {
  return op::invoke1(kCol2im, {columns}, PatchParams{shape, std::move(pad_end), 0, image_shape});
}

// The checks every convolution makes at the call, whichever way it computes; the plan of its patches.
static PatchPlan check_convolution(const NDArray& data, const NDArray& weight, const ConvShape& shape,
                                   std::int64_t num_filter, std::int64_t num_group) {
  if (data.ndim() < 3) throw ShapeError("Convolution: data must be (N, C, spatial...), got " + data.shape().str());
  const std::int64_t channels = data.shape()[1];
  detail::check_groups("Convolution", channels, num_filter, num_group);
  std::vector<std::int64_t> expected = {num_filter, channels / num_group};
  expected.insert(expected.end(), shape.kernel.begin(), shape.kernel.end());
  if (weight.shape() != Shape(expected)) {
    throw ShapeError("Convolution: weight must be " + Shape(expected).str() + " for data " + data.shape().str() +
                     ", got " + weight.shape().str());
  }
  return plan_patches("Convolution", {shape, {}, 0, {}}, data.shape());
}

static NDArray convolution_parts(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                    const ConvShape& shape, std::int64_t num_filter, std::int64_t num_group) {
  const PatchPlan plan = check_convolution(data, weight, shape, num_filter, num_group);
#if MXPP_USE_CUDA
  if (cudnn::supports(data)) {  // cuDNN's kernels rather than patches and products
    return add_bias(cudnn::convolution(data, weight, shape, num_filter, num_group), bias, num_filter, "Convolution");
  }
#endif
  const std::int64_t batch = data.shape()[0], channels = data.shape()[1];
  const NDArray columns = columns_are_the_image(batch, shape) ? data.reshape({channels, -1})
                                                               : im2col(data, shape);  // (C * K, N * L)
  return detail::convolve_columns(columns, weight, bias, batch, plan.out_spatial, num_filter, num_group, "Convolution");
}

static NDArray deconvolution_parts(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                      const ConvShape& shape, std::int64_t num_filter, std::int64_t num_group,
                      std::vector<std::int64_t> adj) {
  if (data.ndim() < 3) throw ShapeError("Deconvolution: data must be (N, C, spatial...), got " + data.shape().str());
  const std::int64_t batch = data.shape()[0], channels = data.shape()[1];
  detail::check_groups("Deconvolution", channels, num_filter, num_group);
  std::vector<std::int64_t> expected = {channels, num_filter / num_group};
  expected.insert(expected.end(), shape.kernel.begin(), shape.kernel.end());
  if (weight.shape() != Shape(expected)) {
    throw ShapeError("Deconvolution: weight must be " + Shape(expected).str() + " for data " + data.shape().str() +
                     ", got " + weight.shape().str());
  }
  const std::size_t axes = shape.kernel.size();
  const auto stride = per_axis("Deconvolution", "stride", shape.stride, axes, 1);
  const auto dilate = per_axis("Deconvolution", "dilate", shape.dilate, axes, 1);
  const auto pad = per_axis("Deconvolution", "pad", shape.pad, axes, 0);
  adj = per_axis("Deconvolution", "adj", adj, axes, 0);
  std::vector<std::int64_t> image = {batch, num_filter};
  for (std::size_t a = 0; a < axes; ++a) {
    const std::int64_t in = data.shape()[static_cast<int>(a) + 2];
    image.push_back((in - 1) * stride[a] - 2 * pad[a] + dilate[a] * (shape.kernel[a] - 1) + 1 + adj[a]);
  }
  // The data as the columns' coefficients: (C, N * L_in), then W^T per group gives the columns to sum.
  const NDArray flat = swapaxes(data.reshape({batch, channels, -1}), 0, 1).reshape({channels, -1});
  NDArray columns;
  if (num_group == 1) {
    columns = dot(weight.reshape({channels, -1}), flat, true, false);
  } else {
    columns = batch_dot(weight.reshape({num_group, channels / num_group, -1}),
                        flat.reshape({num_group, channels / num_group, -1}), true, false)
                  .reshape({-1, flat.shape()[1]});
  }
  return add_bias(col2im(columns, Shape(image), shape), bias, num_filter, "Deconvolution");
}

static NDArray pooling_parts(const NDArray& data, const ConvShape& shape, const PoolOptions& options) {
  if (data.ndim() < 3) throw ShapeError("Pooling: data must be (N, C, spatial...), got " + data.shape().str());
  if (data.dtype() == DType::kFloat16 || data.dtype() == DType::kBFloat16) {  // mixed precision: pool in float32
    return pooling_parts(data.astype(DType::kFloat32), shape, options).astype(data.dtype());
  }
  if (options.global_pool) {
    std::vector<int> spatial;
    for (int a = 2; a < data.ndim(); ++a) spatial.push_back(a);
    switch (options.type) {
      case PoolType::kMax: return max(data, spatial, true);
      case PoolType::kAvg: return mean(data, spatial, true);
      case PoolType::kSum: return sum(data, spatial, true);
    }
  }
  const std::size_t axes = shape.kernel.size();
  const auto stride = per_axis("Pooling", "stride", shape.stride, axes, 1);
  const auto pad = per_axis("Pooling", "pad", shape.pad, axes, 0);
  std::vector<std::int64_t> pad_end(axes, 0);
  if (options.convention == PoolingConvention::kFull) {  // room for a last window hanging over the edge
    for (std::size_t a = 0; a < axes; ++a) {
      const std::int64_t padded = data.shape()[static_cast<int>(a) + 2] + 2 * pad[a];
      const std::int64_t windows = (padded - shape.kernel[a] + stride[a] - 1) / stride[a] + 1;
      pad_end[a] = std::max<std::int64_t>(0, (windows - 1) * stride[a] + shape.kernel[a] - padded);
    }
  }
  const ConvShape window{shape.kernel, stride, {}, pad};
  const std::int64_t batch = data.shape()[0], channels = data.shape()[1];
  std::vector<std::int64_t> planes = {batch * channels, 1};
  const std::vector<std::int64_t> spatial = spatial_dims(data);
  planes.insert(planes.end(), spatial.begin(), spatial.end());
  const PatchPlan plan = plan_patches("Pooling", {window, pad_end, 0, {}}, Shape(planes));  // checks the window
  if (pooling_cpu::supports(data, axes)) {  // window by window, no patch matrix
    pooling_cpu::Window w{};
    for (std::size_t a = 0; a < 2; ++a) {
      w.kernel[a] = shape.kernel[a];
      w.stride[a] = stride[a];
      w.pad[a] = pad[a];
      w.pad_end[a] = pad_end[a];
    }
    return pooling_cpu::pooling(data, w, options.type, options.count_include_pad);
  }
  const bool is_max = options.type == PoolType::kMax;
  const NDArray columns = im2col(data.reshape(planes), window, pad_end,
                                 is_max ? -std::numeric_limits<double>::infinity() : 0.0);  // (K, N * C * L)
  NDArray pooled = is_max ? max(columns, {0}) : sum(columns, {0});
  if (options.type == PoolType::kAvg) {
    if (options.count_include_pad) {
      pooled = pooled / static_cast<double>(plan.kernel_size);
    } else {  // divide each window by how many real pixels it covers
      std::vector<std::int64_t> one_plane = {1, 1};
      one_plane.insert(one_plane.end(), spatial.begin(), spatial.end());
      const NDArray counts = sum(im2col(ones(Shape(one_plane), data.context(), data.dtype()), window, pad_end), {0});
      pooled = (pooled.reshape({batch * channels, plan.out_size}) / counts).reshape({-1});
    }
  }
  std::vector<std::int64_t> out = {batch, channels};
  out.insert(out.end(), plan.out_spatial.begin(), plan.out_spatial.end());
  return pooled.reshape(out);
}

// The public forms: one symbol node each when traced.
namespace {
std::vector<NDArray> with_bias(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias) {
  std::vector<NDArray> inputs = {data, weight};
  if (bias) inputs.push_back(*bias);
  return inputs;
}
}  // namespace

NDArray Convolution(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                    const ConvShape& shape, std::int64_t num_filter, std::int64_t num_group) {
  op::Composite node("Convolution", with_bias(data, weight, bias));
  NDArray y = convolution_parts(data, weight, bias, shape, num_filter, num_group);
  if (!node.active()) return y;
  return node.finish(op::forms::convolution(shape, num_filter, num_group, !bias), y);
}

NDArray Deconvolution(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                      const ConvShape& shape, std::int64_t num_filter, std::int64_t num_group,
                      std::vector<std::int64_t> adj) {
  op::Composite node("Deconvolution", with_bias(data, weight, bias));
  NDArray y = deconvolution_parts(data, weight, bias, shape, num_filter, num_group, adj);
  if (!node.active()) return y;
  return node.finish(op::forms::deconvolution(shape, num_filter, num_group, !bias, adj), y);
}

NDArray Pooling(const NDArray& data, const ConvShape& shape, const PoolOptions& options) {
  op::Composite node("Pooling", {data});
  NDArray y = pooling_parts(data, shape, options);
  if (!node.active()) return y;
  return node.finish(op::forms::pooling(shape, options, data.ndim() - 2), y);
}

}  // namespace mx::nd
