// squeeze, swapaxes, stack, reshape_like, broadcast_like, tile, repeat, pad, diag, tril and triu are built from
// views, broadcast_to, concat, pick and masks (so autograd differentiates them with no code of their own);
// flip is an operator.
#include <algorithm>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/axis_split.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/layout.h>
#include <mx/operators/nn.h>
#include <mx/operators/parallel.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd {
namespace {

std::vector<std::int64_t> dims_of(const NDArray& x) { return {x.shape().begin(), x.shape().end()}; }

// ---- flip ----
struct FlipParams {
  int axis = 0;
};

void flip_cpu(const FlipParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Shape& s = in[0].shape;
  const int axis = normalize_axis(p.axis, s.ndim(), "flip");
  std::int64_t outer = 1, inner = 1;
  for (int a = 0; a < axis; ++a) outer *= s[a];
  for (int a = axis + 1; a < s.ndim(); ++a) inner *= s[a];
  const std::int64_t count = s[axis];
  const std::size_t row = static_cast<std::size_t>(inner) * dtype_size(in[0].dtype);
  const auto* src = static_cast<const std::byte*>(in[0].data);
  auto* dst = static_cast<std::byte*>(out[0].data);
  op::parallel_for(outer * count, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j) {
      const std::int64_t o = j / count, k = j % count;
      std::copy_n(src + (o * count + (count - 1 - k)) * row, row, dst + j * row);
    }
  }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(inner, 1)));
}

#if MXPP_USE_CUDA
void flip_gpu(const FlipParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const op::AxisSplit s = op::split_at(in[0].shape, normalize_axis(p.axis, in[0].shape.ndim(), "flip"));
  op::gpu::strided_copy(static_cast<int>(in[0].dtype), in[0].data, out[0].data,
                        op::gpu::block_copy(s.outer, s.extent, s.inner, s.extent, s.extent - 1, s.extent, 0, -1),
                        ctx.run.stream);
}
#endif

const op::Operator<FlipParams> kFlip = op::define<FlipParams>({
    .name = "flip",
    .infer = [](const FlipParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      normalize_axis(p.axis, in[0].shape.ndim(), "flip");
      out[0] = in[0];
    },
    .cpu = &flip_cpu,
    .gpu = MX_GPU(&flip_gpu),
    .gradient = [](const FlipParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {flip(args.output_grads[0], p.axis)};
    },
});

// Stretches axis `axis` of x by `times`, each element repeated in place (inner) or the whole axis over again.
NDArray stretch_axis(const NDArray& x, int axis, std::int64_t times, bool elementwise) {
  if (times == 1) return x;
  std::vector<std::int64_t> dims = dims_of(x), spread = dims;
  const int at = elementwise ? axis + 1 : axis;
  dims.insert(dims.begin() + at, 1);
  spread.insert(spread.begin() + at, times);
  std::vector<std::int64_t> result = dims_of(x);
  result[static_cast<std::size_t>(axis)] *= times;
  return broadcast_to(x.reshape(dims), Shape(spread)).reshape(result);
}

// The triangle mask of the last two axes: col - row <= k (lower) or >= k (upper), in x's dtype.
NDArray triangle(const NDArray& x, int k, bool lower, const char* name) {
  if (x.ndim() < 2) throw ShapeError(std::string(name) + ": needs at least 2 axes, got shape " + x.shape().str());
  const std::int64_t m = x.shape()[x.ndim() - 2], n = x.shape()[x.ndim() - 1];
  const NDArray rows = arange(0, static_cast<double>(m)).reshape({m, 1});
  const NDArray cols = arange(0, static_cast<double>(n)).reshape({1, n});
  const NDArray offset = cols - rows;
  NDArray mask = lower ? offset <= static_cast<double>(k) : offset >= static_cast<double>(k);
  if (mask.dtype() != x.dtype()) mask = mask.astype(x.dtype());
  return x * as_in_context(mask, x.context());
}

}  // namespace

NDArray squeeze(const NDArray& x, std::vector<int> axis) {
  std::vector<bool> drop(static_cast<std::size_t>(x.ndim()), axis.empty());
  for (int a : axis) {
    const int at = normalize_axis(a, x.ndim(), "squeeze");
    if (x.shape()[at] != 1) {
      throw ShapeError("squeeze: axis " + std::to_string(a) + " of shape " + x.shape().str() + " is not of extent 1");
    }
    drop[static_cast<std::size_t>(at)] = true;
  }
  std::vector<std::int64_t> dims;
  for (int a = 0; a < x.ndim(); ++a) {
    if (!(drop[static_cast<std::size_t>(a)] && x.shape()[a] == 1)) dims.push_back(x.shape()[a]);
  }
  return x.reshape(dims);
}

NDArray swapaxes(const NDArray& x, int axis1, int axis2) {
  std::vector<int> perm(static_cast<std::size_t>(x.ndim()));
  for (int a = 0; a < x.ndim(); ++a) perm[static_cast<std::size_t>(a)] = a;
  std::swap(perm[static_cast<std::size_t>(normalize_axis(axis1, x.ndim(), "swapaxes"))],
            perm[static_cast<std::size_t>(normalize_axis(axis2, x.ndim(), "swapaxes"))]);
  return transpose(x, perm);
}

NDArray stack(const std::vector<NDArray>& arrays, int axis) {
  if (arrays.empty()) throw Error("stack: needs at least one array");
  const int at = normalize_axis(axis, arrays[0].ndim() + 1, "stack");
  std::vector<NDArray> parts;
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    if (arrays[i].shape() != arrays[0].shape()) {
      throw ShapeError("stack: array " + std::to_string(i) + " has shape " + arrays[i].shape().str() +
                       " but array 0 has " + arrays[0].shape().str());
    }
    parts.push_back(expand_dims(arrays[i], at));
  }
  return concat(parts, at);
}

NDArray reshape_like(const NDArray& x, const NDArray& like) { return x.reshape(like.shape()); }
NDArray broadcast_like(const NDArray& x, const NDArray& like) { return broadcast_to(x, like.shape()); }

NDArray tile(const NDArray& x, std::vector<std::int64_t> reps) {
  for (std::int64_t r : reps) {
    if (r < 0) throw ShapeError("tile: negative repetition " + std::to_string(r));
  }
  std::vector<std::int64_t> dims = dims_of(x);
  while (dims.size() < reps.size()) dims.insert(dims.begin(), 1);
  while (reps.size() < dims.size()) reps.insert(reps.begin(), 1);
  NDArray result = x.reshape(dims);
  for (std::size_t a = 0; a < reps.size(); ++a) result = stretch_axis(result, static_cast<int>(a), reps[a], false);
  return result;
}

NDArray repeat(const NDArray& x, std::int64_t repeats, std::optional<int> axis) {
  if (repeats < 0) throw ShapeError("repeat: negative repeats " + std::to_string(repeats));
  if (!axis) return stretch_axis(x.reshape({-1}), 0, repeats, true);
  return stretch_axis(x, normalize_axis(*axis, x.ndim(), "repeat"), repeats, true);
}

NDArray flip(const NDArray& x, int axis) { return op::invoke1(kFlip, {x}, FlipParams{axis}); }

NDArray pad(const NDArray& x, const std::vector<std::int64_t>& pad_width, PadMode mode, double constant_value) {
  if (pad_width.size() != 2 * static_cast<std::size_t>(x.ndim())) {
    throw ShapeError("pad: pad_width needs 2 values per axis (" + std::to_string(2 * x.ndim()) + " for shape " +
                     x.shape().str() + "), got " + std::to_string(pad_width.size()));
  }
  NDArray result = x;
  for (int a = 0; a < x.ndim(); ++a) {
    const std::int64_t before = pad_width[2 * static_cast<std::size_t>(a)];
    const std::int64_t after = pad_width[2 * static_cast<std::size_t>(a) + 1];
    const std::int64_t n = result.shape()[a];
    if (before < 0 || after < 0) throw ShapeError("pad: negative pad width on axis " + std::to_string(a));
    if (before == 0 && after == 0) continue;
    if (mode != PadMode::kConstant && n == 0) throw ShapeError("pad: cannot extend an empty axis " + std::to_string(a));
    if (mode == PadMode::kReflect && (before >= n || after >= n)) {
      throw ShapeError("pad: reflecting " + std::to_string(std::max(before, after)) + " values needs more than that "
                       "along axis " + std::to_string(a) + " of shape " + result.shape().str());
    }
    const auto piece = [&](std::int64_t width, bool front) {
      std::vector<std::int64_t> dims = dims_of(result);
      dims[static_cast<std::size_t>(a)] = width;
      switch (mode) {
        case PadMode::kConstant: return full(Shape(dims), constant_value, result.context(), result.dtype());
        case PadMode::kEdge:
          return broadcast_to(front ? slice_axis(result, a, 0, 1) : slice_axis(result, a, n - 1, n), Shape(dims));
        case PadMode::kReflect: break;
      }
      return flip(front ? slice_axis(result, a, 1, width + 1) : slice_axis(result, a, n - 1 - width, n - 1), a);
    };
    std::vector<NDArray> parts;
    if (before > 0) parts.push_back(piece(before, true));
    parts.push_back(result);
    if (after > 0) parts.push_back(piece(after, false));
    result = concat(parts, a);
  }
  return result;
}

NDArray diag(const NDArray& x, int k) {
  if (x.ndim() == 2) {  // the diagonal: row r0 + i, column c0 + i, picked from the rows it crosses
    const std::int64_t m = x.shape()[0], n = x.shape()[1];
    const std::int64_t r0 = std::max(-k, 0), c0 = std::max(k, 0);
    const std::int64_t length = std::max<std::int64_t>(0, std::min(m - r0, n - c0));
    if (length == 0) return zeros({0}, x.context(), x.dtype());
    const NDArray columns = arange(static_cast<double>(c0), static_cast<double>(c0 + length), 1, 1, x.context());
    return pick(slice_axis(x, 0, r0, r0 + length), columns, 1);
  }
  if (x.ndim() == 1) {  // a square matrix of side length + |k|, x on the k-th diagonal
    const std::int64_t length = x.shape()[0], side = length + (k < 0 ? -k : k);
    const NDArray columns = arange(k > 0 ? k : 0, static_cast<double>((k > 0 ? k : 0) + length), 1, 1, x.context());
    const NDArray band = one_hot(columns, side, 1, 0, x.dtype()) * expand_dims(x, 1);  // (length, side)
    const std::int64_t top = k < 0 ? -k : 0, bottom = side - length - top;
    std::vector<NDArray> rows;
    if (top > 0) rows.push_back(zeros({top, side}, x.context(), x.dtype()));
    rows.push_back(band);
    if (bottom > 0) rows.push_back(zeros({bottom, side}, x.context(), x.dtype()));
    return rows.size() == 1 ? band : concat(rows, 0);
  }
  throw ShapeError("diag: needs a 1-D or 2-D array, got shape " + x.shape().str());
}

NDArray tril(const NDArray& x, int k) { return triangle(x, k, true, "tril"); }
NDArray triu(const NDArray& x, int k) { return triangle(x, k, false, "triu"); }

}  // namespace mx::nd
