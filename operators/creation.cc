// Creation operators: _full (zeros, ones and full are its special cases) and _arange.
#include <cmath>
#include <string>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/nn.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

namespace mx::nd {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

struct FullParams {
  Shape shape;
  DType dtype = DType::kFloat32;
  double value = 0;
};

void infer_full(const FullParams& p, std::span<const ArrayInfo>, std::span<ArrayInfo> out) {
  for (std::int64_t extent : p.shape) {
    if (extent < 0) throw ShapeError("full: negative extent in shape " + p.shape.str());
  }
  out[0] = {p.shape, p.dtype};
}

void full_cpu(const FullParams& p, std::span<const Blob>, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T value = convert_value<T>(p.value);
    T* y = out[0].ptr<T>();
    op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) y[i] = value;
    });
  });
}

#if MXPP_USE_CUDA
void full_gpu(const FullParams& p, std::span<const Blob>, std::span<const Blob> out, const ComputeContext& ctx) {
  op::gpu::fill(static_cast<int>(out[0].dtype), out[0].data, p.value, out[0].size(), ctx.run.stream);
}
#endif

// MXNet's _full (symbol.full); its _zeros and _ones are read by composite_forms.cc.
const op::Operator<FullParams> kFull = op::define<FullParams>(
    {.name = "_full",
     .num_inputs = 0,
     .infer = &infer_full,
     .cpu = &full_cpu,
     .gpu = MX_GPU(&full_gpu),
     .to_attrs = [](const FullParams& p, int, op::Attrs& attrs) {
       attrs["shape"] = op::attr_string(p.shape.dims());
       attrs["dtype"] = dtype_name(p.dtype);
       attrs["value"] = op::attr_string(p.value);
     },
     .from_attrs = [](op::AttrReader& attrs, int) {
       FullParams p;
       std::vector<std::int64_t> shape;
       attrs.read("shape", shape);
       attrs.read("dtype", p.dtype);
       attrs.read("value", p.value);
       attrs.ignore("ctx");
       p.shape = Shape(shape);
       return p;
     }});

struct ArangeParams {
  double start = 0, stop = 0, step = 1;
  int repeat = 1;
  DType dtype = DType::kFloat32;
};

std::int64_t arange_count(const ArangeParams& p) {
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil((p.stop - p.start) / p.step)));
}

void infer_arange(const ArangeParams& p, std::span<const ArrayInfo>, std::span<ArrayInfo> out) {
  if (p.step == 0 || !std::isfinite(p.step)) throw Error("arange: step must be finite and nonzero");
  if (p.repeat < 1) throw Error("arange: repeat must be at least 1, got " + std::to_string(p.repeat));
  if (!std::isfinite(p.start) || !std::isfinite(p.stop)) throw Error("arange: start and stop must be finite");
  out[0] = {Shape{arange_count(p) * p.repeat}, p.dtype};
}

void arange_cpu(const ArangeParams& p, std::span<const Blob>, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    T* y = out[0].ptr<T>();
    for (std::int64_t i = 0; i < out[0].size(); ++i) y[i] = convert_value<T>(p.start + (i / p.repeat) * p.step);
  });
}

#if MXPP_USE_CUDA
void arange_gpu(const ArangeParams& p, std::span<const Blob>, std::span<const Blob> out, const ComputeContext& ctx) {
  op::gpu::arange(static_cast<int>(out[0].dtype), out[0].data, p.start, p.step, p.repeat, out[0].size(), ctx.run.stream);
}
#endif

const op::Operator<ArangeParams> kArange = op::define<ArangeParams>(
    {.name = "_arange", .num_inputs = 0, .infer = &infer_arange, .cpu = &arange_cpu, .gpu = MX_GPU(&arange_gpu)});

}  // namespace

NDArray empty(const Shape& shape, Context ctx, DType dtype) { return NDArray(shape, ctx, dtype); }

NDArray full(const Shape& shape, double value, Context ctx, DType dtype) {
  return op::invoke1(kFull, {}, FullParams{shape, dtype, value}, ctx);
}
NDArray zeros(const Shape& shape, Context ctx, DType dtype) { return full(shape, 0, ctx, dtype); }
NDArray ones(const Shape& shape, Context ctx, DType dtype) { return full(shape, 1, ctx, dtype); }
NDArray zeros_like(const NDArray& like) { return full(like.shape(), 0, like.context(), like.dtype()); }
NDArray ones_like(const NDArray& like) { return full(like.shape(), 1, like.context(), like.dtype()); }
NDArray full_like(const NDArray& like, double value) {
  return full(like.shape(), value, like.context(), like.dtype());
}
NDArray eye(std::int64_t n, std::int64_t m, int k, Context ctx, DType dtype) {
  if (n < 0 || m < 0) throw ShapeError("eye: negative size " + std::to_string(n < 0 ? n : m));
  const NDArray columns = arange(k, static_cast<double>(n + k), 1, 1, ctx, DType::kFloat64);
  return one_hot(columns, m == 0 ? n : m, 1, 0, dtype);  // out-of-range columns give rows of zeros
}

NDArray linspace(double start, double stop, std::int64_t num, bool endpoint, Context ctx, DType dtype) {
  if (num < 0) throw ShapeError("linspace: negative num " + std::to_string(num));
  const double intervals = static_cast<double>(endpoint ? num - 1 : num);
  const double step = intervals > 0 ? (stop - start) / intervals : 0;
  const NDArray steps = arange(0, static_cast<double>(num), 1, 1, ctx, DType::kFloat64);
  return (steps * step + start).astype(dtype);
}

void fill(NDArray& out, double value) {
  op::invoke(kFull, {}, FullParams{out.shape(), out.dtype(), value}, std::span(&out, 1), out.context());
}

NDArray arange(double start, std::optional<double> stop, double step, int repeat, Context ctx, DType dtype) {
  ArangeParams p{stop ? start : 0, stop.value_or(start), step, repeat, dtype};
  return op::invoke1(kArange, {}, p, ctx);
}

NDArray array(std::span<const double> values, std::optional<Shape> shape, Context ctx, DType dtype) {
  NDArray out(shape.value_or(Shape{static_cast<std::int64_t>(values.size())}), ctx, dtype);
  out.copy_from_host(values.data(), DType::kFloat64, values.size());
  return out;
}

NDArray shape_array(const NDArray& x) {
  return array(std::vector<std::int64_t>(x.shape().begin(), x.shape().end()), std::nullopt, x.context());
}

NDArray size_array(const NDArray& x) { return array(std::vector<std::int64_t>{x.shape().size()}, std::nullopt, x.context()); }

NDArray contrib::arange_like(const NDArray& x, double start, double step, int repeat, std::optional<int> axis) {
  if (repeat < 1) throw Error("arange_like: repeat must be positive, got " + std::to_string(repeat));
  const Shape shape = axis ? Shape{x.shape()[normalize_axis(*axis, x.ndim(), "arange_like")]} : x.shape();
  std::vector<double> values(static_cast<std::size_t>(shape.size()));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = start + step * static_cast<double>(i / static_cast<std::size_t>(repeat));
  return array(std::span<const double>(values), shape, x.context(), x.dtype());
}

}  // namespace mx::nd
