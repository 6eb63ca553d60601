#include <mx/operators/elemwise_kernels.h>

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

}  // namespace mx::op
