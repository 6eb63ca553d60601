#pragma once
// What the array-array elementwise operators share: the same-dtype check with NumPy broadcasting, and one
// compute function per functor over every dtype. Private to operators/.
#include <span>

#include <mx/operators/elemwise_functors.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gpu_kernels.h>
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

#if MXPP_USE_CUDA
// The operands of a GPU elementwise kernel, broadcast to `out`'s shape; a one-element operand is passed as a
// pointer all the same (its value lives on the device).
void gpu_operands(const Blob& a, const Blob& b, const Blob& out, gpu::Operand& ga, gpu::Operand& gb,
                  gpu::OutLayout& layout);

template <class F>
void binary_gpu(const BinaryParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  gpu::Operand a, b;
  gpu::OutLayout layout;
  gpu_operands(in[0], in[1], out[0], a, b, layout);
  gpu::binary<F>(static_cast<int>(out[0].dtype), a, b, out[0].data, layout, ctx.run.stream);
}
#define MX_GPU_BINARY(functor) &::mx::op::binary_gpu<::mx::op::functors::functor>
#else
#define MX_GPU_BINARY(functor) nullptr
#endif

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
      .gpu = MX_GPU_BINARY(functor),                                                                    \
      .gradient = gradient_fn,                                                                          \
  });
#define MX_BINARY_OPERATOR(var, op_name, functor, gradient_fn) \
  MX_BINARY_OPERATOR_INFER(var, op_name, functor, gradient_fn, op::infer_binary)
