// clip, one_hot, pick, softmax, log_softmax and softmax_cross_entropy.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/axis_split.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/nn.h>
#include <mx/operators/reduce.h>
#include <mx/operators/select.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/vector_math.h>

namespace mx::nd {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

// Calls fn(T{}) for floating dtypes; throws mx::DTypeError naming `op` for the rest.
template <class Fn>
void dispatch_floating(DType dtype, const char* op, Fn&& fn) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<op::compute_t<T>>) {
      fn(tag);
    } else {
      throw DTypeError(std::string(op) + ": " + dtype_name(dtype) + " is not supported; use a floating dtype");
    }
  });
}

void require_floating(const char* op, DType dtype) {
  if (!is_floating(dtype)) {
    throw DTypeError(std::string(op) + ": " + dtype_name(dtype) + " is not supported; use a floating dtype");
  }
}

// ---- clip ----
struct ClipParams {
  double a_min = 0, a_max = 0;
};

const op::Operator<ClipParams> kClip = op::define<ClipParams>({
    .name = "clip",
    .infer = [](const ClipParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
      if (!(p.a_min <= p.a_max)) {
        throw Error("clip: a_min " + std::to_string(p.a_min) + " exceeds a_max " + std::to_string(p.a_max));
      }
      out[0] = in[0];
    },
    .cpu = [](const ClipParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
      dispatch_dtype(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        using C = op::compute_t<T>;
        const C lo = convert_value<C>(convert_value<T>(p.a_min)), hi = convert_value<C>(convert_value<T>(p.a_max));
        op::unary_kernel<T>(in[0], out[0], [&](C x) { return x < lo ? lo : (x > hi ? hi : x); });
      });
    },
#if MXPP_USE_CUDA
    .gpu = [](const ClipParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
      op::gpu::clip(static_cast<int>(in[0].dtype), in[0].data, out[0].data, out[0].size(), p.a_min, p.a_max,
                    ctx.run.stream);
    },
#endif
    .gradient = [](const ClipParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      const NDArray& x = args.inputs[0];
      return {args.output_grads[0] * (x >= p.a_min) * (x <= p.a_max)};
    },
    .to_attrs = [](const ClipParams& p, int, op::Attrs& attrs) {
      attrs["a_min"] = op::attr_string(p.a_min);
      attrs["a_max"] = op::attr_string(p.a_max);
    },
    .from_attrs = [](op::AttrReader& attrs, int) {
      ClipParams p;
      attrs.read("a_min", p.a_min);
      attrs.read("a_max", p.a_max);
      return p;
    },
});

// ---- one_hot ----
struct OneHotParams {
  std::int64_t depth = 0;
  double on_value = 1, off_value = 0;
  DType dtype = DType::kFloat32;
};

const op::Operator<OneHotParams> kOneHot = op::define<OneHotParams>({
    .name = "one_hot",
    .infer = [](const OneHotParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
      if (p.depth < 0) throw Error("one_hot: depth must not be negative, got " + std::to_string(p.depth));
      Shape result = in[0].shape;
      result.push_back(p.depth);
      out[0] = {result, p.dtype};
    },
    .cpu = [](const OneHotParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
      std::vector<double> indices(static_cast<std::size_t>(in[0].size()));
      convert_values(in[0].data, in[0].dtype, indices.data(), DType::kFloat64, indices.size());
      dispatch_dtype(out[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        T* y = out[0].ptr<T>();
        const T on = convert_value<T>(p.on_value), off = convert_value<T>(p.off_value);
        std::fill(y, y + out[0].size(), off);
        for (std::size_t i = 0; i < indices.size(); ++i) {
          const double index = indices[i];
          if (index >= 0 && index < static_cast<double>(p.depth)) {
            y[static_cast<std::int64_t>(i) * p.depth + static_cast<std::int64_t>(index)] = on;
          }
        }
      });
    },
#if MXPP_USE_CUDA
    .gpu = [](const OneHotParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
      op::gpu::one_hot(static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(out[0].dtype), out[0].data,
                       in[0].size(), p.depth, p.on_value, p.off_value, ctx.run.stream);
    },
#endif
});

// ---- pick ----
struct PickParams {
  int axis = -1;
  bool keepdims = false;
};

using op::AxisSplit;
using op::split_at;

const op::Operator<PickParams> kPick = op::define<PickParams>({
    .name = "pick",
    .num_inputs = 2,
    .infer = [](const PickParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
      const Shape& data = in[0].shape;
      const int axis = normalize_axis(p.axis, data.ndim(), "pick");
      Shape reduced, kept;
      for (int a = 0; a < data.ndim(); ++a) {
        kept.push_back(a == axis ? 1 : data[a]);
        if (a != axis) reduced.push_back(data[a]);
      }
      if (in[1].shape != reduced && in[1].shape != kept) {
        throw ShapeError("pick: index has shape " + in[1].shape.str() + " but data " + data.str() + " along axis " +
                         std::to_string(axis) + " needs " + reduced.str());
      }
      out[0] = {p.keepdims ? kept : reduced, in[0].dtype};
    },
    .cpu = [](const PickParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
      const AxisSplit s = split_at(in[0].shape, normalize_axis(p.axis, in[0].shape.ndim(), "pick"));
      // Converted as astype converts (NaN is 0, beyond int64 saturates), then clipped as MXNet's pick.
      std::vector<std::int64_t> index(static_cast<std::size_t>(in[1].size()));
      convert_values(in[1].data, in[1].dtype, index.data(), DType::kInt64, index.size());
      dispatch_dtype(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* x = in[0].ptr<T>();
        T* y = out[0].ptr<T>();
        for (std::int64_t o = 0; o < s.outer; ++o) {
          for (std::int64_t i = 0; i < s.inner; ++i) {
            const auto k = std::clamp<std::int64_t>(index[static_cast<std::size_t>(o * s.inner + i)], 0, s.extent - 1);
            y[o * s.inner + i] = x[(o * s.extent + k) * s.inner + i];
          }
        }
      });
    },
#if MXPP_USE_CUDA
    .gpu = [](const PickParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
      const AxisSplit s = split_at(in[0].shape, normalize_axis(p.axis, in[0].shape.ndim(), "pick"));
      op::gpu::pick(static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(in[1].dtype), in[1].data, out[0].data,
                    s.outer, s.extent, s.inner, ctx.run.stream);
    },
#endif
    .gradient = [](const PickParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      if (!args.needs_input_grad[0]) return {NDArray(), NDArray()};
      const NDArray& data = args.inputs[0];
      const int ndim = data.ndim(), axis = normalize_axis(p.axis, ndim, "pick");
      const std::int64_t extent = data.shape()[axis];
      Shape reduced, kept;
      std::vector<int> last_to_axis;  // one_hot appends its axis last; move it to `axis`
      for (int a = 0; a < ndim; ++a) {
        kept.push_back(a == axis ? 1 : data.shape()[a]);
        if (a != axis) reduced.push_back(data.shape()[a]);
        last_to_axis.push_back(a < axis ? a : (a == axis ? ndim - 1 : a - 1));
      }
      const NDArray index = clip(args.inputs[1].reshape(reduced), 0, static_cast<double>(extent - 1));
      const NDArray mask = transpose(one_hot(index, extent, 1, 0, data.dtype()), last_to_axis);
      return {mask * args.output_grads[0].reshape(kept), NDArray()};
    },
});

// ---- softmax and log_softmax, in a numerically stable form ----
struct SoftmaxParams {
  int axis = -1;
};

void softmax_to_attrs(const SoftmaxParams& p, int, op::Attrs& attrs) { attrs["axis"] = op::attr_string(p.axis); }
SoftmaxParams softmax_from_attrs(op::AttrReader& attrs, int) {
  SoftmaxParams p;
  attrs.read("axis", p.axis);
  attrs.ignore("temperature", {"None", "1", "1.0"});
  attrs.ignore("use_length", {"False", "0"});
  attrs.ignore("dtype", {"None"});
  return p;
}

void infer_softmax(const SoftmaxParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  require_floating("softmax", in[0].dtype);
  normalize_axis(p.axis, in[0].shape.ndim(), "softmax");
  out[0] = in[0];
}

template <bool kLog>
void softmax_cpu(const SoftmaxParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const AxisSplit s = split_at(in[0].shape, normalize_axis(p.axis, in[0].shape.ndim(), "softmax"));
  dispatch_floating(in[0].dtype, "softmax", [&](auto tag) {
    using T = decltype(tag);
    using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const T* x = in[0].ptr<T>();
    T* y = out[0].ptr<T>();
    op::parallel_for(s.outer * s.inner, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t j = begin; j < end; ++j) {
        const std::int64_t base = (j / s.inner) * s.extent * s.inner + j % s.inner;
        C top = -std::numeric_limits<C>::infinity();
        for (std::int64_t k = 0; k < s.extent; ++k) top = std::max(top, static_cast<C>(x[base + k * s.inner]));
        C total = 0;
        for (std::int64_t k = 0; k < s.extent; ++k) total += std::exp(static_cast<C>(x[base + k * s.inner]) - top);
        const C log_total = std::log(total);
        for (std::int64_t k = 0; k < s.extent; ++k) {
          const C shifted = static_cast<C>(x[base + k * s.inner]) - top;
          y[base + k * s.inner] = convert_value<T>(kLog ? shifted - log_total : std::exp(shifted) / total);
        }
      }
    }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(s.extent, 1)));
  });
}

#if MXPP_USE_CUDA
template <bool kLog>
void softmax_gpu(const SoftmaxParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  const AxisSplit s = split_at(in[0].shape, normalize_axis(p.axis, in[0].shape.ndim(), "softmax"));
  op::gpu::softmax(kLog, static_cast<int>(in[0].dtype), in[0].data, out[0].data, s.outer, s.extent, s.inner,
                   ctx.run.stream);
}
#endif

// dx = y (g - sum(g y)) for softmax; dx = g - exp(y) sum(g) for log_softmax, the sums along the axis.
std::vector<NDArray> softmax_gradient(const SoftmaxParams& p, const op::GradientArgs& args) {
  const NDArray &y = args.outputs[0], &g = args.output_grads[0];
  return {y * (g - sum(g * y, {p.axis}, true))};
}
std::vector<NDArray> log_softmax_gradient(const SoftmaxParams& p, const op::GradientArgs& args) {
  const NDArray &y = args.outputs[0], &g = args.output_grads[0];
  return {g - exp(y) * sum(g, {p.axis}, true)};
}

const op::Operator<SoftmaxParams> kSoftmax = op::define<SoftmaxParams>(
    {.name = "softmax",
     .infer = &infer_softmax,
     .cpu = &softmax_cpu<false>,
     .gpu = MX_GPU(&softmax_gpu<false>),
     .gradient = &softmax_gradient,
     .to_attrs = &softmax_to_attrs,
     .from_attrs = &softmax_from_attrs});
const op::Operator<SoftmaxParams> kLogSoftmax = op::define<SoftmaxParams>(
    {.name = "log_softmax",
     .infer = &infer_softmax,
     .cpu = &softmax_cpu<true>,
     .gpu = MX_GPU(&softmax_gpu<true>),
     .gradient = &log_softmax_gradient,
     .to_attrs = &softmax_to_attrs,
     .from_attrs = &softmax_from_attrs});

// ---- SoftmaxOutput: softmax forward; the cross-entropy gradient backward, ignoring the head gradient ----
const op::Operator<SoftmaxOutputOptions> kSoftmaxOutput = op::define<SoftmaxOutputOptions>({
    .name = "SoftmaxOutput",
    .num_inputs = 2,
    .infer = [](const SoftmaxOutputOptions&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
      require_floating("SoftmaxOutput", in[0].dtype);
      const Shape &data = in[0].shape, &label = in[1].shape;
      Shape expected;
      for (int a = 0; a + 1 < data.ndim(); ++a) expected.push_back(data[a]);
      if (data.ndim() < 2 || label != expected) {
        throw ShapeError("SoftmaxOutput: data (..., classes) " + data.str() + " needs labels " + expected.str() +
                         ", got " + label.str());
      }
      out[0] = in[0];
    },
    .cpu = [](const SoftmaxOutputOptions&, std::span<const Blob> in, std::span<const Blob> out,
              const ComputeContext& ctx) { softmax_cpu<false>(SoftmaxParams{-1}, in.first(1), out, ctx); },
#if MXPP_USE_CUDA
    .gpu = [](const SoftmaxOutputOptions&, std::span<const Blob> in, std::span<const Blob> out,
              const ComputeContext& ctx) { softmax_gpu<false>(SoftmaxParams{-1}, in.first(1), out, ctx); },
#endif
    .gradient = [](const SoftmaxOutputOptions& o, const op::GradientArgs& args) -> std::vector<NDArray> {
      const NDArray& data = args.inputs[0];
      double scale = o.grad_scale;
      if (o.normalize_by_batch) scale /= static_cast<double>(data.shape()[0]);
      const NDArray target = one_hot(args.inputs[1], data.shape()[data.ndim() - 1], 1, 0, data.dtype());
      return {(args.outputs[0] - target) * scale, NDArray()};
    },
    .to_attrs = [](const SoftmaxOutputOptions& o, int, op::Attrs& attrs) {
      attrs["grad_scale"] = op::attr_string(o.grad_scale);
      attrs["normalization"] = o.normalize_by_batch ? "batch" : "null";
    },
    .from_attrs = [](op::AttrReader& attrs, int) {
      SoftmaxOutputOptions o;
      attrs.read("grad_scale", o.grad_scale);
      std::string normalization = "null";
      attrs.read("normalization", normalization);
      if (normalization != "null" && normalization != "batch") {
        throw Error("SoftmaxOutput: normalization=\"" + normalization + "\" is not supported (mxpp supports null, batch)");
      }
      o.normalize_by_batch = normalization == "batch";
      // MXNet's defaults only: labels to ignore, multi_output's channel axis and label smoothing are not built.
      attrs.ignore("use_ignore", {"False", "0"});
      attrs.ignore("ignore_label");
      attrs.ignore("multi_output", {"False", "0"});
      attrs.ignore("preserve_shape");
      attrs.ignore("out_grad", {"False", "0"});
      attrs.ignore("smooth_alpha", {"0", "0.0"});
      return o;
    },
    .input_names = {"data", "label"},
});

// ---- softmax_cross_entropy ----
struct NoParams {};
struct XentParams {
  bool per_sample = false;  // one loss per row (batch,), else their sum (1,)
};

// Each row's largest logit `top`, its shifted exponentials e[k] = exp(x[k] - top) and their sum, and its
// label, checked: the loss is top + log(sum) - x[label], the gradient e / sum - one_hot(label). Computed in the
// data's precision (float for 16-bit types), one exponential per element, as the row walk is on the training
// step's critical path: the labels checked first, then every row shifted, then the exponentials of the whole
// batch in one vectorized pass (float; libm's exp, one element at a time, took most of the operator's time).
template <class T, class Row>
void each_row(const Blob& data, const Blob& label, const char* op, Row row_fn) {
  using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const std::int64_t batch = data.shape[0], classes = data.shape[1];
  std::vector<double> labels(static_cast<std::size_t>(batch));
  convert_values(label.data, label.dtype, labels.data(), DType::kFloat64, labels.size());
  for (std::int64_t b = 0; b < batch; ++b) {
    const double want = labels[static_cast<std::size_t>(b)];
    if (!(want >= 0 && want < static_cast<double>(classes))) {
      throw Error(std::string(op) + ": label " + std::to_string(want) + " at row " + std::to_string(b) +
                  " is outside [0, " + std::to_string(classes) + ")");
    }
  }
  const T* x = data.ptr<T>();
  std::vector<C> shifted_exp(static_cast<std::size_t>(batch * classes)), tops(static_cast<std::size_t>(batch));
  for (std::int64_t b = 0; b < batch; ++b) {
    const T* row = x + b * classes;
    C top = -std::numeric_limits<C>::infinity();
    for (std::int64_t k = 0; k < classes; ++k) top = std::max(top, static_cast<C>(row[k]));
    for (std::int64_t k = 0; k < classes; ++k) shifted_exp[static_cast<std::size_t>(b * classes + k)] = static_cast<C>(row[k]) - top;
    tops[static_cast<std::size_t>(b)] = top;
  }
  if constexpr (std::is_same_v<C, float>) {
    op::exp_in_place(shifted_exp.data(), batch * classes);
  } else {
    for (C& v : shifted_exp) v = std::exp(v);
  }
  for (std::int64_t b = 0; b < batch; ++b) {
    const C* e = shifted_exp.data() + b * classes;
    C total = 0;
    for (std::int64_t k = 0; k < classes; ++k) total += e[k];
    row_fn(b, x + b * classes, tops[static_cast<std::size_t>(b)], total, e,
           static_cast<std::int64_t>(labels[static_cast<std::size_t>(b)]));
  }
}

void infer_xent(const char* op, std::span<const ArrayInfo> in) {
  require_floating(op, in[0].dtype);
  if (in[0].shape.ndim() != 2 || in[1].shape != Shape{in[0].shape[0]}) {
    throw ShapeError(std::string(op) + ": data must be (batch, classes) and label (batch,), got " + in[0].shape.str() +
                     " and " + in[1].shape.str());
  }
}

// Inputs (data, label, g): (softmax(data) - one_hot(label)) * g, with g one value per row or one for all.
const op::Operator<NoParams> kSoftmaxCrossEntropyBackward = op::define<NoParams>({
    .name = "_softmax_cross_entropy_backward",
    .num_inputs = 3,
    .infer = [](const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
      infer_xent("_softmax_cross_entropy_backward", in);
      out[0] = in[0];
    },
    .cpu = [](const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
      const std::int64_t classes = in[0].shape[1];
      std::vector<double> g(static_cast<std::size_t>(in[2].size()));
      convert_values(in[2].data, in[2].dtype, g.data(), DType::kFloat64, g.size());
      dispatch_floating(in[0].dtype, "_softmax_cross_entropy_backward", [&](auto tag) {
        using T = decltype(tag);
        T* dx = out[0].ptr<T>();
        each_row<T>(in[0], in[1], "softmax_cross_entropy",
                    [&](std::int64_t b, const T*, auto, auto total, const auto* shifted_exp, std::int64_t want) {
          using C = decltype(total);
          const C scale = static_cast<C>(g[g.size() == 1 ? 0 : static_cast<std::size_t>(b)]), inverse = 1 / total;
          for (std::int64_t k = 0; k < classes; ++k) {
            dx[b * classes + k] = convert_value<T>((shifted_exp[k] * inverse - (k == want ? C{1} : C{0})) * scale);
          }
        });
      });
    },
#if MXPP_USE_CUDA
    .gpu = [](const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
      if (in[2].dtype != in[0].dtype) throw DTypeError("softmax_cross_entropy: the head gradient's dtype differs from the data's");
      op::gpu::softmax_cross_entropy_backward(static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(in[1].dtype),
                                              in[1].data, in[2].data, in[2].size(), out[0].data, in[0].shape[0],
                                              in[0].shape[1], ctx.run.stream);
    },
#endif
});

const op::Operator<XentParams> kSoftmaxCrossEntropy = op::define<XentParams>({
    .name = "softmax_cross_entropy",
    .num_inputs = 2,
    .infer = [](const XentParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
      infer_xent("softmax_cross_entropy", in);
      out[0] = {p.per_sample ? Shape{in[0].shape[0]} : Shape{1}, in[0].dtype};
    },
    .cpu = [](const XentParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
      dispatch_floating(in[0].dtype, "softmax_cross_entropy", [&](auto tag) {
        using T = decltype(tag);
        T* y = out[0].ptr<T>();
        double sum = 0;
        each_row<T>(in[0], in[1], "softmax_cross_entropy",
                    [&](std::int64_t b, const T* row, auto top, auto total, const auto*, std::int64_t want) {
          const double loss = static_cast<double>(top + std::log(total) - static_cast<decltype(top)>(row[want]));
          if (p.per_sample) y[b] = convert_value<T>(loss);
          sum += loss;
        });
        if (!p.per_sample) y[0] = convert_value<T>(sum);
      });
    },
#if MXPP_USE_CUDA
    .gpu = [](const XentParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
      op::gpu::softmax_cross_entropy(static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(in[1].dtype),
                                     in[1].data, out[0].data, p.per_sample, in[0].shape[0], in[0].shape[1],
                                     ctx.run.stream);
    },
#endif
    // d(data) = (softmax(data) - one_hot(label)) g. One fused operator; from recorded operators when the
    // backward pass is itself recorded (create_graph), so that it differentiates again.
    .gradient = [](const XentParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      const NDArray &data = args.inputs[0], &label = args.inputs[1], &g = args.output_grads[0];
      if (!op::is_recording()) return {op::invoke1(kSoftmaxCrossEntropyBackward, {data, label, g}), NDArray()};
      const NDArray target = one_hot(label, data.shape()[1], 1, 0, data.dtype());
      return {(softmax(data, 1) - target) * (p.per_sample ? g.reshape({data.shape()[0], 1}) : g), NDArray()};
    },
});

}  // namespace

NDArray clip(const NDArray& x, double a_min, double a_max) { return op::invoke1(kClip, {x}, ClipParams{a_min, a_max}); }

NDArray one_hot(const NDArray& indices, std::int64_t depth, double on_value, double off_value, DType dtype) {
  return op::invoke1(kOneHot, {indices}, OneHotParams{depth, on_value, off_value, dtype});
}

NDArray pick(const NDArray& data, const NDArray& index, int axis, bool keepdims) {
  return op::invoke1(kPick, {data, index}, PickParams{axis, keepdims});
}

NDArray softmax(const NDArray& x, int axis, double temperature) {
  if (temperature != 1) return op::invoke1(kSoftmax, {x * (1 / temperature)}, SoftmaxParams{axis});
  return op::invoke1(kSoftmax, {x}, SoftmaxParams{axis});
}

NDArray SoftmaxOutput(const NDArray& data, const NDArray& label, const SoftmaxOutputOptions& options) {
  return op::invoke1(kSoftmaxOutput, {data, label}, options);
}

NDArray smooth_l1(const NDArray& x, double sigma) {
  const double s2 = sigma * sigma;
  const NDArray magnitude = abs(x);
  return where(magnitude < 1 / s2, square(x) * (0.5 * s2), magnitude - 0.5 / s2);
}
NDArray softmin(const NDArray& x, int axis, double temperature) { return softmax(-x, axis, temperature); }

NDArray log_softmax(const NDArray& x, int axis) { return op::invoke1(kLogSoftmax, {x}, SoftmaxParams{axis}); }

NDArray softmax_cross_entropy(const NDArray& data, const NDArray& label, bool per_sample) {
  return op::invoke1(kSoftmaxCrossEntropy, {data, label}, XentParams{per_sample});
}

}  // namespace mx::nd
