#pragma once
// What the array-array elementwise operators share: the same-dtype check with NumPy broadcasting, and one
// compute function per functor over every dtype. Private to operators/.
#include <span>

#include <mx/operators/elemwise_functors.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/registry.h>

namespace mx::op {

struct BinaryParams {};

// Throws mx::DTypeError (different dtypes) or mx::ShapeError (shapes that do not broadcast) naming `name`.
void infer_binary(std::span<const ArrayInfo> in, std::span<ArrayInfo> out, const char* name);

inline NDArray binary(const Operator<BinaryParams>& op, const NDArray& a, const NDArray& b) {
  return invoke1(op, {a, b});
}

template <class F>
void binary_cpu(const BinaryParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    binary_kernel<decltype(tag)>(in[0], in[1], out[0], functors::Wrapping<F>{});
  });
}

}  // namespace mx::op

// `gradient`: nullptr for comparisons, whose results are constants to autograd. `infer_fn`: infer_binary, or
// a stricter one taking the same arguments.
#define MX_BINARY_OPERATOR_INFER(var, op_name, functor, gradient_fn, infer_fn)                             \
  const op::Operator<op::BinaryParams> var = op::define<op::BinaryParams>({                             \
      .name = op_name,                                                                                  \
      .num_inputs = 2,                                                                                  \
      .infer = [](const op::BinaryParams&, std::span<const op::ArrayInfo> in,                           \
                  std::span<op::ArrayInfo> out) { infer_fn(in, out, op_name); },                        \
      .cpu = &op::binary_cpu<op::functors::functor>,                                                    \
      .gradient = gradient_fn,                                                                          \
  });
#define MX_BINARY_OPERATOR(var, op_name, functor, gradient_fn) \
  MX_BINARY_OPERATOR_INFER(var, op_name, functor, gradient_fn, op::infer_binary)
