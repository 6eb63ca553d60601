#pragma once
// What the unary elementwise operators share: the math functor, the compute function over every dtype, and the
// macros that declare an operator with its gradient. Private to operators/.
#include <span>
#include <type_traits>
#include <vector>

#include <mx/operators/creation.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/math_functors.h>
#include <mx/operators/invoke.h>
#include <mx/operators/registry.h>

namespace mx::op {

struct UnaryParams {};

inline void infer_unary(const UnaryParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  out[0] = in[0];
}

template <class F>
void unary_cpu(const UnaryParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) { unary_kernel<decltype(tag)>(in[0], out[0], F{}); });
}

#if MXPP_USE_CUDA
template <class F>
void unary_gpu(const UnaryParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  gpu::unary<F>(static_cast<int>(out[0].dtype), in[0].data, out[0].data, out[0].size(), ctx.run.stream);
}
#define MX_GPU_UNARY(functor) &::mx::op::unary_gpu<functor>
#else
#define MX_GPU_UNARY(functor) nullptr
#endif

inline NDArray unary(const Operator<UnaryParams>& op, const NDArray& x) { return invoke1(op, {x}); }

// For functions flat almost everywhere (sign, floor, round...): zero, as MXNet's.
inline std::vector<NDArray> zero_gradient(const UnaryParams&, const GradientArgs& args) {
  return {nd::zeros_like(args.inputs[0])};
}

}  // namespace mx::op

// A gradient as an expression of x (the input), y (the output) and g (the output's gradient), built from
// operators so that it can be recorded in turn.
#define MX_UNARY_GRADIENT(name, expr)                                                         \
  std::vector<NDArray> name(const ::mx::op::UnaryParams&, const ::mx::op::GradientArgs& args) { \
    const NDArray &x = args.inputs[0], &y = args.outputs[0], &g = args.output_grads[0];       \
    (void)x, (void)y;                                                                         \
    return {expr};                                                                            \
  }

#define MX_UNARY_OPERATOR_WITH(var, op_name, functor, gpu_fn, gradient_fn)                             \
  const ::mx::op::Operator<::mx::op::UnaryParams> var =                                                \
      ::mx::op::define<::mx::op::UnaryParams>({.name = op_name,                                        \
                                               .num_inputs = 1,                                        \
                                               .infer = &::mx::op::infer_unary,                        \
                                               .cpu = &::mx::op::unary_cpu<functor>,                   \
                                               .gpu = gpu_fn,                                          \
                                               .gradient = gradient_fn});
// With a CUDA kernel (the functor is listed in math_functors.h's MX_GPU_UNARY_FUNCTORS).
#define MX_UNARY_OPERATOR(var, op_name, functor, gradient_fn) \
  MX_UNARY_OPERATOR_WITH(var, op_name, ::mx::op::functors::functor, MX_GPU_UNARY(::mx::op::functors::functor), gradient_fn)
// CPU only: a GPU call is refused, naming the operator.
#define MX_UNARY_OPERATOR_CPU(var, op_name, functor, gradient_fn) \
  MX_UNARY_OPERATOR_WITH(var, op_name, functor, nullptr, gradient_fn)
