// Binary arithmetic between arrays, with broadcasting (MXNet's broadcast_add, ...).
#include <mx/operators/binary_operator.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

MX_BINARY_OPERATOR(kAdd, "broadcast_add", Add)
MX_BINARY_OPERATOR(kSub, "broadcast_sub", Sub)
MX_BINARY_OPERATOR(kMul, "broadcast_mul", Mul)
MX_BINARY_OPERATOR(kDiv, "broadcast_div", Div)
MX_BINARY_OPERATOR(kMod, "broadcast_mod", Mod)
MX_BINARY_OPERATOR(kPow, "broadcast_power", Pow)
MX_BINARY_OPERATOR(kMax, "broadcast_maximum", Max)
MX_BINARY_OPERATOR(kMin, "broadcast_minimum", Min)

NDArray binary(const op::Operator<op::BinaryParams>& op, const NDArray& a, const NDArray& b) {
  return op::invoke1(op, {a, b});
}

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
}  // namespace nd

NDArray operator+(const NDArray& a, const NDArray& b) { return binary(kAdd, a, b); }
NDArray operator-(const NDArray& a, const NDArray& b) { return binary(kSub, a, b); }
NDArray operator*(const NDArray& a, const NDArray& b) { return binary(kMul, a, b); }
NDArray operator/(const NDArray& a, const NDArray& b) { return binary(kDiv, a, b); }
NDArray operator%(const NDArray& a, const NDArray& b) { return binary(kMod, a, b); }
NDArray& operator+=(NDArray& a, const NDArray& b) { return op::invoke_into(kAdd, {a, b}, a); }
NDArray& operator-=(NDArray& a, const NDArray& b) { return op::invoke_into(kSub, {a, b}, a); }
NDArray& operator*=(NDArray& a, const NDArray& b) { return op::invoke_into(kMul, {a, b}, a); }
NDArray& operator/=(NDArray& a, const NDArray& b) { return op::invoke_into(kDiv, {a, b}, a); }

}  // namespace mx
