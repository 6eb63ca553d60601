#include <mx/operators/elemwise_kernels.h>

#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/binary_operator.h>

namespace mx::op {

BroadcastStrides broadcast_strides(const Shape& a, const Shape& b, const Shape& out) {
  BroadcastStrides s;
  s.ndim = out.ndim();
  std::int64_t stride_a = 1, stride_b = 1;
  for (int d = s.ndim - 1; d >= 0; --d) {
    const int da = a.ndim() - s.ndim + d, db = b.ndim() - s.ndim + d;
    const std::int64_t ea = da >= 0 ? a[da] : 1, eb = db >= 0 ? b[db] : 1;
    s.extent[d] = out[d];
    s.a[d] = ea == 1 ? 0 : stride_a;
    s.b[d] = eb == 1 ? 0 : stride_b;
    stride_a *= ea;
    stride_b *= eb;
  }
  return s;
}

void infer_binary(std::span<const ArrayInfo> in, std::span<ArrayInfo> out, const char* name) {
  if (in[0].dtype != in[1].dtype) {
    throw DTypeError(std::string(name) + ": inputs have different dtypes, " + dtype_name(in[0].dtype) + " and " +
                     dtype_name(in[1].dtype) + "; convert one with astype");
  }
  out[0] = {broadcast_shapes(in[0].shape, in[1].shape, name), in[0].dtype};
}

}  // namespace mx::op

#if MXPP_USE_CUDA
namespace mx::op {

void gpu_operands(const Blob& a, const Blob& b, const Blob& out, gpu::Operand& ga, gpu::Operand& gb,
                  gpu::OutLayout& layout) {
  const BroadcastStrides s = broadcast_strides(a.shape, b.shape, out.shape);
  layout.ndim = s.ndim;
  layout.size = out.size();
  for (int d = 0; d < s.ndim; ++d) {
    layout.extent[d] = s.extent[d];
    ga.stride[d] = s.a[d];
    gb.stride[d] = s.b[d];
  }
  ga.data = a.data;
  gb.data = b.data;
  ga.dense = a.shape == out.shape;
  gb.dense = b.shape == out.shape;
}

}  // namespace mx::op
#endif
