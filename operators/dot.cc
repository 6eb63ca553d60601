// dot and batch_dot, through op::gemm; FullyConnected is in fully_connected.cc.
#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/blas.h>
#include <mx/operators/dot.h>
#include <mx/operators/products.h>
#if MXPP_USE_CUDA
#include <mx/operators/gpu_blas.h>
#endif
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>

namespace mx::nd {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

using detail::check_float;

struct DotParams {
  bool transpose_a = false, transpose_b = false;
};

// The product as one gemm: m x k times k x n, from the operands' shapes and flags.
op::GemmArgs plan_dot(const DotParams& p, const Shape& a, const Shape& b, Shape* out) {
  auto fail = [&](const std::string& why) -> op::GemmArgs {
    throw ShapeError("dot: cannot multiply " + a.str() + (p.transpose_a ? " (transposed)" : "") + " by " + b.str() +
                     (p.transpose_b ? " (transposed)" : "") + ": " + why);
  };
  if (a.ndim() == 0 || b.ndim() == 0) return fail("operands need at least one axis");
  if ((p.transpose_a && a.ndim() > 2) || (p.transpose_b && b.ndim() > 2)) return fail("transposes need 2-D operands");
  op::GemmArgs g{.trans_a = p.transpose_a && a.ndim() == 2, .trans_b = p.transpose_b && b.ndim() == 2};
  Shape result;
  if (g.trans_a) {
    g.k = a[0];
    g.m = a[1];
    result.push_back(a[1]);
  } else {
    g.k = a[a.ndim() - 1];
    g.m = 1;
    for (int i = 0; i < a.ndim() - 1; ++i) {
      g.m *= a[i];
      result.push_back(a[i]);
    }
  }
  std::int64_t kb;
  if (g.trans_b) {
    kb = b[1];
    g.n = b[0];
    result.push_back(b[0]);
  } else {
    kb = b[0];
    g.n = 1;
    for (int i = 1; i < b.ndim(); ++i) {
      g.n *= b[i];
      result.push_back(b[i]);
    }
  }
  if (kb != g.k) return fail("inner extents " + std::to_string(g.k) + " and " + std::to_string(kb) + " differ");
  if (result.ndim() == 0) result.push_back(1);  // two vectors: MXNet's shape (1,)
  if (out) *out = result;
  return g;
}

using PlanFn = op::GemmArgs (*)(const DotParams&, const Shape&, const Shape&, Shape*);

// dot and batch_dot infer the same way: floating operands of one dtype, the shape from their plan.
template <const char* kName, PlanFn kPlan>
void infer_product(const DotParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  check_float(kName, in);
  kPlan(p, in[0].shape, in[1].shape, &out[0].shape);
  out[0].dtype = in[0].dtype;
}
constexpr char kDotName[] = "dot", kBatchDotName[] = "batch_dot";

void dot_cpu(const DotParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  op::gemm(plan_dot(p, in[0].shape, in[1].shape, nullptr), in[0].dtype, in[0].data, in[1].data, out[0].data);
}

#if MXPP_USE_CUDA
void dot_gpu(const DotParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  op::gpu::gemm(plan_dot(p, in[0].shape, in[1].shape, nullptr), in[0].dtype, in[0].data, in[1].data, out[0].data,
                ctx.run.stream);
}
#endif

op::GemmArgs plan_batch_dot(const DotParams& p, const Shape& a, const Shape& b, Shape* out) {
  if (a.ndim() != 3 || b.ndim() != 3 || a[0] != b[0]) {
    throw ShapeError("batch_dot: operands must be 3-D with one batch size, got " + a.str() + " and " + b.str());
  }
  op::GemmArgs g{.trans_a = p.transpose_a, .trans_b = p.transpose_b};
  g.m = p.transpose_a ? a[2] : a[1];
  g.k = p.transpose_a ? a[1] : a[2];
  const std::int64_t kb = p.transpose_b ? b[2] : b[1];
  g.n = p.transpose_b ? b[1] : b[2];
  if (kb != g.k) {
    throw ShapeError("batch_dot: cannot multiply " + a.str() + " by " + b.str() + ": inner extents " +
                     std::to_string(g.k) + " and " + std::to_string(kb) + " differ");
  }
  if (out) *out = Shape{a[0], g.m, g.n};
  return g;
}

using detail::product_into;

// C = op(A) op(B) gives dA and dB as products of G with the other operand, by `op` (dot or batch_dot); A, B, G
// are the operands as the matrices (or batches of them) the product saw.
std::vector<NDArray> product_gradient(bool batched, const DotParams& p,
                                      const op::GradientArgs& args, const NDArray& a, const NDArray& b,
                                      const NDArray& g) {
  const bool ta = p.transpose_a, tb = p.transpose_b;
  NDArray da, db;
  const NDArray buffer_a = args.buffer(0), buffer_b = args.buffer(1);
  if (args.needs_input_grad[0]) {
    da = ta ? product_into(batched, b, g, tb, true, buffer_a) : product_into(batched, g, b, false, !tb, buffer_a);
  }
  if (args.needs_input_grad[1]) {
    db = tb ? product_into(batched, g, a, true, ta, buffer_b) : product_into(batched, a, g, !ta, false, buffer_b);
  }
  return {da.is_none() ? da : da.reshape(args.inputs[0].shape()),
          db.is_none() ? db : db.reshape(args.inputs[1].shape())};
}

std::vector<NDArray> dot_gradient(const DotParams& p, const op::GradientArgs& args) {
  const Shape &a = args.inputs[0].shape(), &b = args.inputs[1].shape();
  const op::GemmArgs plan = plan_dot(p, a, b, nullptr);
  const NDArray a2 = args.inputs[0].reshape(plan.trans_a ? Shape{plan.k, plan.m} : Shape{plan.m, plan.k});
  const NDArray b2 = args.inputs[1].reshape(plan.trans_b ? Shape{plan.n, plan.k} : Shape{plan.k, plan.n});
  const NDArray g2 = args.output_grads[0].reshape({plan.m, plan.n});
  return product_gradient(false, DotParams{plan.trans_a, plan.trans_b}, args, a2, b2, g2);
}

void dot_to_attrs(const DotParams& p, int, op::Attrs& attrs) {
  attrs["transpose_a"] = op::attr_string(p.transpose_a);
  attrs["transpose_b"] = op::attr_string(p.transpose_b);
}
DotParams dot_from_attrs(op::AttrReader& attrs, int) {
  DotParams p;
  attrs.read("transpose_a", p.transpose_a);
  attrs.read("transpose_b", p.transpose_b);
  attrs.ignore("forward_stype", {"None"});
  return p;
}

const op::Operator<DotParams> kDot = op::define<DotParams>({.name = kDotName,
                                                            .num_inputs = 2,
                                                            .infer = &infer_product<kDotName, &plan_dot>,
                                                            .cpu = &dot_cpu,
                                                            .gpu = MX_GPU(&dot_gpu),
                                                            .gradient = &dot_gradient,
                                                            .to_attrs = &dot_to_attrs,
                                                            .from_attrs = &dot_from_attrs});

void batch_dot_cpu(const DotParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const op::GemmArgs g = plan_batch_dot(p, in[0].shape, in[1].shape, nullptr);
  op::batched_gemm(g, in[0].dtype, in[0].shape[0], in[0].data, g.m * g.k, in[1].data, g.k * g.n, out[0].data,
                   g.m * g.n);
}

#if MXPP_USE_CUDA
void batch_dot_gpu(const DotParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  const op::GemmArgs g = plan_batch_dot(p, in[0].shape, in[1].shape, nullptr);
  op::gpu::batched_gemm(g, in[0].dtype, in[0].shape[0], in[0].data, g.m * g.k, in[1].data, g.k * g.n, out[0].data,
                        g.m * g.n, ctx.run.stream);
}
#endif

std::vector<NDArray> batch_dot_gradient(const DotParams& p, const op::GradientArgs& args) {
  return product_gradient(true, p, args, args.inputs[0], args.inputs[1], args.output_grads[0]);
}

const op::Operator<DotParams> kBatchDot =
    op::define<DotParams>({.name = kBatchDotName,
                           .num_inputs = 2,
                           .infer = &infer_product<kBatchDotName, &plan_batch_dot>,
                           .cpu = &batch_dot_cpu,
                           .gpu = MX_GPU(&batch_dot_gpu),
                           .gradient = &batch_dot_gradient,
                           .to_attrs = &dot_to_attrs,
                           .from_attrs = &dot_from_attrs});

}  // namespace

NDArray dot(const NDArray& a, const NDArray& b, bool transpose_a, bool transpose_b) {
  return op::invoke1(kDot, {a, b}, DotParams{transpose_a, transpose_b});
}

NDArray batch_dot(const NDArray& a, const NDArray& b, bool transpose_a, bool transpose_b) {
  return op::invoke1(kBatchDot, {a, b}, DotParams{transpose_a, transpose_b});
}

void detail::check_float(const char* name, std::span<const ArrayInfo> in) {
  for (std::size_t i = 1; i < in.size(); ++i) {
    if (in[i].dtype != in[0].dtype) {
      throw DTypeError(std::string(name) + ": inputs have different dtypes, " + dtype_name(in[0].dtype) + " and " +
                       dtype_name(in[i].dtype));
    }
  }
  if (!op::gemm_supports(in[0].dtype)) {
    throw DTypeError(std::string(name) + ": " + dtype_name(in[0].dtype) +
                     " is not supported; convert to a floating dtype with astype");
  }
}

NDArray detail::product_into(bool batched, const NDArray& x, const NDArray& y, bool tx, bool ty, const NDArray& buffer) {
  const op::Operator<DotParams>& op = batched ? kBatchDot : kDot;
  if (buffer.is_none()) return op::invoke1(op, {x, y}, DotParams{tx, ty});
  Shape shape;
  (batched ? plan_batch_dot : plan_dot)(DotParams{tx, ty}, x.shape(), y.shape(), &shape);
  NDArray out = buffer.reshape(shape);
  return op::invoke_into(op, {x, y}, out, DotParams{tx, ty});
}

}  // namespace mx::nd
