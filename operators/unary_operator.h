#pragma once
// What the unary elementwise operators share: the math functor, the compute function over every dtype, and the
// macros that declare an operator with its gradient. Private to operators/.
#include <span>
#include <type_traits>
#include <vector>

#include <mx/operators/creation.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/registry.h>

namespace mx::op {

struct UnaryParams {};

// The type a math function computes in: float for float and 16-bit floats, double for the rest (integers
// compute through double and convert back, as MXNet's legacy operators).
template <class C>
using math_t = std::conditional_t<std::is_same_v<C, float>, float, double>;

inline void infer_unary(const UnaryParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  out[0] = in[0];
}

template <class F>
void unary_cpu(const UnaryParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) { unary_kernel<decltype(tag)>(in[0], out[0], F{}); });
}

inline NDArray unary(const Operator<UnaryParams>& op, const NDArray& x) { return invoke1(op, {x}); }

// For functions flat almost everywhere (sign, floor, round...): zero, as MXNet's.
inline std::vector<NDArray> zero_gradient(const UnaryParams&, const GradientArgs& args) {
  return {nd::zeros_like(args.inputs[0])};
}

}  // namespace mx::op

// A functor computing `expr` of `x` (of type M, the math type).
#define MX_MATH_FUNCTOR(Name, expr)          \
  struct Name {                              \
    template <class C>                       \
    C operator()(C value) const {            \
      using M = ::mx::op::math_t<C>;         \
      const M x = static_cast<M>(value);     \
      return static_cast<C>(expr);           \
    }                                        \
  };

// A gradient as an expression of x (the input), y (the output) and g (the output's gradient), built from
// operators so that it can be recorded in turn.
#define MX_UNARY_GRADIENT(name, expr)                                                         \
  std::vector<NDArray> name(const ::mx::op::UnaryParams&, const ::mx::op::GradientArgs& args) { \
    const NDArray &x = args.inputs[0], &y = args.outputs[0], &g = args.output_grads[0];       \
    (void)x, (void)y;                                                                         \
    return {expr};                                                                            \
  }

#define MX_UNARY_OPERATOR(var, op_name, functor, gradient_fn)                                          \
  const ::mx::op::Operator<::mx::op::UnaryParams> var =                                                \
      ::mx::op::define<::mx::op::UnaryParams>({.name = op_name,                                        \
                                               .num_inputs = 1,                                        \
                                               .infer = &::mx::op::infer_unary,                        \
                                               .cpu = &::mx::op::unary_cpu<functor>,                   \
                                               .gradient = gradient_fn});
