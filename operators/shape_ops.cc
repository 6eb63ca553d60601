// transpose, concat, split, slice_axis and broadcast_to (copies), and the views expand_dims and flatten.
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/axis_split.h>
#include <mx/operators/binary_operator.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/symbolic.h>

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

// A permutation as copy loops: per output axis, its extent and the input stride it walks. Axes of extent 1 are
// dropped and output axes that walk the input contiguously are merged, so (N, C, L) -> (C, N, L) is a copy of
// runs of L values and (N, C, 1) -> (C, N, 1) a plain 2-D transpose.
struct TransposeLoops {
  int ndim = 0;
  std::int64_t extent[Shape::kMaxNdim] = {}, src_stride[Shape::kMaxNdim] = {}, dst_stride[Shape::kMaxNdim] = {};
};

TransposeLoops transpose_loops(const Shape& s, const std::vector<int>& axes) {
  std::int64_t in_stride[Shape::kMaxNdim] = {}, stride = 1;
  for (int a = s.ndim() - 1; a >= 0; --a) {
    in_stride[a] = stride;
    stride *= s[a];
  }
  TransposeLoops l;
  for (int i = 0; i < s.ndim(); ++i) {
    const int a = axes[static_cast<std::size_t>(i)];
    if (s[a] == 1) continue;
    if (l.ndim > 0 && l.src_stride[l.ndim - 1] == in_stride[a] * s[a]) {  // continues the previous axis's walk
      l.extent[l.ndim - 1] *= s[a];
      l.src_stride[l.ndim - 1] = in_stride[a];
      continue;
    }
    l.extent[l.ndim] = s[a];
    l.src_stride[l.ndim] = in_stride[a];
    ++l.ndim;
  }
  stride = 1;
  for (int d = l.ndim - 1; d >= 0; --d) {
    l.dst_stride[d] = stride;
    stride *= l.extent[d];
  }
  return l;
}

// Copies with element type E (of the dtype's size). Runs along the last output axis when it is contiguous in the
// input too; otherwise 16 x 16 tiles between that axis and the one the input stores contiguously, so that both
// sides are read and written a cache line at a time.
template <class E>
void transpose_copy(const TransposeLoops& l, const E* src, E* dst) {
  const int last = l.ndim - 1;
  int unit = last;  // the output axis that is contiguous in the input
  for (int d = 0; d < l.ndim; ++d) {
    if (l.src_stride[d] == 1) unit = d;
  }
  constexpr std::int64_t kTile = 16;
  const bool runs = unit == last;
  const std::int64_t unit_blocks = runs ? 1 : (l.extent[unit] + kTile - 1) / kTile;
  // The loops other than the run or the tile's two axes, numbered; each item is one of those times one block.
  std::int64_t outer = 1;
  for (int d = 0; d < last; ++d) {
    if (d != unit) outer *= l.extent[d];
  }
  const std::int64_t per_item = runs ? l.extent[last] : kTile * l.extent[last];
  op::parallel_for(outer * unit_blocks, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t item = begin; item < end; ++item) {
      std::int64_t rest = item / unit_blocks, from = 0, to = 0;
      for (int d = last - 1; d >= 0; --d) {
        if (d == unit) continue;
        const std::int64_t index = rest % l.extent[d];
        rest /= l.extent[d];
        from += index * l.src_stride[d];
        to += index * l.dst_stride[d];
      }
      if (runs) {
        std::memcpy(dst + to, src + from, static_cast<std::size_t>(l.extent[last]) * sizeof(E));
        continue;
      }
      const std::int64_t u0 = item % unit_blocks * kTile, u1 = std::min(u0 + kTile, l.extent[unit]);
      const std::int64_t src_step = l.src_stride[last], dst_step = l.dst_stride[unit];
      for (std::int64_t v0 = 0; v0 < l.extent[last]; v0 += kTile) {
        const std::int64_t v1 = std::min(v0 + kTile, l.extent[last]);
        for (std::int64_t u = u0; u < u1; ++u) {
          const E* in = src + from + u + v0 * src_step;
          E* out = dst + to + u * dst_step + v0;
          for (std::int64_t v = 0; v < v1 - v0; ++v) out[v] = in[v * src_step];
        }
      }
    }
  }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(per_item, 1)));
}

void transpose_cpu(const TransposeParams& p, std::span<const Blob> in, std::span<const Blob> out,
                   const ComputeContext&) {
  const TransposeLoops l = transpose_loops(in[0].shape, resolve_axes(p, in[0].shape));
  const std::size_t size = dtype_size(in[0].dtype);
  if (l.ndim == 0) {  // one value
    if (out[0].size() == 1) std::memcpy(out[0].data, in[0].data, size);
    return;
  }
  switch (size) {
    case 1: return transpose_copy(l, static_cast<const std::uint8_t*>(in[0].data), static_cast<std::uint8_t*>(out[0].data));
    case 2: return transpose_copy(l, static_cast<const std::uint16_t*>(in[0].data), static_cast<std::uint16_t*>(out[0].data));
    case 4: return transpose_copy(l, static_cast<const std::uint32_t*>(in[0].data), static_cast<std::uint32_t*>(out[0].data));
    case 8: return transpose_copy(l, static_cast<const std::uint64_t*>(in[0].data), static_cast<std::uint64_t*>(out[0].data));
    default: throw DTypeError("transpose: elements of " + std::to_string(size) + " bytes are not supported");
  }
}

#if MXPP_USE_CUDA
void transpose_gpu(const TransposeParams& p, std::span<const Blob> in, std::span<const Blob> out,
                   const ComputeContext& ctx) {
  const std::vector<int> axes = resolve_axes(p, in[0].shape);
  op::gpu::transpose(static_cast<int>(in[0].dtype), in[0].data, out[0].data, in[0].shape.ndim(), in[0].shape.begin(),
                     axes.data(), ctx.run.stream);
}
#endif

std::vector<NDArray> transpose_gradient(const TransposeParams& p, const op::GradientArgs& args) {
  const std::vector<int> axes = resolve_axes(p, args.inputs[0].shape());
  std::vector<int> inverse(axes.size());
  for (std::size_t i = 0; i < axes.size(); ++i) inverse[static_cast<std::size_t>(axes[i])] = static_cast<int>(i);
  return {transpose(args.output_grads[0], inverse)};
}

const op::Operator<TransposeParams> kTranspose = op::define<TransposeParams>(
    {.name = "transpose",
     .infer = &infer_transpose,
     .cpu = &transpose_cpu,
     .gpu = MX_GPU(&transpose_gpu),
     .gradient = &transpose_gradient,
     .to_attrs = [](const TransposeParams& p, int, op::Attrs& attrs) { attrs["axes"] = op::attr_string(p.axes); },
     .from_attrs = [](op::AttrReader& attrs, int) {
       TransposeParams p;
       attrs.read("axes", p.axes);
       return p;
     }});

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

#if MXPP_USE_CUDA
void concat_gpu(const ConcatParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  const int axis = normalize_axis(p.dim, out[0].shape.ndim(), "concat");
  const op::AxisSplit whole = op::split_at(out[0].shape, axis);
  std::int64_t begin = 0;
  for (const Blob& b : in) {
    const std::int64_t rows = b.shape[axis];
    op::gpu::strided_copy(static_cast<int>(b.dtype), b.data, out[0].data,
                          op::gpu::block_copy(whole.outer, rows, whole.inner, rows, 0, whole.extent, begin),
                          ctx.run.stream);
    begin += rows;
  }
}
#endif

// Each input gets its own stretch of the gradient along the axis.
std::vector<NDArray> concat_gradient(const ConcatParams& p, const op::GradientArgs& args) {
  const int axis = normalize_axis(p.dim, args.outputs[0].ndim(), "concat");
  std::vector<NDArray> grads;
  std::int64_t begin = 0;
  for (std::size_t i = 0; i < args.inputs.size(); ++i) {
    const std::int64_t end = begin + args.inputs[i].shape()[axis];
    grads.push_back(args.needs_input_grad[i] ? slice_axis(args.output_grads[0], axis, begin, end) : NDArray());
    begin = end;
  }
  return grads;
}

const op::Operator<ConcatParams> kConcat = op::define<ConcatParams>({.name = "Concat",
                                                                     .num_inputs = op::kVariadic,
                                                                     .infer = &infer_concat,
                                                                     .cpu = &concat_cpu,
                                                                     .gpu = MX_GPU(&concat_gpu),
                                                                     .gradient = &concat_gradient,
                                                                     .to_attrs = [](const ConcatParams& p, int n, op::Attrs& attrs) {
                                                                       attrs["dim"] = op::attr_string(p.dim);
                                                                       attrs["num_args"] = op::attr_string(n);
                                                                     },
                                                                     .from_attrs = [](op::AttrReader& attrs, int) {
                                                                       ConcatParams p;
                                                                       attrs.read("dim", p.dim);
                                                                       attrs.ignore("num_args");
                                                                       return p;
                                                                     }});

struct SplitParams {
  int num_outputs = 1;
  int axis = 1;
  bool squeeze_axis = false;
  // split_v2's cut points (MXNet's `indices`, led by 0): part i is [indices[i], indices[i + 1]) and the last runs
  // to the end. Empty: num_outputs equal parts.
  std::vector<std::int64_t> indices = {};
};

struct SplitPart {
  std::int64_t begin, extent;
};

std::vector<SplitPart> split_parts(const SplitParams& p, const Shape& s, int axis) {
  const std::int64_t extent = s[axis];
  std::vector<SplitPart> parts;
  if (p.indices.empty()) {
    if (p.num_outputs < 1 || extent % p.num_outputs != 0) {
      throw ShapeError("split: axis " + std::to_string(axis) + " of shape " + s.str() + " cannot be cut into " +
                       std::to_string(p.num_outputs) + " equal parts");
    }
    const std::int64_t part = extent / p.num_outputs;
    for (int i = 0; i < p.num_outputs; ++i) parts.push_back({i * part, part});
    return parts;
  }
  for (std::size_t i = 0; i < p.indices.size(); ++i) {
    const std::int64_t begin = p.indices[i], end = i + 1 < p.indices.size() ? p.indices[i + 1] : extent;
    if (begin < 0 || end < begin || end > extent || (i == 0 && begin != 0)) {
      throw ShapeError("split_v2: indices " + op::attr_string(p.indices) + " do not cut axis " + std::to_string(axis) +
                       " of shape " + s.str() + " into increasing parts starting at 0");
    }
    parts.push_back({begin, end - begin});
  }
  return parts;
}

void infer_split(const SplitParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Shape& s = in[0].shape;
  const int axis = normalize_axis(p.axis, s.ndim(), "split");
  const std::vector<SplitPart> parts = split_parts(p, s, axis);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (p.squeeze_axis && parts[i].extent != 1) {
      throw ShapeError("split: squeeze_axis needs parts of extent 1, but " + s.str() + " gives " +
                       std::to_string(parts[i].extent));
    }
    Shape result;
    for (int a = 0; a < s.ndim(); ++a) {
      if (a != axis) result.push_back(s[a]);
      else if (!p.squeeze_axis) result.push_back(parts[i].extent);
    }
    out[i] = {result, in[0].dtype};
  }
}

void split_cpu(const SplitParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const int axis = normalize_axis(p.axis, in[0].shape.ndim(), "split");
  const op::AxisSplit whole = op::split_at(in[0].shape, axis);
  const std::vector<SplitPart> parts = split_parts(p, in[0].shape, axis);
  const std::size_t element = dtype_size(in[0].dtype);
  const auto bytes = [&](std::int64_t rows) { return static_cast<std::size_t>(rows * whole.inner) * element; };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t part_row = bytes(parts[i].extent);
    for (std::int64_t o = 0; o < whole.outer; ++o) {
      std::memcpy(static_cast<std::byte*>(out[i].data) + o * part_row,
                  static_cast<const std::byte*>(in[0].data) + o * bytes(whole.extent) + bytes(parts[i].begin), part_row);
    }
  }
}

#if MXPP_USE_CUDA
void split_gpu(const SplitParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  const int axis = normalize_axis(p.axis, in[0].shape.ndim(), "split");
  const op::AxisSplit whole = op::split_at(in[0].shape, axis);
  const std::vector<SplitPart> parts = split_parts(p, in[0].shape, axis);
  for (std::size_t i = 0; i < out.size(); ++i) {
    op::gpu::strided_copy(static_cast<int>(in[0].dtype), in[0].data, out[i].data,
                          op::gpu::block_copy(whole.outer, parts[i].extent, whole.inner, whole.extent, parts[i].begin,
                                              parts[i].extent, 0),
                          ctx.run.stream);
  }
}
#endif

std::vector<NDArray> split_gradient(const SplitParams& p, const op::GradientArgs& args) {
  const int axis = normalize_axis(p.axis, args.inputs[0].ndim(), "split");
  std::vector<NDArray> parts(args.output_grads.begin(), args.output_grads.end());
  if (p.squeeze_axis) {
    for (NDArray& part : parts) part = expand_dims(part, axis);
  }
  return {concat(parts, axis)};
}

const op::Operator<SplitParams> kSplit = op::define<SplitParams>(
    {.name = "SliceChannel",
     .infer = &infer_split,
     .cpu = &split_cpu,
     .gpu = MX_GPU(&split_gpu),
     .count_outputs = [](const SplitParams& p, int) { return p.num_outputs; },
     .gradient = &split_gradient,
     .to_attrs = [](const SplitParams& p, int, op::Attrs& attrs) {
       attrs["num_outputs"] = op::attr_string(p.num_outputs);
       attrs["axis"] = op::attr_string(p.axis);
       attrs["squeeze_axis"] = op::attr_string(p.squeeze_axis);
     },
     .from_attrs = [](op::AttrReader& attrs, int) {
       SplitParams p;
       attrs.read("num_outputs", p.num_outputs);
       attrs.read("axis", p.axis);
       attrs.read("squeeze_axis", p.squeeze_axis);
       return p;
     }});

// MXNet's _split_v2 (nd.split_v2): cut at given indices, or into `sections` equal parts.
const op::Operator<SplitParams> kSplitV2 = op::define<SplitParams>(
    {.name = "_split_v2",
     .infer = &infer_split,
     .cpu = &split_cpu,
     .gpu = MX_GPU(&split_gpu),
     .count_outputs = [](const SplitParams& p, int) {
       return p.indices.empty() ? p.num_outputs : static_cast<int>(p.indices.size());
     },
     .gradient = &split_gradient,
     .to_attrs = [](const SplitParams& p, int, op::Attrs& attrs) {
       attrs["indices"] = op::attr_string(p.indices);
       attrs["sections"] = op::attr_string(p.indices.empty() ? p.num_outputs : 0);
       attrs["axis"] = op::attr_string(p.axis);
       attrs["squeeze_axis"] = op::attr_string(p.squeeze_axis);
     },
     .from_attrs = [](op::AttrReader& attrs, int) {
       SplitParams p;
       int sections = 0;
       attrs.read("indices", p.indices);
       attrs.read("sections", sections);
       attrs.read("axis", p.axis);
       attrs.read("squeeze_axis", p.squeeze_axis);
       if (sections > 0) {
         p.indices.clear();
         p.num_outputs = sections;
       } else if (p.indices.empty()) {
         throw Error("_split_v2: needs indices or sections");
       }
       return p;
     }});

// ---- slice_axis: [begin, end) along one axis, a copy ----
struct SliceAxisParams {
  int axis = 0;
  std::int64_t begin = 0, end = 0;
};

struct SliceRange {
  int axis;
  std::int64_t begin, end;
};

SliceRange resolve_slice(const SliceAxisParams& p, const Shape& s) {
  const int axis = normalize_axis(p.axis, s.ndim(), "slice_axis");
  const std::int64_t n = s[axis];
  const std::int64_t b = p.begin < 0 ? p.begin + n : p.begin, e = p.end < 0 ? p.end + n : p.end;
  if (b < 0 || e > n || b > e) {
    throw ShapeError("slice_axis: [" + std::to_string(p.begin) + ", " + std::to_string(p.end) +
                     ") is out of range for axis " + std::to_string(axis) + " of shape " + s.str());
  }
  return {axis, b, e};
}

void infer_slice_axis(const SliceAxisParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const SliceRange r = resolve_slice(p, in[0].shape);
  Shape result = in[0].shape;
  result[r.axis] = r.end - r.begin;
  out[0] = {result, in[0].dtype};
}

void slice_axis_cpu(const SliceAxisParams& p, std::span<const Blob> in, std::span<const Blob> out,
                    const ComputeContext&) {
  const SliceRange r = resolve_slice(p, in[0].shape);
  const std::int64_t outer = outer_extent(in[0].shape, r.axis);
  const std::size_t inner = static_cast<std::size_t>(in[0].shape.size() / std::max<std::int64_t>(outer, 1) /
                                                     std::max<std::int64_t>(in[0].shape[r.axis], 1)) *
                            dtype_size(in[0].dtype);
  const std::size_t in_row = inner * static_cast<std::size_t>(in[0].shape[r.axis]);
  const std::size_t out_row = inner * static_cast<std::size_t>(r.end - r.begin);
  for (std::int64_t o = 0; o < outer; ++o) {
    std::memcpy(static_cast<std::byte*>(out[0].data) + o * out_row,
                static_cast<const std::byte*>(in[0].data) + o * in_row + static_cast<std::size_t>(r.begin) * inner,
                out_row);
  }
}

#if MXPP_USE_CUDA
void slice_axis_gpu(const SliceAxisParams& p, std::span<const Blob> in, std::span<const Blob> out,
                    const ComputeContext& ctx) {
  const SliceRange r = resolve_slice(p, in[0].shape);
  const op::AxisSplit s = op::split_at(in[0].shape, r.axis);
  op::gpu::strided_copy(static_cast<int>(in[0].dtype), in[0].data, out[0].data,
                        op::gpu::block_copy(s.outer, r.end - r.begin, s.inner, s.extent, r.begin, r.end - r.begin, 0),
                        ctx.run.stream);
}
#endif

// Zeros around the gradient, built by concat so that it can be recorded in turn.
std::vector<NDArray> slice_axis_gradient(const SliceAxisParams& p, const op::GradientArgs& args) {
  const NDArray& x = args.inputs[0];
  const SliceRange r = resolve_slice(p, x.shape());
  std::vector<NDArray> pieces;
  Shape pad = x.shape();
  if (r.begin > 0) {
    pad[r.axis] = r.begin;
    pieces.push_back(zeros(pad, x.context(), x.dtype()));
  }
  pieces.push_back(args.output_grads[0]);
  if (r.end < x.shape()[r.axis]) {
    pad[r.axis] = x.shape()[r.axis] - r.end;
    pieces.push_back(zeros(pad, x.context(), x.dtype()));
  }
  return {pieces.size() == 1 ? pieces[0] : concat(pieces, r.axis)};
}

const op::Operator<SliceAxisParams> kSliceAxis = op::define<SliceAxisParams>(
    {.name = "slice_axis",
     .infer = &infer_slice_axis,
     .cpu = &slice_axis_cpu,
     .gpu = MX_GPU(&slice_axis_gpu),
     .gradient = &slice_axis_gradient,
     .to_attrs = [](const SliceAxisParams& p, int, op::Attrs& attrs) {
       attrs["axis"] = op::attr_string(p.axis);
       attrs["begin"] = op::attr_string(p.begin);
       attrs["end"] = op::attr_string(p.end);
     },
     .from_attrs = [](op::AttrReader& attrs, int) {
       SliceAxisParams p;
       attrs.read("axis", p.axis);
       attrs.read("begin", p.begin);
       attrs.read("end", p.end);
       return p;
     }});

// ---- broadcast_to ----
struct BroadcastToParams {
  Shape shape;
};

void infer_broadcast_to(const BroadcastToParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Shape& s = in[0].shape;
  bool fits = s.ndim() <= p.shape.ndim();
  for (int a = 0; fits && a < s.ndim(); ++a) {
    const std::int64_t extent = s[a], target = p.shape[p.shape.ndim() - s.ndim() + a];
    fits = extent == target || extent == 1;
  }
  if (!fits) throw ShapeError("broadcast_to: shape " + s.str() + " cannot be broadcast to " + p.shape.str());
  out[0] = {p.shape, in[0].dtype};
}

void broadcast_to_cpu(const BroadcastToParams&, std::span<const Blob> in, std::span<const Blob> out,
                      const ComputeContext&) {
  dispatch_dtype(in[0].dtype, [&](auto tag) { op::broadcast_kernel<decltype(tag)>(in[0], out[0]); });
}

#if MXPP_USE_CUDA
void broadcast_to_gpu(const BroadcastToParams&, std::span<const Blob> in, std::span<const Blob> out,
                      const ComputeContext& ctx) {
  op::gpu::Operand x, unused;
  op::gpu::OutLayout layout;
  op::gpu_operands(in[0], in[0], out[0], x, unused, layout);
  op::gpu::broadcast_to(static_cast<int>(in[0].dtype), x, out[0].data, layout, ctx.run.stream);
}
#endif

const op::Operator<BroadcastToParams> kBroadcastTo = op::define<BroadcastToParams>(
    {.name = "broadcast_to",
     .infer = &infer_broadcast_to,
     .cpu = &broadcast_to_cpu,
     .gpu = MX_GPU(&broadcast_to_gpu),
     .gradient = [](const BroadcastToParams&, const op::GradientArgs& args) -> std::vector<NDArray> {
       return {sum_to_shape(args.output_grads[0], args.inputs[0].shape())};
     }});

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
  op::Composite node("Flatten", {x});
  NDArray y = x.ndim() == 0 ? x.reshape({1, 1}) : x.reshape({x.shape()[0], x.ndim() == 1 ? 1 : -1});
  if (!node.active()) return y;
  return node.finish({}, y);
}

NDArray concat(const std::vector<NDArray>& arrays, int dim) {
  NDArray out;
  op::invoke(kConcat, std::span(arrays), ConcatParams{dim}, std::span(&out, 1));
  return out;
}

NDArray slice_axis(const NDArray& x, int axis, std::int64_t begin, std::int64_t end) {
  return op::invoke1(kSliceAxis, {x}, SliceAxisParams{axis, begin, end});
}

NDArray broadcast_to(const NDArray& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return op::invoke1(kBroadcastTo, {x}, BroadcastToParams{shape});
}

std::vector<NDArray> split(const NDArray& x, int num_outputs, int axis, bool squeeze_axis) {
  const SplitParams p{num_outputs, axis, squeeze_axis};
  if (num_outputs < 1) throw ShapeError("split: num_outputs must be at least 1, got " + std::to_string(num_outputs));
  std::vector<NDArray> outs(static_cast<std::size_t>(op::output_count(kSplit, p, 1)));
  op::invoke(kSplit, std::span(&x, 1), p, std::span(outs));
  return outs;
}

std::vector<NDArray> split_v2(const NDArray& x, const std::vector<std::int64_t>& indices, int axis, bool squeeze_axis) {
  SplitParams p{1, axis, squeeze_axis, {0}};
  for (std::int64_t index : indices) p.indices.push_back(index);
  std::vector<NDArray> outs(p.indices.size());
  op::invoke(kSplitV2, std::span(&x, 1), p, std::span(outs));
  return outs;
}

}  // namespace mx::nd
