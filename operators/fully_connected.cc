// FullyConnected (MXNet's) and its gradients, through op::gemm.
#include <array>
#include <string>
#include <type_traits>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/binary_operator.h>
#include <mx/operators/blas.h>
#include <mx/operators/dot.h>
#include <mx/operators/elemwise_kernels.h>
#if MXPP_USE_CUDA
#include <mx/operators/gpu_blas.h>
#endif
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/products.h>
#include <mx/operators/reduce.h>

namespace mx::nd {
namespace {

using detail::check_float;
using detail::product_into;
using op::ArrayInfo;
using op::ComputeContext;

struct FCParams {
  int num_hidden = 0;
  bool flatten = true;
};

void infer_fc(const FCParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  if (in.size() != 2 && in.size() != 3) throw Error("FullyConnected: takes data, weight and an optional bias");
  check_float("FullyConnected", in);
  const Shape& data = in[0].shape;
  if (data.ndim() == 0) throw ShapeError("FullyConnected: data must have at least one axis, got shape ()");
  const std::int64_t k = p.flatten ? (data.ndim() == 1 ? data[0] : data.size() / std::max<std::int64_t>(data[0], 1))
                                   : data[data.ndim() - 1];
  const Shape expected_weight{p.num_hidden, k};
  if (in[1].shape != expected_weight) {
    throw ShapeError("FullyConnected: input " + data.str() + " has " + std::to_string(k) + " features, so weight must be " +
                     expected_weight.str() + ", got " + in[1].shape.str());
  }
  if (in.size() == 3 && in[2].shape != Shape{p.num_hidden}) {
    throw ShapeError("FullyConnected: bias must be (" + std::to_string(p.num_hidden) + ",), got " + in[2].shape.str());
  }
  Shape result;
  if (p.flatten) {
    result = Shape{data.ndim() == 1 ? 1 : data[0], p.num_hidden};
  } else {
    for (int i = 0; i < data.ndim() - 1; ++i) result.push_back(data[i]);
    result.push_back(p.num_hidden);
  }
  out[0] = {result, in[0].dtype};
}

void fc_cpu(const FCParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const Blob& y = out[0];
  op::GemmArgs g{.trans_b = true};
  g.n = p.num_hidden;
  g.m = y.size() / std::max<std::int64_t>(g.n, 1);
  g.k = in[1].shape[1];
  // float and double take the bias inside each worker's slice of the product; 16-bit data (and k = 0) after it.
  const bool bias_in_product =
      in.size() == 3 && g.k > 0 && (y.dtype == DType::kFloat32 || y.dtype == DType::kFloat64);
  if (bias_in_product) g.row_bias = in[2].data;
  op::gemm(g, y.dtype, in[0].data, in[1].data, y.data);
  if (in.size() < 3 || bias_in_product) return;
  dispatch_dtype(y.dtype, [&](auto tag) {
    using T = decltype(tag);
    using C = op::compute_t<T>;
    if constexpr (std::is_floating_point_v<C>) {
      T* out_rows = y.ptr<T>();
      const T* bias = in[2].ptr<T>();
      op::parallel_for(g.m, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
          for (std::int64_t j = 0; j < g.n; ++j) {
            out_rows[r * g.n + j] = convert_value<T>(static_cast<C>(out_rows[r * g.n + j]) + static_cast<C>(bias[j]));
          }
        }
      }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(g.n, 1)));
    }
  });
}

#if MXPP_USE_CUDA
// y = x W^T on cuBLAS, then the bias added in place by the broadcasting add kernel.
void fc_gpu(const FCParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  const Blob& y = out[0];
  op::GemmArgs g{.trans_b = true};
  g.n = p.num_hidden;
  g.m = y.size() / std::max<std::int64_t>(g.n, 1);
  g.k = in[1].shape[1];
  op::gpu::gemm(g, y.dtype, in[0].data, in[1].data, y.data, ctx.run.stream);
  if (in.size() < 3) return;
  const Blob rows{y.data, Shape{g.m, g.n}, y.dtype};
  op::gpu::Operand sum, bias;
  op::gpu::OutLayout layout;
  op::gpu_operands(rows, in[2], rows, sum, bias, layout);
  op::gpu::binary<op::functors::Add>(static_cast<int>(y.dtype), sum, bias, y.data, layout, ctx.run.stream);
}
#endif

// ---- The weight and bias gradients of FullyConnected in one operation ----
// dW = g^T x and db = the column sums of g. Apart, the bias's sum ran beside the weight's product and held up
// the product's second half (the seed MLP's first layer: 15 us a step); here each worker's part of the product
// also sums the columns of g it multiplied, while they are in its cache.
struct FcGradParams {};

// The dtypes the fused gradient takes: op::gemm's row sums are float32 and float64 only.
bool float32_or_64(DType dtype) { return dtype == DType::kFloat32 || dtype == DType::kFloat64; }

void infer_fc_weight_bias_grad(const FcGradParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const char* name = "_backward_FullyConnected_weight_bias";
  check_float(name, in);
  const Shape &g = in[0].shape, &x = in[1].shape;
  if (g.ndim() != 2 || x.ndim() != 2 || g[0] != x[0] || g.size() == 0 || x.size() == 0) {
    throw ShapeError(std::string(name) + ": the output gradient and the data must be non-empty matrices with one "
                     "row count, got " + g.str() + " and " + x.str());
  }
  if (!float32_or_64(in[0].dtype)) {
    throw DTypeError(std::string(name) + ": " + dtype_name(in[0].dtype) + " is not supported; use float32 or float64");
  }
  out[0] = {Shape{g[1], x[1]}, in[0].dtype};
  out[1] = {Shape{g[1]}, in[0].dtype};
}

void fc_weight_bias_grad_cpu(const FcGradParams&, std::span<const Blob> in, std::span<const Blob> out,
                             const ComputeContext&) {
  const Blob &g = in[0], &x = in[1];
  const op::GemmArgs args{.trans_a = true, .m = g.shape[1], .n = x.shape[1], .k = g.shape[0],
                          .a_row_sums = out[1].data};
  op::gemm(args, g.dtype, g.data, x.data, out[0].data);
}

const op::Operator<FcGradParams> kFcWeightBiasGrad = op::define<FcGradParams>({
    .name = "_backward_FullyConnected_weight_bias",
    .num_inputs = 2,
    .num_outputs = 2,
    .infer = &infer_fc_weight_bias_grad,
    .cpu = &fc_weight_bias_grad_cpu});

// The one operation serves when the gradients need no gradients of their own (no create_graph, not traced; it
// is not differentiable), on the CPU, in float32 or float64, for non-empty matrices. Offered buffers of the
// same dtype receive the gradients in place.
bool fc_weight_bias_grads_at_once(const NDArray& g, const NDArray& data, const op::GradientArgs& args,
                                  std::vector<NDArray>& grads) {
  const op::ThreadMode& mode = op::thread_mode();
  const DType dtype = g.dtype();
  if (mode.recorder != nullptr || mode.tracer != nullptr || g.context().is_gpu() || data.dtype() != dtype ||
      !float32_or_64(dtype) || g.size() == 0 || data.size() == 0) {
    return false;
  }
  std::array<NDArray, 2> outputs{args.buffer(1), args.buffer(2)};
  for (NDArray& buffer : outputs) {
    if (!buffer.is_none() && buffer.dtype() != dtype) buffer = NDArray();
  }
  const std::array<NDArray, 2> inputs{g, data};
  op::invoke(kFcWeightBiasGrad, std::span<const NDArray>(inputs), FcGradParams{}, std::span<NDArray>(outputs));
  grads[1] = outputs[0];
  grads[2] = outputs[1];
  return true;
}

// y = x W^T + b over the data as a matrix (m, k): dx = g W, dW = g^T x, db = the column sums of g.
std::vector<NDArray> fc_gradient(const FCParams& p, const op::GradientArgs& args) {
  const NDArray &data = args.inputs[0], &weight = args.inputs[1];
  const std::int64_t n = p.num_hidden, k = weight.shape()[1];
  const NDArray g = args.output_grads[0].reshape({-1, n}), x = data.reshape({-1, k});
  std::vector<NDArray> grads(args.inputs.size());
  if (args.needs_input_grad[0]) grads[0] = dot(g, weight).reshape(data.shape());
  const bool weight_and_bias = args.inputs.size() == 3 && args.needs_input_grad[1] && args.needs_input_grad[2];
  if (weight_and_bias && fc_weight_bias_grads_at_once(g, x, args, grads)) return grads;
  if (args.needs_input_grad[1]) grads[1] = product_into(false, g, x, true, false, args.buffer(1));
  if (args.inputs.size() == 3 && args.needs_input_grad[2]) {
    NDArray buffer = args.buffer(2);  // the bias's own gradient buffer, when offered: no copy into it after
    const bool into_buffer = !buffer.is_none() && buffer.dtype() == g.dtype();
    grads[2] = into_buffer ? sum(g, {0}, false, buffer) : sum(g, {0});
  }
  return grads;
}

// no_bias is the number of inputs: the bias is the third.
void fc_to_attrs(const FCParams& p, int num_inputs, op::Attrs& attrs) {
  attrs["num_hidden"] = op::attr_string(p.num_hidden);
  attrs["no_bias"] = op::attr_string(num_inputs == 2);
  attrs["flatten"] = op::attr_string(p.flatten);
}
FCParams fc_from_attrs(op::AttrReader& attrs, int num_inputs) {
  FCParams p;
  attrs.read("num_hidden", p.num_hidden);
  attrs.read("flatten", p.flatten);
  bool no_bias = false;
  attrs.read("no_bias", no_bias);
  if (no_bias != (num_inputs == 2)) {
    throw Error("FullyConnected: no_bias=" + op::attr_string(no_bias) + " but the node has " +
                std::to_string(num_inputs) + " inputs");
  }
  return p;
}

const op::Operator<FCParams> kFullyConnected = op::define<FCParams>({.name = "FullyConnected",
                                                                     .num_inputs = op::kVariadic,
                                                                     .infer = &infer_fc,
                                                                     .cpu = &fc_cpu,
                                                                     .gpu = MX_GPU(&fc_gpu),
                                                                     .gradient = &fc_gradient,
                                                                     .to_attrs = &fc_to_attrs,
                                                                     .from_attrs = &fc_from_attrs,
                                                                     .input_names = {"data", "weight", "bias"}});

}  // namespace

NDArray FullyConnected(const NDArray& data, const NDArray& weight, const std::optional<NDArray>& bias,
                       int num_hidden, bool flatten) {
  const FCParams p{num_hidden, flatten};
  if (bias) return op::invoke1(kFullyConnected, {data, weight, *bias}, p);
  return op::invoke1(kFullyConnected, {data, weight}, p);
}

}  // namespace mx::nd
