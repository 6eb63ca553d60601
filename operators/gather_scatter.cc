// gather_nd, scatter_nd and _backward_gather_nd (scatter_nd adding where tuples repeat, gather_nd's gradient).
#include <cstring>
#include <string>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/float_to_integer.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gather_scatter.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

namespace mx::nd {
namespace {

struct ScatterParams {
  Shape shape;  // scatter_nd and _backward_gather_nd: the result's shape
};

// How index tuples address `full` (the gathered-from or scattered-into shape): M leading axes, slices of
// `row` elements, `count` tuples.
struct Addressing {
  int depth = 0;
  std::int64_t row = 1, count = 1;
};

Addressing plan(const char* name, const Shape& full, const Shape& indices, const Shape* data) {
  if (indices.ndim() == 0 || indices[0] < 1 || indices[0] > full.ndim()) {
    throw ShapeError(std::string(name) + ": indices " + indices.str() + " must have shape (M, ...) with M from 1 to " +
                     std::to_string(full.ndim()) + ", the axes of " + full.str());
  }
  Addressing a;
  a.depth = static_cast<int>(indices[0]);
  for (int d = a.depth; d < full.ndim(); ++d) a.row *= full[d];
  a.count = indices.size() / indices[0];
  if (data) {  // scatter: data must be (Y..., full[M:]...)
    Shape expected;
    for (int d = 1; d < indices.ndim(); ++d) expected.push_back(indices[d]);
    for (int d = a.depth; d < full.ndim(); ++d) expected.push_back(full[d]);
    if (*data != expected) {
      throw ShapeError(std::string(name) + ": data must have shape " + expected.str() + " for indices " +
                       indices.str() + " into " + full.str() + ", got " + data->str());
    }
  }
  return a;
}

// The first element of each addressed slice, in elements of `full`.
std::vector<std::int64_t> slice_offsets(const char* name, const Blob& indices, const Shape& full, const Addressing& a) {
  std::vector<double> raw(static_cast<std::size_t>(indices.size()));
  convert_values(indices.data, indices.dtype, raw.data(), DType::kFloat64, raw.size());
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(a.count), 0);
  for (std::int64_t y = 0; y < a.count; ++y) {
    std::int64_t flat = 0;
    for (int m = 0; m < a.depth; ++m) {
      const double index = raw[static_cast<std::size_t>(m * a.count + y)];
      const std::int64_t given = float_to_integer<std::int64_t>(index);  // beyond int64 stays out of range
      const std::int64_t k = given < 0 ? given + full[m] : given;
      if (index != index || k < 0 || k >= full[m]) {
        throw IndexError(std::string(name) + ": index " + (index != index ? std::string("NaN") : std::to_string(given)) +
                         " is out of range for axis " + std::to_string(m) + " of shape " + full.str());
      }
      flat = flat * full[m] + k;
    }
    offsets[static_cast<std::size_t>(y)] = flat * a.row;
  }
  return offsets;
}

void infer_gather(const ScatterParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Addressing a = plan("gather_nd", in[0].shape, in[1].shape, nullptr);
  Shape result;
  for (int d = 1; d < in[1].shape.ndim(); ++d) result.push_back(in[1].shape[d]);
  for (int d = a.depth; d < in[0].shape.ndim(); ++d) result.push_back(in[0].shape[d]);
  out[0] = {result, in[0].dtype};
}

void gather_cpu(const ScatterParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Addressing a = plan("gather_nd", in[0].shape, in[1].shape, nullptr);
  const std::vector<std::int64_t> offsets = slice_offsets("gather_nd", in[1], in[0].shape, a);
  const std::size_t element = dtype_size(in[0].dtype), bytes = static_cast<std::size_t>(a.row) * element;
  const auto* src = static_cast<const std::byte*>(in[0].data);
  auto* dst = static_cast<std::byte*>(out[0].data);
  for (std::int64_t y = 0; y < a.count; ++y) {
    std::memcpy(dst + static_cast<std::size_t>(y) * bytes, src + offsets[static_cast<std::size_t>(y)] * element, bytes);
  }
}

void infer_scatter(const ScatterParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  plan("scatter_nd", p.shape, in[1].shape, &in[0].shape);
  out[0] = {p.shape, in[0].dtype};
}

template <bool kAdd>
void scatter_cpu(const ScatterParams& p, std::span<const Blob> in, std::span<const Blob> out,
                 const op::ComputeContext&) {
  const char* name = kAdd ? "_backward_gather_nd" : "scatter_nd";
  const Addressing a = plan(name, p.shape, in[1].shape, &in[0].shape);
  const std::vector<std::int64_t> offsets = slice_offsets(name, in[1], p.shape, a);
  std::memset(out[0].data, 0, static_cast<std::size_t>(out[0].size()) * dtype_size(out[0].dtype));
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* src = in[0].ptr<T>();
    T* dst = out[0].ptr<T>();
    for (std::int64_t y = 0; y < a.count; ++y) {  // in order: repeated tuples add, or the last wins
      T* target = dst + offsets[static_cast<std::size_t>(y)];
      const T* source = src + y * a.row;
      for (std::int64_t i = 0; i < a.row; ++i) {
        if constexpr (kAdd) target[i] = convert_value<T>(op::compute_t<T>(target[i]) + op::compute_t<T>(source[i]));
        else target[i] = source[i];
      }
    }
  });
}

const op::Operator<ScatterParams>& gather_operator();
const op::Operator<ScatterParams>& gather_backward_operator();

NDArray gather_of_gradient(const op::GradientArgs& args) {
  return op::invoke1(gather_operator(), {args.output_grads[0], args.inputs[1]}, ScatterParams{});
}

const op::Operator<ScatterParams> kGatherNd = op::define<ScatterParams>({
    .name = "gather_nd",
    .num_inputs = 2,
    .infer = &infer_gather,
    .cpu = &gather_cpu,
    .gradient = [](const ScatterParams&, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {op::invoke1(gather_backward_operator(), {args.output_grads[0], args.inputs[1]},
                          ScatterParams{args.inputs[0].shape()}),
              NDArray()};
    },
});

const op::Operator<ScatterParams> kScatterNd = op::define<ScatterParams>({
    .name = "scatter_nd",
    .num_inputs = 2,
    .infer = &infer_scatter,
    .cpu = &scatter_cpu<false>,
    .gradient = [](const ScatterParams&, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {gather_of_gradient(args), NDArray()};
    },
});

const op::Operator<ScatterParams> kGatherNdBackward = op::define<ScatterParams>({
    .name = "_backward_gather_nd",
    .num_inputs = 2,
    .infer = &infer_scatter,
    .cpu = &scatter_cpu<true>,
    .gradient = [](const ScatterParams&, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {gather_of_gradient(args), NDArray()};
    },
});

const op::Operator<ScatterParams>& gather_operator() { return kGatherNd; }
const op::Operator<ScatterParams>& gather_backward_operator() { return kGatherNdBackward; }

}  // namespace

NDArray gather_nd(const NDArray& data, const NDArray& indices) {
  return op::invoke1(kGatherNd, {data, indices}, ScatterParams{});
}

NDArray scatter_nd(const NDArray& data, const NDArray& indices, const Shape& shape) {
  return op::invoke1(kScatterNd, {data, indices}, ScatterParams{shape});
}

}  // namespace mx::nd
