#include <mx/operators/pooling_cpu.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/float_dispatch.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/recording.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd::pooling_cpu {
namespace {

struct PoolParams {
  Window window{};
  PoolType type = PoolType::kMax;
  bool count_include_pad = true;
};

struct Geometry {
  std::int64_t planes, H, W, OH, OW;
};

Geometry geometry(const PoolParams& p, const Shape& data) {
  const Window& w = p.window;
  Geometry g{data[0] * data[1], data[2], data[3], 0, 0};
  g.OH = (g.H + 2 * w.pad[0] + w.pad_end[0] - w.kernel[0]) / w.stride[0] + 1;
  g.OW = (g.W + 2 * w.pad[1] + w.pad_end[1] - w.kernel[1]) / w.stride[1] + 1;
  return g;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a > 0 ? (a + b - 1) / b : -((-a) / b); }
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Where each window lies, worked out once per call: kernel column kw reads input column ow * sw + kw - pw,
// inside the image for output columns [lo[kw], hi[kw]); covered[ow] counts the window's columns inside it.
// Kernels walk one output row at a time and, for each kernel position, the whole row of outputs: the inner loop
// has no bounds to clip and vectorizes (a window at a time ran 3 ms for a 2x2 max over 128 x 20 x 24 x 24).
struct RowPlan {
  std::vector<std::int64_t> lo, hi, covered;
};

RowPlan plan_rows(const PoolParams& p, const Geometry& g) {
  const Window& w = p.window;
  RowPlan r;
  r.lo.resize(static_cast<std::size_t>(w.kernel[1]));
  r.hi.resize(static_cast<std::size_t>(w.kernel[1]));
  r.covered.assign(static_cast<std::size_t>(g.OW), 0);
  for (std::int64_t kw = 0; kw < w.kernel[1]; ++kw) {
    const std::int64_t shift = kw - w.pad[1];
    const std::int64_t lo = std::clamp<std::int64_t>(ceil_div(-shift, w.stride[1]), 0, g.OW);
    const std::int64_t hi = std::clamp<std::int64_t>(floor_div(g.W - 1 - shift, w.stride[1]) + 1, lo, g.OW);
    r.lo[static_cast<std::size_t>(kw)] = lo;
    r.hi[static_cast<std::size_t>(kw)] = hi;
    for (std::int64_t ow = lo; ow < hi; ++ow) ++r.covered[static_cast<std::size_t>(ow)];
  }
  return r;
}

// The kernel rows [kh0, kh1) that land inside the image for output row oh.
void kernel_rows(const PoolParams& p, const Geometry& g, std::int64_t oh, std::int64_t& kh0, std::int64_t& kh1) {
  const std::int64_t top = oh * p.window.stride[0] - p.window.pad[0];
  kh0 = std::clamp<std::int64_t>(-top, 0, p.window.kernel[0]);
  kh1 = std::clamp<std::int64_t>(g.H - top, kh0, p.window.kernel[0]);
}

// Calls body(first, lo, hi) for each kernel position of output row oh that lands inside the image, kernel rows
// then columns: output ow's pixel is first + ow * sw, for ow in [lo, hi). Returns the kernel rows inside.
template <class Body>
std::int64_t for_each_kernel_position(const PoolParams& p, const Geometry& g, const RowPlan& r, std::int64_t oh,
                                      Body&& body) {
  std::int64_t kh0 = 0, kh1 = 0;
  kernel_rows(p, g, oh, kh0, kh1);
  for (std::int64_t kh = kh0; kh < kh1; ++kh) {
    const std::int64_t row = (oh * p.window.stride[0] - p.window.pad[0] + kh) * g.W;
    for (std::int64_t kw = 0; kw < p.window.kernel[1]; ++kw) {
      body(row + kw - p.window.pad[1], r.lo[static_cast<std::size_t>(kw)], r.hi[static_cast<std::size_t>(kw)]);
    }
  }
  return kh1 - kh0;
}

// What each output of row oh divides by (averages): the window's size, or the pixels it covers.
template <class T>
void row_divisors(const PoolParams& p, const RowPlan& r, std::int64_t rows_inside, std::vector<T>& inverse) {
  for (std::size_t ow = 0; ow < inverse.size(); ++ow) {
    const double d = p.type == PoolType::kSum ? 1.0
                     : p.count_include_pad   ? static_cast<double>(p.window.kernel[0] * p.window.kernel[1])
                                             : static_cast<double>(rows_inside * r.covered[ow]);
    inverse[ow] = static_cast<T>(1.0 / d);
  }
}

// Planes split across workers, whole planes each.
template <class Body>
void for_each_plane(const Geometry& g, Body&& body) {
  const std::int64_t per_plane = std::max<std::int64_t>(g.H * g.W, 1);
  op::parallel_for(g.planes, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) body(plane);
  }, std::max<std::int64_t>(1, op::kParallelGrain / per_plane));
}

// acc[ow] = max(acc[ow], image[first + ow * sw]) for ow in [lo, hi); NaN wins, as the max reduction's. Plain
// pointers that cannot alias, so that the loop vectorizes.
template <class T>
void max_into(T* __restrict acc, const T* __restrict image, std::int64_t first, std::int64_t sw, std::int64_t lo,
              std::int64_t hi) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  for (std::int64_t ow = lo; ow < hi; ++ow) {  // a select on bits: a branch here mispredicts on real data
    const T v = image[first + ow * sw], a = acc[ow];
    const Bits mask = Bits{0} - static_cast<Bits>((v > a) | (v != v));
    acc[ow] = std::bit_cast<T>((std::bit_cast<Bits>(v) & mask) | (std::bit_cast<Bits>(a) & ~mask));
  }
}

// The same, remembering where each maximum was first found (the first NaN, if any, wins).
template <class T>
void argmax_into(T* __restrict best, std::int32_t* __restrict at, const T* __restrict image, std::int64_t first,
                 std::int64_t sw, std::int64_t lo, std::int64_t hi) {
  // Bitwise, no branch: on real data "wins" is a coin toss, and a branch on it mispredicted its way to 4 ms for
  // a 2x2 pooling of 128 x 20 x 24 x 24.
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  for (std::int64_t ow = lo; ow < hi; ++ow) {
    const T v = image[first + ow * sw], b = best[ow];
    const auto wins = static_cast<std::int32_t>((v > b) | ((v != v) & (b == b)));
    const Bits value_mask = Bits{0} - static_cast<Bits>(wins);  // all ones when v wins
    best[ow] = std::bit_cast<T>((std::bit_cast<Bits>(v) & value_mask) | (std::bit_cast<Bits>(b) & ~value_mask));
    const std::int32_t index_mask = -wins;
    at[ow] = (static_cast<std::int32_t>(first + ow * sw) & index_mask) | (at[ow] & ~index_mask);
  }
}

template <class T>
void forward_kernel(const PoolParams& p, const Blob& in, const Blob& out) {
  const Geometry g = geometry(p, in.shape);
  const RowPlan r = plan_rows(p, g);
  const std::int64_t sw = p.window.stride[1];
  const T* x = in.ptr<T>();
  T* y = out.ptr<T>();
  const bool is_max = p.type == PoolType::kMax;
  for_each_plane(g, [&](std::int64_t plane) {
    std::vector<T> inverse(static_cast<std::size_t>(g.OW));
    const T* image = x + plane * g.H * g.W;
    for (std::int64_t oh = 0; oh < g.OH; ++oh) {
      T* acc = y + (plane * g.OH + oh) * g.OW;
      std::fill(acc, acc + g.OW, is_max ? -std::numeric_limits<T>::infinity() : T{0});  // padding's value
      const std::int64_t rows_inside = for_each_kernel_position(p, g, r, oh, [&](std::int64_t first, std::int64_t lo,
                                                                                  std::int64_t hi) {
        if (is_max) {
          max_into(acc, image, first, sw, lo, hi);
        } else {
          for (std::int64_t ow = lo; ow < hi; ++ow) acc[ow] += image[first + ow * sw];
        }
      });
      if (!is_max) {
        row_divisors(p, r, rows_inside, inverse);
        for (std::int64_t ow = 0; ow < g.OW; ++ow) acc[ow] *= inverse[static_cast<std::size_t>(ow)];
      }
    }
  });
}

// Inputs (dy, data); output dx. Max: each window's gradient to its first pixel (kernel rows, then columns) equal
// to the window's maximum, found again as the forward found it, row by row, then summed into dx: a test per
// kernel position and output ("has this window found its pixel yet?") mispredicted its way to 5 ms.
template <class T>
void backward_kernel(const PoolParams& p, std::span<const Blob> in, const Blob& out) {
  const Geometry g = geometry(p, in[1].shape);
  const RowPlan r = plan_rows(p, g);
  const std::int64_t sw = p.window.stride[1];
  const T* dy = in[0].ptr<T>();
  const T* x = in[1].ptr<T>();
  T* dx = out.ptr<T>();
  const bool is_max = p.type == PoolType::kMax;
  for_each_plane(g, [&](std::int64_t plane) {
    std::vector<T> inverse(static_cast<std::size_t>(g.OW)), best(static_cast<std::size_t>(g.OW));
    std::vector<std::int32_t> at(static_cast<std::size_t>(g.OW));  // within the plane (checked by supports())
    const T* image = x + plane * g.H * g.W;
    T* dimage = dx + plane * g.H * g.W;
    std::fill(dimage, dimage + g.H * g.W, T{0});
    for (std::int64_t oh = 0; oh < g.OH; ++oh) {
      const T* grad = dy + (plane * g.OH + oh) * g.OW;
      if (is_max) {
        std::fill(best.begin(), best.end(), -std::numeric_limits<T>::infinity());
        std::fill(at.begin(), at.end(), -1);
      } else {
        std::int64_t kh0 = 0, kh1 = 0;
        kernel_rows(p, g, oh, kh0, kh1);
        row_divisors(p, r, kh1 - kh0, inverse);
        for (std::int64_t ow = 0; ow < g.OW; ++ow) inverse[static_cast<std::size_t>(ow)] *= grad[ow];  // each pixel's share
      }
      for_each_kernel_position(p, g, r, oh, [&](std::int64_t first, std::int64_t lo, std::int64_t hi) {
        if (is_max) {
          argmax_into(best.data(), at.data(), image, first, sw, lo, hi);
        } else {
          for (std::int64_t ow = lo; ow < hi; ++ow) dimage[first + ow * sw] += inverse[static_cast<std::size_t>(ow)];
        }
      });
      if (is_max) {
        for (std::int64_t ow = 0; ow < g.OW; ++ow) {
          if (at[static_cast<std::size_t>(ow)] >= 0) dimage[at[static_cast<std::size_t>(ow)]] += grad[ow];
        }
      }
    }
  });
}

void infer_forward(const PoolParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Geometry g = geometry(p, in[0].shape);
  out[0] = {Shape{in[0].shape[0], in[0].shape[1], g.OH, g.OW}, in[0].dtype};
}

void infer_backward(const PoolParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  out[0] = in[1];
}

const op::Operator<PoolParams> kBackward = op::define<PoolParams>({
    .name = "_backward_pooling2d",
    .num_inputs = 2,
    .infer = &infer_backward,
    .cpu = [](const PoolParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      op::dispatch_float32_or_64(in[0].dtype, "_backward_pooling2d",
                                 [&](auto tag) { backward_kernel<decltype(tag)>(p, in, out[0]); });
    },
});

// Under create_graph: the same gradient from im2col, elementwise operators and col2im, which autograd records.
NDArray differentiable_gradient(const PoolParams& p, const NDArray& dy, const NDArray& x, const NDArray& y) {
  const Window& w = p.window;
  const ConvShape window{{w.kernel[0], w.kernel[1]}, {w.stride[0], w.stride[1]}, {}, {w.pad[0], w.pad[1]}};
  const std::vector<std::int64_t> pad_end = {w.pad_end[0], w.pad_end[1]};
  const Shape planes{x.shape()[0] * x.shape()[1], 1, x.shape()[2], x.shape()[3]};
  const double fill = p.type == PoolType::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
  const NDArray cols = im2col(x.reshape(planes), window, pad_end, fill);  // (K, planes * L)
  const std::int64_t window_size = w.kernel[0] * w.kernel[1];
  NDArray spread;  // the output gradient of each window, over its K pixels
  if (p.type == PoolType::kMax) {
    spread = broadcast_to(dy.reshape({1, -1}), cols.shape()) * (cols == broadcast_to(y.reshape({1, -1}), cols.shape()));
  } else if (p.type == PoolType::kSum) {
    spread = broadcast_to(dy.reshape({1, -1}), cols.shape());
  } else if (p.count_include_pad) {
    spread = broadcast_to(dy.reshape({1, -1}) / static_cast<double>(window_size), cols.shape());
  } else {
    const NDArray counts = sum(im2col(ones(Shape{1, 1, x.shape()[2], x.shape()[3]}, x.context(), x.dtype()), window,
                                      pad_end),
                               {0});  // pixels covered, per output position
    spread = broadcast_to((dy.reshape({planes[0], -1}) / counts).reshape({1, -1}), cols.shape());
  }
  return col2im(spread, planes, window, pad_end).reshape(x.shape());
}

std::vector<NDArray> forward_gradient(const PoolParams& p, const op::GradientArgs& args) {
  if (op::is_recording()) return {differentiable_gradient(p, args.output_grads[0], args.inputs[0], args.outputs[0])};
  NDArray dx;
  const std::vector<NDArray> inputs = {args.output_grads[0], args.inputs[0]};
  op::invoke(kBackward, std::span<const NDArray>(inputs), p, std::span<NDArray>(&dx, 1));
  return {dx};
}

const op::Operator<PoolParams> kForward = op::define<PoolParams>({
    .name = "_pooling2d",
    .infer = &infer_forward,
    .cpu = [](const PoolParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      op::dispatch_float32_or_64(in[0].dtype, "_pooling2d",
                                 [&](auto tag) { forward_kernel<decltype(tag)>(p, in[0], out[0]); });
    },
    .gradient = &forward_gradient,
});

}  // namespace

bool supports(const NDArray& data, std::size_t spatial_axes) {
  return spatial_axes == 2 && data.ndim() == 4 && !data.context().is_gpu() &&
         data.shape()[2] * data.shape()[3] < (std::int64_t{1} << 31) &&
         (data.dtype() == DType::kFloat32 || data.dtype() == DType::kFloat64);
}

NDArray pooling(const NDArray& data, const Window& window, PoolType type, bool count_include_pad) {
  return op::invoke1(kForward, {data}, PoolParams{window, type, count_include_pad});
}

}  // namespace mx::nd::pooling_cpu
