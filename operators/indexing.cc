// take and _take_backward (the sum of the gradients of every place a slice was taken to): each is the other's
// gradient.
#include <cstring>
#include <string>
#include <vector>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/axis_split.h>
#include <mx/operators/composite_forms.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/indexing.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/select.h>

namespace mx::nd {
namespace {

struct TakeParams {
  int axis = 0;
  IndexMode mode = IndexMode::kClip;
  std::int64_t extent = 0;  // _take_backward: the extent of the axis taken from
};

using op::AxisSplit;
using op::split_at;

std::vector<std::int64_t> resolve_indices(const Blob& indices, std::int64_t extent, IndexMode mode) {
  // Converted as astype converts (NaN is 0, beyond int64 saturates), then clipped or wrapped.
  std::vector<std::int64_t> resolved(static_cast<std::size_t>(indices.size()));
  convert_values(indices.data, indices.dtype, resolved.data(), DType::kInt64, resolved.size());
  for (std::int64_t& k : resolved) {
    if (mode == IndexMode::kWrap) k = ((k % extent) + extent) % extent;
    else k = std::clamp<std::int64_t>(k, 0, extent - 1);
  }
  return resolved;
}

Shape taken_shape(const Shape& a, const Shape& indices, int axis) {
  Shape result;
  for (int d = 0; d < axis; ++d) result.push_back(a[d]);
  for (std::int64_t e : indices) result.push_back(e);
  for (int d = axis + 1; d < a.ndim(); ++d) result.push_back(a[d]);
  return result;
}

void infer_take(const TakeParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const int axis = normalize_axis(p.axis, in[0].shape.ndim(), "take");
  if (in[0].shape[axis] == 0) throw ShapeError("take: axis " + std::to_string(p.axis) + " of " + in[0].shape.str() + " is empty");
  out[0] = {taken_shape(in[0].shape, in[1].shape, axis), in[0].dtype};
}

void take_cpu(const TakeParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const int axis = normalize_axis(p.axis, in[0].shape.ndim(), "take");
  const AxisSplit s = split_at(in[0].shape, axis);
  const std::vector<std::int64_t> index = resolve_indices(in[1], s.extent, p.mode);
  const auto count = static_cast<std::int64_t>(index.size());
  const std::size_t row = static_cast<std::size_t>(s.inner) * dtype_size(in[0].dtype);
  const auto* src = static_cast<const std::byte*>(in[0].data);
  auto* dst = static_cast<std::byte*>(out[0].data);
  op::parallel_for(s.outer * count, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j) {
      const std::int64_t o = j / count, k = index[static_cast<std::size_t>(j % count)];
      std::memcpy(dst + j * row, src + (o * s.extent + k) * row, row);
    }
  }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(s.inner, 1)));
}

// Inputs (g, indices): the gradient of take, summing where an index repeats.
void infer_take_backward(const TakeParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Shape& g = in[0].shape;
  const int lead = p.axis, index_axes = in[1].shape.ndim();
  Shape result;
  for (int d = 0; d < lead; ++d) result.push_back(g[d]);
  result.push_back(p.extent);
  for (int d = lead + index_axes; d < g.ndim(); ++d) result.push_back(g[d]);
  out[0] = {result, in[0].dtype};
}

void take_backward_cpu(const TakeParams& p, std::span<const Blob> in, std::span<const Blob> out,
                       const op::ComputeContext&) {
  const AxisSplit s = split_at(out[0].shape, p.axis);
  const std::vector<std::int64_t> index = resolve_indices(in[1], s.extent, p.mode);
  const auto count = static_cast<std::int64_t>(index.size());
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using C = op::compute_t<T>;
    const T* g = in[0].ptr<T>();
    T* dx = out[0].ptr<T>();
    // 16-bit gradients add up in float, then round once; float and double add into the output itself (a
    // separate accumulator of an embedding table's size took most of a dense embedding step: 83 ms for 1M x 32).
    std::vector<C> wide;
    C* acc = nullptr;
    if constexpr (std::is_same_v<T, C>) {
      std::memset(dx, 0, static_cast<std::size_t>(out[0].size()) * sizeof(T));
      acc = dx;
    } else {
      wide.assign(static_cast<std::size_t>(out[0].size()), C{0});
      acc = wide.data();
    }
    // Parallel over outer slices only: within one, repeated indices add into the same rows.
    op::parallel_for(s.outer, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o) {
        for (std::int64_t j = 0; j < count; ++j) {
          C* target = acc + (o * s.extent + index[static_cast<std::size_t>(j)]) * s.inner;
          const T* source = g + (o * count + j) * s.inner;
          for (std::int64_t i = 0; i < s.inner; ++i) target[i] += static_cast<C>(source[i]);
        }
      }
    }, 1);
    for (std::size_t i = 0; i < wide.size(); ++i) dx[i] = convert_value<T>(wide[i]);
  });
}

#if MXPP_USE_CUDA
void take_gpu(const TakeParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const AxisSplit s = split_at(in[0].shape, normalize_axis(p.axis, in[0].shape.ndim(), "take"));
  op::gpu::take(static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(in[1].dtype), in[1].data, in[1].size(),
                p.mode == IndexMode::kWrap, out[0].data, s.outer, s.extent, s.inner, ctx.run.stream);
}

void take_backward_gpu(const TakeParams& p, std::span<const Blob> in, std::span<const Blob> out,
                       const op::ComputeContext& ctx) {
  const AxisSplit s = split_at(out[0].shape, p.axis);
  op::gpu::take_backward(static_cast<int>(out[0].dtype), in[0].data, static_cast<int>(in[1].dtype), in[1].data,
                         in[1].size(), p.mode == IndexMode::kWrap, out[0].data, s.outer, s.extent, s.inner,
                         ctx.run.stream);
}
#endif

const op::Operator<TakeParams>& take_operator();
const op::Operator<TakeParams>& take_backward_operator();

const op::Operator<TakeParams> kTake = op::define<TakeParams>({
    .name = "take",
    .num_inputs = 2,
    .infer = &infer_take,
    .cpu = &take_cpu,
    .gpu = MX_GPU(&take_gpu),
    .gradient = [](const TakeParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      const int axis = normalize_axis(p.axis, args.inputs[0].ndim(), "take");
      if (axis == 0 && p.mode == IndexMode::kClip && args.wants_rows(0)) {  // an embedding table's rows
        const NDArray& indices = args.inputs[1];
        Shape rows{indices.size()};
        for (int a = 1; a < args.inputs[0].ndim(); ++a) rows.push_back(args.inputs[0].shape()[a]);
        args.give_rows(0, {.rows = indices.reshape({-1}),
                           .values = args.output_grads[0].reshape(rows),
                           .row_sparse = {}});
        return {NDArray(), NDArray()};
      }
      const TakeParams back{axis, p.mode, args.inputs[0].shape()[axis]};
      return {op::invoke1(take_backward_operator(), {args.output_grads[0], args.inputs[1]}, back), NDArray()};
    },
});

const op::Operator<TakeParams> kTakeBackward = op::define<TakeParams>({
    .name = "_take_backward",
    .num_inputs = 2,
    .infer = &infer_take_backward,
    .cpu = &take_backward_cpu,
    .gpu = MX_GPU(&take_backward_gpu),
    .gradient = [](const TakeParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {op::invoke1(take_operator(), {args.output_grads[0], args.inputs[1]}, TakeParams{p.axis, p.mode}),
              NDArray()};
    },
});

const op::Operator<TakeParams>& take_operator() { return kTake; }
const op::Operator<TakeParams>& take_backward_operator() { return kTakeBackward; }

}  // namespace

NDArray take(const NDArray& a, const NDArray& indices, int axis, IndexMode mode) {
  return op::invoke1(kTake, {a, indices}, TakeParams{axis, mode});
}

NDArray Embedding(const NDArray& data, const NDArray& weight) {
  if (weight.ndim() != 2) throw ShapeError("Embedding: weight must be (input_dim, output_dim), got " + weight.shape().str());
  op::Composite node("Embedding", {data, weight});
  NDArray y = take(weight, data, 0);
  if (!node.active()) return y;
  return node.finish(op::forms::embedding(weight.shape()[0], weight.shape()[1], weight.dtype()), y);
}

NDArray sequence_mask(const NDArray& data, const NDArray& sequence_length, double value, int axis) {
  if (axis != 0 && axis != 1) throw ShapeError("sequence_mask: axis must be 0 or 1, got " + std::to_string(axis));
  if (data.ndim() < 2 || sequence_length.shape() != Shape{data.shape()[1 - axis]}) {
    throw ShapeError("sequence_mask: data " + data.shape().str() + " along axis " + std::to_string(axis) +
                     " needs one length per sequence, got " + sequence_length.shape().str());
  }
  const std::int64_t steps = data.shape()[axis], batch = data.shape()[1 - axis];
  std::vector<std::int64_t> step_shape(static_cast<std::size_t>(data.ndim()), 1), batch_shape = step_shape;
  step_shape[static_cast<std::size_t>(axis)] = steps;
  batch_shape[static_cast<std::size_t>(1 - axis)] = batch;
  const NDArray positions = arange(0, static_cast<double>(steps), 1, 1, data.context(), DType::kFloat64);
  const NDArray inside = positions.reshape(step_shape) < sequence_length.astype(DType::kFloat64).reshape(batch_shape);
  return where(inside, data, full({1}, value, data.context(), data.dtype()));
}

}  // namespace mx::nd
