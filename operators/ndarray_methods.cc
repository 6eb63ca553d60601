// The NDArray methods Gluon users call (x.sum(), x.astype(...)), each forwarding to its operator.
#include <mx/operators/copy.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/nn.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>

namespace mx {

NDArray NDArray::copy() const { return nd::copy(*this); }
NDArray NDArray::copyto(Context ctx) const {
  NDArray out(shape_, ctx, dtype_);
  nd::copyto(*this, out);
  return out;
}
const NDArray& NDArray::copyto(NDArray& out) const {
  nd::copyto(*this, out);
  return out;
}
NDArray NDArray::as_in_context(Context ctx) const { return nd::as_in_context(*this, ctx); }
NDArray NDArray::astype(DType dtype) const { return nd::astype(*this, dtype); }
NDArray NDArray::sum(std::vector<int> axis, bool keepdims) const { return nd::sum(*this, std::move(axis), keepdims); }
NDArray NDArray::mean(std::vector<int> axis, bool keepdims) const { return nd::mean(*this, std::move(axis), keepdims); }
NDArray NDArray::max(std::vector<int> axis, bool keepdims) const { return nd::max(*this, std::move(axis), keepdims); }
NDArray NDArray::min(std::vector<int> axis, bool keepdims) const { return nd::min(*this, std::move(axis), keepdims); }
NDArray NDArray::argmax(int axis, bool keepdims) const { return nd::argmax(*this, axis, keepdims); }
NDArray NDArray::norm(double ord, std::vector<int> axis, bool keepdims) const {
  return nd::norm(*this, ord, std::move(axis), keepdims);
}
NDArray NDArray::transpose(std::vector<int> axes) const { return nd::transpose(*this, std::move(axes)); }
NDArray NDArray::expand_dims(int axis) const { return nd::expand_dims(*this, axis); }
NDArray NDArray::flatten() const { return nd::flatten(*this); }
NDArray NDArray::clip(double a_min, double a_max) const { return nd::clip(*this, a_min, a_max); }
NDArray NDArray::relu() const { return nd::relu(*this); }
NDArray NDArray::sigmoid() const { return nd::sigmoid(*this); }
NDArray NDArray::tanh() const { return nd::tanh(*this); }
NDArray NDArray::exp() const { return nd::exp(*this); }
NDArray NDArray::log() const { return nd::log(*this); }
NDArray NDArray::sqrt() const { return nd::sqrt(*this); }
NDArray NDArray::square() const { return nd::square(*this); }
NDArray NDArray::abs() const { return nd::abs(*this); }
NDArray NDArray::softmax(int axis) const { return nd::softmax(*this, axis); }
NDArray NDArray::log_softmax(int axis) const { return nd::log_softmax(*this, axis); }
NDArray NDArray::one_hot(std::int64_t depth, double on_value, double off_value) const {
  return nd::one_hot(*this, depth, on_value, off_value);
}

}  // namespace mx
