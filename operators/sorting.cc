// argsort (an operator, not differentiable), take_along_axis and its scatter-add gradient (each the other's
// gradient); sort and topk are built from them, so their values are differentiable.
#include <algorithm>
#include <numeric>
#include <string>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/axis_split.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/sorting.h>

namespace mx::nd {
namespace {

using op::AxisSplit;
using op::split_at;

// ---- argsort ----
struct ArgsortParams {
  int axis = -1;
  bool is_ascend = true;
};

void argsort_cpu(const ArgsortParams& p, std::span<const Blob> in, std::span<const Blob> out,
                 const op::ComputeContext&) {
  const AxisSplit s = split_at(in[0].shape, normalize_axis(p.axis, in[0].shape.ndim(), "argsort"));
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using C = op::compute_t<T>;
    const T* x = in[0].ptr<T>();
    float* y = out[0].ptr<float>();
    op::parallel_for(s.outer * s.inner, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int64_t> order(static_cast<std::size_t>(s.extent));
      for (std::int64_t j = begin; j < end; ++j) {
        const std::int64_t base = (j / s.inner) * s.extent * s.inner + j % s.inner;
        const auto value = [&](std::int64_t k) { return static_cast<C>(x[base + k * s.inner]); };
        std::iota(order.begin(), order.end(), std::int64_t{0});
        // NaN counts as larger than every number, as NumPy sorts it (last ascending, first descending): with `<`
        // alone NaN is ordered against nothing, which is no ordering, and std::stable_sort is undefined without one
        // (topk of [3, NaN, 1, 2, NaN, 0] put 3 before the second NaN).
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
          const C va = value(a), vb = value(b);
          if (p.is_ascend) return va < vb || (vb != vb && va == va);
          return va > vb || (va != va && vb == vb);
        });
        for (std::int64_t k = 0; k < s.extent; ++k) y[base + k * s.inner] = static_cast<float>(order[static_cast<std::size_t>(k)]);
      }
    }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(s.extent, 1)));
  });
}

const op::Operator<ArgsortParams> kArgsort = op::define<ArgsortParams>({
    .name = "argsort",
    .infer = [](const ArgsortParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      normalize_axis(p.axis, in[0].shape.ndim(), "argsort");
      out[0] = {in[0].shape, DType::kFloat32};
    },
    .cpu = &argsort_cpu,
});

// ---- take_along_axis and its gradient ----
struct AlongParams {
  int axis = 0;
  std::int64_t extent = 0;  // the backward: the extent of the axis taken from
};

Shape with_extent(const Shape& s, int axis, std::int64_t extent) {
  Shape r = s;
  r[axis] = extent;
  return r;
}

// Calls fn(source offset in x, offset in indices/out) for every element of the indices' shape.
template <class Fn>
void for_each_taken(const Shape& x_shape, const Blob& indices, int axis, Fn&& fn) {
  const AxisSplit xs = split_at(x_shape, axis), is = split_at(indices.shape, axis);
  std::vector<std::int64_t> index(static_cast<std::size_t>(indices.size()));  // NaN is 0, as astype converts
  convert_values(indices.data, indices.dtype, index.data(), DType::kInt64, index.size());
  for (std::int64_t o = 0; o < is.outer; ++o) {
    for (std::int64_t k = 0; k < is.extent; ++k) {
      for (std::int64_t i = 0; i < is.inner; ++i) {
        const std::int64_t at = (o * is.extent + k) * is.inner + i;
        const auto from = std::clamp<std::int64_t>(index[static_cast<std::size_t>(at)], 0, xs.extent - 1);
        fn((o * xs.extent + from) * xs.inner + i, at);
      }
    }
  }
}

void check_along(const char* op, const Shape& x, const Shape& indices, int axis) {
  if (x.ndim() != indices.ndim() || with_extent(x, axis, indices[axis]) != indices) {
    throw ShapeError(std::string(op) + ": indices " + indices.str() + " must have the shape of " + x.str() +
                     " except along axis " + std::to_string(axis));
  }
}

const op::Operator<AlongParams>& along_backward_operator();
const op::Operator<AlongParams>& along_operator();

const op::Operator<AlongParams> kTakeAlongAxis = op::define<AlongParams>({
    .name = "take_along_axis",
    .num_inputs = 2,
    .infer = [](const AlongParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const int axis = normalize_axis(p.axis, in[0].shape.ndim(), "take_along_axis");
      check_along("take_along_axis", in[0].shape, in[1].shape, axis);
      out[0] = {in[1].shape, in[0].dtype};
    },
    .cpu = [](const AlongParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const int axis = normalize_axis(p.axis, in[0].shape.ndim(), "take_along_axis");
      const std::size_t size = dtype_size(in[0].dtype);
      const auto* x = static_cast<const std::byte*>(in[0].data);
      auto* y = static_cast<std::byte*>(out[0].data);
      for_each_taken(in[0].shape, in[1], axis, [&](std::int64_t from, std::int64_t to) {
        std::copy_n(x + from * static_cast<std::int64_t>(size), size, y + to * static_cast<std::int64_t>(size));
      });
    },
    .gradient = [](const AlongParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      const int axis = normalize_axis(p.axis, args.inputs[0].ndim(), "take_along_axis");
      return {op::invoke1(along_backward_operator(), {args.output_grads[0], args.inputs[1]},
                          AlongParams{axis, args.inputs[0].shape()[axis]}),
              NDArray()};
    },
});

// Inputs (g, indices): zeros of the source's shape with g added where each element was taken from.
const op::Operator<AlongParams> kTakeAlongAxisBackward = op::define<AlongParams>({
    .name = "_take_along_axis_backward",
    .num_inputs = 2,
    .infer = [](const AlongParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      out[0] = {with_extent(in[0].shape, p.axis, p.extent), in[0].dtype};
    },
    .cpu = [](const AlongParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      dispatch_dtype(out[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        using C = op::compute_t<T>;
        const T* g = in[0].ptr<T>();
        std::vector<C> acc(static_cast<std::size_t>(out[0].size()), C{0});
        for_each_taken(out[0].shape, in[1], p.axis, [&](std::int64_t from, std::int64_t to) {
          acc[static_cast<std::size_t>(from)] += static_cast<C>(g[to]);
        });
        T* dx = out[0].ptr<T>();
        for (std::size_t i = 0; i < acc.size(); ++i) dx[i] = convert_value<T>(acc[i]);
      });
    },
    .gradient = [](const AlongParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {op::invoke1(along_operator(), {args.output_grads[0], args.inputs[1]}, AlongParams{p.axis}), NDArray()};
    },
});

const op::Operator<AlongParams>& along_operator() { return kTakeAlongAxis; }
const op::Operator<AlongParams>& along_backward_operator() { return kTakeAlongAxisBackward; }

}  // namespace

NDArray argsort(const NDArray& x, int axis, bool is_ascend) {
  return op::invoke1(kArgsort, {x}, ArgsortParams{axis, is_ascend});
}

NDArray take_along_axis(const NDArray& x, const NDArray& indices, int axis) {
  return op::invoke1(kTakeAlongAxis, {x, indices}, AlongParams{axis});
}

NDArray sort(const NDArray& x, int axis, bool is_ascend) {
  return take_along_axis(x, argsort(x, axis, is_ascend), axis);
}

std::vector<NDArray> topk(const NDArray& x, int axis, std::int64_t k, TopkReturn ret, bool is_ascend) {
  const int a = normalize_axis(axis, x.ndim(), "topk");
  if (k < 1 || k > x.shape()[a]) {
    throw ShapeError("topk: k = " + std::to_string(k) + " is outside [1, " + std::to_string(x.shape()[a]) +
                     "] for axis " + std::to_string(axis) + " of " + x.shape().str());
  }
  const NDArray indices = slice_axis(argsort(x, a, is_ascend), a, 0, k);
  switch (ret) {
    case TopkReturn::kIndices: return {indices};
    case TopkReturn::kValue: return {take_along_axis(x, indices, a)};
    case TopkReturn::kBoth: return {take_along_axis(x, indices, a), indices};
    case TopkReturn::kMask: break;
  }
  const NDArray ones_taken = ones(indices.shape(), x.context(), x.dtype());
  return {op::invoke1(kTakeAlongAxisBackward, {ones_taken, indices}, AlongParams{a, x.shape()[a]})};
}

}  // namespace mx::nd
