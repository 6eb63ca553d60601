// slice and _slice_backward (the gradient written back into zeros at the sliced places): each is the other's
// gradient. Both walk the same strided window: an origin and a stride per axis in the input's elements.
#include <cstring>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/slice.h>

namespace mx::nd {
namespace {

struct SliceParams {
  std::vector<SliceBound> begin, end, step;
  Shape input_shape;  // _slice_backward: the shape written into
};

// The window: per axis its first index, step and extent.
struct Window {
  std::vector<std::int64_t> first, step;
  Shape shape;
};

std::string bounds_text(const SliceParams& p) {
  auto one = [](const std::vector<SliceBound>& v) {
    std::string s = "(";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + (v[i] ? std::to_string(*v[i]) : "None");
    return s + (v.size() == 1 ? ",)" : ")");
  };
  return "begin " + one(p.begin) + ", end " + one(p.end) + ", step " + one(p.step);
}

// Python's slice.indices: bounds clipped into range, the count of indices taken.
Window resolve_window(const SliceParams& p, const Shape& s) {
  if (p.begin.size() != p.end.size() || (!p.step.empty() && p.step.size() != p.begin.size())) {
    throw ShapeError("slice: " + bounds_text(p) + " must have one entry per axis each");
  }
  if (static_cast<int>(p.begin.size()) > s.ndim()) {
    throw ShapeError("slice: " + bounds_text(p) + " has more axes than shape " + s.str());
  }
  Window w;
  for (int a = 0; a < s.ndim(); ++a) {
    const std::int64_t n = s[a];
    const auto i = static_cast<std::size_t>(a);
    std::int64_t step = 1;
    if (i < p.step.size() && p.step[i]) step = *p.step[i];
    if (step == 0) throw ShapeError("slice: step 0 on axis " + std::to_string(a) + " (" + bounds_text(p) + ")");
    // A given bound, negative counting from the end, clipped into [low, high]; a missing one is `fallback`.
    auto bound = [&](const std::vector<SliceBound>& v, std::int64_t fallback, std::int64_t low, std::int64_t high) {
      if (i >= v.size() || !v[i].has_value()) return fallback;
      const std::int64_t given = v[i].value();
      return std::clamp(given < 0 ? given + n : given, low, high);
    };
    std::int64_t first, count;
    if (step > 0) {
      first = bound(p.begin, 0, 0, n);
      const std::int64_t last = bound(p.end, n, 0, n);
      count = last > first ? (last - first + step - 1) / step : 0;
    } else {
      first = bound(p.begin, n - 1, -1, n - 1);
      const std::int64_t last = bound(p.end, -1, -1, n - 1);
      count = first > last ? (first - last - step - 1) / -step : 0;
    }
    w.first.push_back(count > 0 ? first : 0);
    w.step.push_back(step);
    w.shape.push_back(count);
  }
  return w;
}

// Calls copy(window_offset, dense_offset, n) for each innermost run of the window: n elements at stride
// step.back() in the strided array, contiguous in the dense one.
template <class Copy>
void for_each_run(const Window& w, const Shape& strided, Copy copy) {
  const int ndim = w.shape.ndim();
  if (w.shape.size() == 0) return;
  std::vector<std::int64_t> pitch(static_cast<std::size_t>(ndim), 1);
  for (int a = ndim - 2; a >= 0; --a) pitch[static_cast<std::size_t>(a)] = pitch[static_cast<std::size_t>(a) + 1] * strided[a + 1];
  const std::int64_t inner = ndim ? w.shape[ndim - 1] : 1;
  const std::int64_t runs = w.shape.size() / inner;
  op::parallel_for(runs, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      std::int64_t offset = 0, rest = r;
      for (int a = ndim - 1; a >= 0; --a) {
        const auto i = static_cast<std::size_t>(a);
        std::int64_t index = 0;
        if (a < ndim - 1) {
          index = rest % w.shape[a];
          rest /= w.shape[a];
        }
        offset += (w.first[i] + index * w.step[i]) * pitch[i];
      }
      copy(offset, r * inner, inner, ndim ? w.step.back() : 1);
    }
  }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(inner, 1)));
}

template <class Visit>
void with_element_size(DType dtype, Visit visit) {
  switch (dtype_size(dtype)) {
    case 1: return visit(std::uint8_t{});
    case 2: return visit(std::uint16_t{});
    case 4: return visit(std::uint32_t{});
    default: return visit(std::uint64_t{});
  }
}

void infer_slice(const SliceParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  out[0] = {resolve_window(p, in[0].shape).shape, in[0].dtype};
}

void slice_cpu(const SliceParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Window w = resolve_window(p, in[0].shape);
  with_element_size(in[0].dtype, [&](auto word) {
    using W = decltype(word);
    const W* src = static_cast<const W*>(in[0].data);
    W* dst = static_cast<W*>(out[0].data);
    for_each_run(w, in[0].shape, [&](std::int64_t from, std::int64_t to, std::int64_t n, std::int64_t step) {
      for (std::int64_t k = 0; k < n; ++k) dst[to + k] = src[from + k * step];
    });
  });
}

// Inputs (g): g written into zeros of p.input_shape at the window's places.
void infer_slice_backward(const SliceParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  if (resolve_window(p, p.input_shape).shape != in[0].shape) {
    throw ShapeError("_slice_backward: gradient " + in[0].shape.str() + " does not fit the slice of " +
                     p.input_shape.str());
  }
  out[0] = {p.input_shape, in[0].dtype};
}

void slice_backward_cpu(const SliceParams& p, std::span<const Blob> in, std::span<const Blob> out,
                        const op::ComputeContext&) {
  const Window w = resolve_window(p, p.input_shape);
  std::memset(out[0].data, 0, static_cast<std::size_t>(out[0].size()) * dtype_size(out[0].dtype));
  with_element_size(in[0].dtype, [&](auto word) {
    using W = decltype(word);
    const W* src = static_cast<const W*>(in[0].data);
    W* dst = static_cast<W*>(out[0].data);
    for_each_run(w, p.input_shape, [&](std::int64_t to, std::int64_t from, std::int64_t n, std::int64_t step) {
      for (std::int64_t k = 0; k < n; ++k) dst[to + k * step] = src[from + k];
    });
  });
}

#if MXPP_USE_CUDA
// The window as a strided copy between the strided array (of shape `strided`) and the dense one.
op::gpu::StridedCopy window_copy(const Window& w, const Shape& strided, bool into_window) {
  op::gpu::StridedCopy c;
  c.ndim = w.shape.ndim();
  std::int64_t pitch = 1, dense = 1, origin = 0;
  for (int a = c.ndim - 1; a >= 0; --a) {
    const auto i = static_cast<std::size_t>(a);
    c.extent[a] = w.shape[a];
    (into_window ? c.dst_stride : c.src_stride)[a] = w.step[i] * pitch;
    (into_window ? c.src_stride : c.dst_stride)[a] = dense;
    origin += w.first[i] * pitch;
    pitch *= strided[a];
    dense *= w.shape[a];
  }
  (into_window ? c.dst_offset : c.src_offset) = origin;
  return c;
}

void slice_gpu(const SliceParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const Window w = resolve_window(p, in[0].shape);
  if (w.shape.size() == 0) return;
  op::gpu::strided_copy(static_cast<int>(in[0].dtype), in[0].data, out[0].data, window_copy(w, in[0].shape, false),
                        ctx.run.stream);
}

void slice_backward_gpu(const SliceParams& p, std::span<const Blob> in, std::span<const Blob> out,
                        const op::ComputeContext& ctx) {
  const Window w = resolve_window(p, p.input_shape);
  op::gpu::fill(static_cast<int>(out[0].dtype), out[0].data, 0, out[0].size(), ctx.run.stream);
  if (w.shape.size() == 0) return;
  op::gpu::strided_copy(static_cast<int>(in[0].dtype), in[0].data, out[0].data, window_copy(w, p.input_shape, true),
                        ctx.run.stream);
}
#endif

const op::Operator<SliceParams>& slice_operator();
const op::Operator<SliceParams>& slice_backward_operator();

const op::Operator<SliceParams> kSlice = op::define<SliceParams>({
    .name = "slice",
    .infer = &infer_slice,
    .cpu = &slice_cpu,
    .gpu = MX_GPU(&slice_gpu),
    .gradient = [](const SliceParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      SliceParams back = p;
      back.input_shape = args.inputs[0].shape();
      return {op::invoke1(slice_backward_operator(), {args.output_grads[0]}, back)};
    },
});

const op::Operator<SliceParams> kSliceBackward = op::define<SliceParams>({
    .name = "_slice_backward",
    .infer = &infer_slice_backward,
    .cpu = &slice_backward_cpu,
    .gpu = MX_GPU(&slice_backward_gpu),
    .gradient = [](const SliceParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {op::invoke1(slice_operator(), {args.output_grads[0]}, SliceParams{p.begin, p.end, p.step, {}})};
    },
});

const op::Operator<SliceParams>& slice_operator() { return kSlice; }
const op::Operator<SliceParams>& slice_backward_operator() { return kSliceBackward; }

}  // namespace

NDArray slice(const NDArray& x, const std::vector<SliceBound>& begin, const std::vector<SliceBound>& end,
              const std::vector<SliceBound>& step) {
  return op::invoke1(kSlice, {x}, SliceParams{begin, end, step, {}});
}

}  // namespace mx::nd
