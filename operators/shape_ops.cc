// transpose, concat and split (copies), and the views expand_dims and flatten.
#include <cstring>
#include <numeric>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

struct TransposeParams {
  std::vector<int> axes;
};

std::vector<int> resolve_axes(const TransposeParams& p, const Shape& shape) {
  const int ndim = shape.ndim();
  std::vector<int> axes(static_cast<std::size_t>(ndim));
  if (p.axes.empty()) {
    for (int i = 0; i < ndim; ++i) axes[static_cast<std::size_t>(i)] = ndim - 1 - i;
    return axes;
  }
  if (static_cast<int>(p.axes.size()) != ndim) {
    throw ShapeError("transpose: " + std::to_string(p.axes.size()) + " axes given for shape " + shape.str());
  }
  std::vector<bool> seen(static_cast<std::size_t>(ndim));
  for (int i = 0; i < ndim; ++i) {
    const int a = normalize_axis(p.axes[static_cast<std::size_t>(i)], ndim, "transpose");
    if (seen[static_cast<std::size_t>(a)]) throw ShapeError("transpose: axis " + std::to_string(a) + " repeats");
    seen[static_cast<std::size_t>(a)] = true;
    axes[static_cast<std::size_t>(i)] = a;
  }
  return axes;
}

void infer_transpose(const TransposeParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const std::vector<int> axes = resolve_axes(p, in[0].shape);
  Shape result;
  for (int a : axes) result.push_back(in[0].shape[a]);
  out[0] = {result, in[0].dtype};
}

void transpose_cpu(const TransposeParams& p, std::span<const Blob> in, std::span<const Blob> out,
                   const ComputeContext&) {
  const Shape& s = in[0].shape;
  const std::vector<int> axes = resolve_axes(p, s);
  const int ndim = s.ndim();
  std::int64_t in_stride[Shape::kMaxNdim] = {}, stride = 1;
  for (int a = ndim - 1; a >= 0; --a) {
    in_stride[a] = stride;
    stride *= s[a];
  }
  std::int64_t src_stride[Shape::kMaxNdim] = {}, extent[Shape::kMaxNdim] = {};  // per output axis
  for (int i = 0; i < ndim; ++i) {
    src_stride[i] = in_stride[axes[static_cast<std::size_t>(i)]];
    extent[i] = s[axes[static_cast<std::size_t>(i)]];
  }
  const std::size_t size = dtype_size(in[0].dtype);
  const auto* src = static_cast<const std::byte*>(in[0].data);
  auto* dst = static_cast<std::byte*>(out[0].data);
  op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
    std::int64_t index[Shape::kMaxNdim] = {}, offset = 0, rest = begin;
    for (int d = ndim - 1; d >= 0; --d) {
      index[d] = rest % extent[d];
      rest /= extent[d];
      offset += index[d] * src_stride[d];
    }
    for (std::int64_t i = begin; i < end; ++i) {
      std::memcpy(dst + i * size, src + offset * size, size);
      for (int d = ndim - 1; d >= 0; --d) {
        offset += src_stride[d];
        if (++index[d] < extent[d]) break;
        offset -= src_stride[d] * extent[d];
        index[d] = 0;
      }
    }
  });
}

const op::Operator<TransposeParams> kTranspose =
    op::define<TransposeParams>({.name = "transpose", .infer = &infer_transpose, .cpu = &transpose_cpu});

// ---- concat and split: both copy blocks of (outer, extent along the axis * inner) ----
struct ConcatParams {
  int dim = 1;
};

void infer_concat(const ConcatParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  if (in.empty()) throw Error("concat: needs at least one array");
  const Shape& first = in[0].shape;
  const int axis = normalize_axis(p.dim, first.ndim(), "concat");
  Shape result = first;
  for (std::size_t i = 1; i < in.size(); ++i) {
    const Shape& s = in[i].shape;
    if (in[i].dtype != in[0].dtype) {
      throw DTypeError("concat: array " + std::to_string(i) + " is " + dtype_name(in[i].dtype) + ", array 0 is " +
                       dtype_name(in[0].dtype));
    }
    bool match = s.ndim() == first.ndim();
    for (int a = 0; match && a < s.ndim(); ++a) match = a == axis || s[a] == first[a];
    if (!match) {
      throw ShapeError("concat: array " + std::to_string(i) + " has shape " + s.str() + ", which does not fit " +
                       first.str() + " along axis " + std::to_string(axis));
    }
    result[axis] += s[axis];
  }
  out[0] = {result, in[0].dtype};
}

std::int64_t outer_extent(const Shape& s, int axis) {
  std::int64_t n = 1;
  for (int a = 0; a < axis; ++a) n *= s[a];
  return n;
}

void concat_cpu(const ConcatParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const int axis = normalize_axis(p.dim, out[0].shape.ndim(), "concat");
  const std::int64_t outer = outer_extent(out[0].shape, axis);
  const std::size_t out_row = static_cast<std::size_t>(out[0].size() / std::max<std::int64_t>(outer, 1)) *
                              dtype_size(out[0].dtype);
  std::size_t column = 0;
  for (const Blob& b : in) {
    const std::size_t row = static_cast<std::size_t>(b.size() / std::max<std::int64_t>(outer, 1)) * dtype_size(b.dtype);
    for (std::int64_t o = 0; o < outer; ++o) {
      std::memcpy(static_cast<std::byte*>(out[0].data) + o * out_row + column,
                  static_cast<const std::byte*>(b.data) + o * row, row);
    }
    column += row;
  }
}

const op::Operator<ConcatParams> kConcat = op::define<ConcatParams>(
    {.name = "Concat", .num_inputs = op::kVariadic, .infer = &infer_concat, .cpu = &concat_cpu});

struct SplitParams {
  int num_outputs = 1;
  int axis = 1;
  bool squeeze_axis = false;
};

void infer_split(const SplitParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Shape& s = in[0].shape;
  const int axis = normalize_axis(p.axis, s.ndim(), "split");
  if (p.num_outputs < 1 || s[axis] % p.num_outputs != 0) {
    throw ShapeError("split: axis " + std::to_string(axis) + " of shape " + s.str() + " cannot be cut into " +
                     std::to_string(p.num_outputs) + " equal parts");
  }
  const std::int64_t part = s[axis] / p.num_outputs;
  if (p.squeeze_axis && part != 1) {
    throw ShapeError("split: squeeze_axis needs parts of extent 1, but " + s.str() + " gives " + std::to_string(part));
  }
  Shape result;
  for (int a = 0; a < s.ndim(); ++a) {
    if (a != axis) result.push_back(s[a]);
    else if (!p.squeeze_axis) result.push_back(part);
  }
  for (ArrayInfo& o : out) o = {result, in[0].dtype};
}

void split_cpu(const SplitParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const int axis = normalize_axis(p.axis, in[0].shape.ndim(), "split");
  const std::int64_t outer = outer_extent(in[0].shape, axis);
  const std::size_t in_row = static_cast<std::size_t>(in[0].size() / std::max<std::int64_t>(outer, 1)) *
                             dtype_size(in[0].dtype);
  const std::size_t part_row = in_row / static_cast<std::size_t>(p.num_outputs);
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (std::int64_t o = 0; o < outer; ++o) {
      std::memcpy(static_cast<std::byte*>(out[i].data) + o * part_row,
                  static_cast<const std::byte*>(in[0].data) + o * in_row + i * part_row, part_row);
    }
  }
}

const op::Operator<SplitParams> kSplit = op::define<SplitParams>(
    {.name = "SliceChannel",
     .infer = &infer_split,
     .cpu = &split_cpu,
     .count_outputs = [](const SplitParams& p, int) { return p.num_outputs; }});

}  // namespace

NDArray transpose(const NDArray& x, std::vector<int> axes) {
  return op::invoke1(kTranspose, {x}, TransposeParams{std::move(axes)});
}

NDArray expand_dims(const NDArray& x, int axis) {
  const int ndim = x.ndim() + 1;
  const int a = normalize_axis(axis, ndim, "expand_dims");
  std::vector<std::int64_t> dims(x.shape().begin(), x.shape().end());
  dims.insert(dims.begin() + a, 1);
  return x.reshape(dims);
}

NDArray flatten(const NDArray& x) {
  if (x.ndim() == 0) return x.reshape({1, 1});
  return x.reshape({x.shape()[0], x.ndim() == 1 ? 1 : -1});
}

NDArray concat(const std::vector<NDArray>& arrays, int dim) {
  NDArray out;
  op::invoke(kConcat, std::span(arrays), ConcatParams{dim}, std::span(&out, 1));
  return out;
}

std::vector<NDArray> split(const NDArray& x, int num_outputs, int axis, bool squeeze_axis) {
  const SplitParams p{num_outputs, axis, squeeze_axis};
  if (num_outputs < 1) throw ShapeError("split: num_outputs must be at least 1, got " + std::to_string(num_outputs));
  std::vector<NDArray> outs(static_cast<std::size_t>(op::output_count(kSplit, p, 1)));
  op::invoke(kSplit, std::span(&x, 1), p, std::span(outs));
  return outs;
}

}  // namespace mx::nd
