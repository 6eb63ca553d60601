#pragma once
// Dtype conversion of a whole buffer split across the engine's CPU workers: the Cast operator's, and the
// widening of 16-bit floats around a product (blas.cc).
#include <cstdint>

#include <mx/ndarray/dtype.h>

namespace mx::op {

// `count` values of `in_dtype` at `in` converted to `out_dtype` at `out` (convert_values), in pieces.
void convert_split(const void* in, DType in_dtype, void* out, DType out_dtype, std::int64_t count);

}  // namespace mx::op
