#pragma once
// The element types of the host kernels written for float32 and float64 only (patches, pooling, the fused
// batch normalization); 16-bit floats reach them widened. Private to operators/.
#include <string>

#include <mx/ndarray/dtype.h>
#include <mx/ndarray/error.h>

namespace mx::op {

// Calls fn(float{}) or fn(double{}) for `dtype`; throws mx::DTypeError naming `op` for any other.
template <class Fn>
void dispatch_float32_or_64(DType dtype, const char* op, Fn&& fn) {
  if (dtype == DType::kFloat32) return fn(float{});
  if (dtype == DType::kFloat64) return fn(double{});
  throw DTypeError(std::string(op) + ": " + dtype_name(dtype) + " is not supported; use float32 or float64");
}

}  // namespace mx::op
