// Logical operators on any dtype (1 or 0 in the inputs' dtype, as MXNet's broadcast_logical_and) and bitwise
// operators on integers (PyTorch's bitwise_and; MXNet's legacy API has none). Neither is differentiable.
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/binary_operator.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

void infer_integer_binary(std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out, const char* name) {
  op::infer_binary(in, out, name);
  if (is_floating(in[0].dtype)) {
    throw DTypeError(std::string(name) + ": needs integer or bool arrays, got " + dtype_name(in[0].dtype));
  }
}

MX_BINARY_OPERATOR(kLogicalAnd, "broadcast_logical_and", LogicalAnd, nullptr)
MX_BINARY_OPERATOR(kLogicalOr, "broadcast_logical_or", LogicalOr, nullptr)
MX_BINARY_OPERATOR(kLogicalXor, "broadcast_logical_xor", LogicalXor, nullptr)
MX_BINARY_OPERATOR_INFER(kBitAnd, "bitwise_and", BitAnd, nullptr, infer_integer_binary)
MX_BINARY_OPERATOR_INFER(kBitOr, "bitwise_or", BitOr, nullptr, infer_integer_binary)
MX_BINARY_OPERATOR_INFER(kBitXor, "bitwise_xor", BitXor, nullptr, infer_integer_binary)

using op::binary;

}  // namespace

namespace nd {
NDArray logical_and(const NDArray& a, const NDArray& b) { return binary(kLogicalAnd, a, b); }
NDArray logical_or(const NDArray& a, const NDArray& b) { return binary(kLogicalOr, a, b); }
NDArray logical_xor(const NDArray& a, const NDArray& b) { return binary(kLogicalXor, a, b); }
NDArray bitwise_and(const NDArray& a, const NDArray& b) { return binary(kBitAnd, a, b); }
NDArray bitwise_or(const NDArray& a, const NDArray& b) { return binary(kBitOr, a, b); }
NDArray bitwise_xor(const NDArray& a, const NDArray& b) { return binary(kBitXor, a, b); }
}  // namespace nd

}  // namespace mx
