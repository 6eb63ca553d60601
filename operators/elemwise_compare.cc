// Comparisons between arrays, with broadcasting (MXNet's broadcast_equal, ...): 1 or 0 in the inputs' dtype.
#include <mx/operators/binary_operator.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/invoke.h>

namespace mx {
namespace {

MX_BINARY_OPERATOR(kEq, "broadcast_equal", Eq, nullptr)
MX_BINARY_OPERATOR(kNe, "broadcast_not_equal", Ne, nullptr)
MX_BINARY_OPERATOR(kGt, "broadcast_greater", Gt, nullptr)
MX_BINARY_OPERATOR(kGe, "broadcast_greater_equal", Ge, nullptr)
MX_BINARY_OPERATOR(kLt, "broadcast_lesser", Lt, nullptr)
MX_BINARY_OPERATOR(kLe, "broadcast_lesser_equal", Le, nullptr)

using op::binary;

}  // namespace

namespace nd {
NDArray equal(const NDArray& a, const NDArray& b) { return binary(kEq, a, b); }
NDArray not_equal(const NDArray& a, const NDArray& b) { return binary(kNe, a, b); }
NDArray greater(const NDArray& a, const NDArray& b) { return binary(kGt, a, b); }
NDArray greater_equal(const NDArray& a, const NDArray& b) { return binary(kGe, a, b); }
NDArray lesser(const NDArray& a, const NDArray& b) { return binary(kLt, a, b); }
NDArray lesser_equal(const NDArray& a, const NDArray& b) { return binary(kLe, a, b); }
}  // namespace nd

NDArray operator==(const NDArray& a, const NDArray& b) { return binary(kEq, a, b); }
NDArray operator!=(const NDArray& a, const NDArray& b) { return binary(kNe, a, b); }
NDArray operator>(const NDArray& a, const NDArray& b) { return binary(kGt, a, b); }
NDArray operator>=(const NDArray& a, const NDArray& b) { return binary(kGe, a, b); }
NDArray operator<(const NDArray& a, const NDArray& b) { return binary(kLt, a, b); }
NDArray operator<=(const NDArray& a, const NDArray& b) { return binary(kLe, a, b); }

}  // namespace mx
