// where: one kernel over arrays of one shape; nd::where broadcasts its arguments first (with recorded
// broadcast_to calls, so gradients reduce back on their own).
#include <string>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/select.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd {
namespace {

struct WhereParams {};

void infer_where(const WhereParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  if (in[0].shape != in[1].shape || in[1].shape != in[2].shape) {
    throw ShapeError("where: condition " + in[0].shape.str() + ", x " + in[1].shape.str() + " and y " +
                     in[2].shape.str() + " must have one shape");
  }
  if (in[1].dtype != in[2].dtype) {
    throw DTypeError(std::string("where: x is ") + dtype_name(in[1].dtype) + " but y is " + dtype_name(in[2].dtype));
  }
  out[0] = in[1];
}

void where_cpu(const WhereParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  dispatch_dtype(in[0].dtype, [&](auto cond_tag) {
    using Cond = decltype(cond_tag);
    dispatch_dtype(in[1].dtype, [&](auto tag) {
      using T = decltype(tag);
      const Cond* c = in[0].ptr<Cond>();
      const T *x = in[1].ptr<T>(), *y = in[2].ptr<T>();
      T* result = out[0].ptr<T>();
      op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) result[i] = convert_value<float>(c[i]) != 0.0f ? x[i] : y[i];
      });
    });
  });
}

#if MXPP_USE_CUDA
void where_gpu(const WhereParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  op::gpu::where(static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(in[1].dtype), in[1].data, in[2].data,
                 out[0].data, out[0].size(), ctx.run.stream);
}
#endif

// The condition, as 1 or 0 in the gradient's dtype, selects which input the gradient goes to.
std::vector<NDArray> where_gradient(const WhereParams&, const op::GradientArgs& args) {
  const NDArray& g = args.output_grads[0];
  NDArray chosen = args.inputs[0] != 0.0;
  if (chosen.dtype() != g.dtype()) chosen = chosen.astype(g.dtype());
  return {NDArray(), args.needs_input_grad[1] ? g * chosen : NDArray(),
          args.needs_input_grad[2] ? g * (1.0 - chosen) : NDArray()};
}

const op::Operator<WhereParams> kWhere = op::define<WhereParams>(
    {.name = "where", .num_inputs = 3, .infer = &infer_where, .cpu = &where_cpu, .gpu = MX_GPU(&where_gpu),
     .gradient = &where_gradient});

}  // namespace

NDArray where(const NDArray& condition, const NDArray& x, const NDArray& y) {
  const Shape shape = broadcast_shapes(broadcast_shapes(condition.shape(), x.shape(), "where"), y.shape(), "where");
  return op::invoke1(kWhere, {broadcast_to(condition, shape), broadcast_to(x, shape), broadcast_to(y, shape)});
}

}  // namespace mx::nd
