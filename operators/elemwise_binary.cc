// Binary elementwise operators between arrays, with broadcasting (MXNet's broadcast_*).
#include <string>
#include <type_traits>

#include <mx/ndarray/error.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

using op::ArrayInfo;
using op::ComputeContext;
using namespace op::functors;

struct NoParams {};

void infer_binary(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out, const char* name) {
  if (in[0].dtype != in[1].dtype) {
    throw DTypeError(std::string(name) + ": inputs have different dtypes, " + dtype_name(in[0].dtype) + " and " +
                     dtype_name(in[1].dtype) + "; convert one with astype");
  }
  out[0] = {broadcast_shapes(in[0].shape, in[1].shape, name), in[0].dtype};
}

template <class F>
void binary_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) { op::binary_kernel<decltype(tag)>(in[0], in[1], out[0], Wrapping<F>{}); });
}

#define MX_BINARY_OPERATOR(var, op_name, functor)                                                                 \
  const op::Operator<NoParams> var = op::define<NoParams>({                                                    \
      .name = op_name,                                                                                          \
      .num_inputs = 2,                                                                                         \
      .infer = [](const NoParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {                \
        infer_binary(p, in, out, op_name);                                                                      \
      },                                                                                                       \
      .cpu = &binary_cpu<functor>,                                                                             \
  });
MX_BINARY_OPERATOR(kAdd, "broadcast_add", Add)
MX_BINARY_OPERATOR(kSub, "broadcast_sub", Sub)
MX_BINARY_OPERATOR(kMul, "broadcast_mul", Mul)
MX_BINARY_OPERATOR(kDiv, "broadcast_div", Div)
MX_BINARY_OPERATOR(kMod, "broadcast_mod", Mod)
MX_BINARY_OPERATOR(kPow, "broadcast_power", Pow)
MX_BINARY_OPERATOR(kMax, "broadcast_maximum", Max)
MX_BINARY_OPERATOR(kMin, "broadcast_minimum", Min)
MX_BINARY_OPERATOR(kEq, "broadcast_equal", Eq)
MX_BINARY_OPERATOR(kNe, "broadcast_not_equal", Ne)
MX_BINARY_OPERATOR(kGt, "broadcast_greater", Gt)
MX_BINARY_OPERATOR(kGe, "broadcast_greater_equal", Ge)
MX_BINARY_OPERATOR(kLt, "broadcast_lesser", Lt)
MX_BINARY_OPERATOR(kLe, "broadcast_lesser_equal", Le)

NDArray binary(const op::Operator<NoParams>& op, const NDArray& a, const NDArray& b) { return op::invoke1(op, {a, b}); }
}  // namespace

namespace nd {
NDArray add(const NDArray& a, const NDArray& b) { return binary(kAdd, a, b); }
NDArray subtract(const NDArray& a, const NDArray& b) { return binary(kSub, a, b); }
NDArray multiply(const NDArray& a, const NDArray& b) { return binary(kMul, a, b); }
NDArray divide(const NDArray& a, const NDArray& b) { return binary(kDiv, a, b); }
NDArray modulo(const NDArray& a, const NDArray& b) { return binary(kMod, a, b); }
NDArray power(const NDArray& a, const NDArray& b) { return binary(kPow, a, b); }
NDArray maximum(const NDArray& a, const NDArray& b) { return binary(kMax, a, b); }
NDArray minimum(const NDArray& a, const NDArray& b) { return binary(kMin, a, b); }
NDArray equal(const NDArray& a, const NDArray& b) { return binary(kEq, a, b); }
NDArray not_equal(const NDArray& a, const NDArray& b) { return binary(kNe, a, b); }
NDArray greater(const NDArray& a, const NDArray& b) { return binary(kGt, a, b); }
NDArray greater_equal(const NDArray& a, const NDArray& b) { return binary(kGe, a, b); }
NDArray lesser(const NDArray& a, const NDArray& b) { return binary(kLt, a, b); }
NDArray lesser_equal(const NDArray& a, const NDArray& b) { return binary(kLe, a, b); }
}  // namespace nd

NDArray operator+(const NDArray& a, const NDArray& b) { return binary(kAdd, a, b); }
NDArray operator-(const NDArray& a, const NDArray& b) { return binary(kSub, a, b); }
NDArray operator*(const NDArray& a, const NDArray& b) { return binary(kMul, a, b); }
NDArray operator/(const NDArray& a, const NDArray& b) { return binary(kDiv, a, b); }
NDArray operator%(const NDArray& a, const NDArray& b) { return binary(kMod, a, b); }
NDArray operator==(const NDArray& a, const NDArray& b) { return binary(kEq, a, b); }
NDArray operator!=(const NDArray& a, const NDArray& b) { return binary(kNe, a, b); }
NDArray operator>(const NDArray& a, const NDArray& b) { return binary(kGt, a, b); }
NDArray operator>=(const NDArray& a, const NDArray& b) { return binary(kGe, a, b); }
NDArray operator<(const NDArray& a, const NDArray& b) { return binary(kLt, a, b); }
NDArray operator<=(const NDArray& a, const NDArray& b) { return binary(kLe, a, b); }

NDArray& operator+=(NDArray& a, const NDArray& b) { return op::invoke_into(kAdd, {a, b}, a); }
NDArray& operator-=(NDArray& a, const NDArray& b) { return op::invoke_into(kSub, {a, b}, a); }
NDArray& operator*=(NDArray& a, const NDArray& b) { return op::invoke_into(kMul, {a, b}, a); }
NDArray& operator/=(NDArray& a, const NDArray& b) { return op::invoke_into(kDiv, {a, b}, a); }
}  // namespace mx
