#pragma once
// What the products (dot.cc) share with the fully connected layer (fully_connected.cc). Private to operators/.
#include <span>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/registry.h>

namespace mx::nd::detail {

// Floating operands of one dtype, as op::gemm takes them; throws mx::DTypeError naming `name`.
void check_float(const char* name, std::span<const op::ArrayInfo> in);

// x times y (batch_dot when `batched`, else dot) into `buffer`, viewed in the product's shape, when one is
// offered; else into a new array.
NDArray product_into(bool batched, const NDArray& x, const NDArray& y, bool tx, bool ty, const NDArray& buffer);

}  // namespace mx::nd::detail
