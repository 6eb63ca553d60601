#pragma once
// Elementary functions over whole arrays, for kernels whose time goes to libm's one call per element.
// Private to operators/.
#include <cstdint>

namespace mx::op {

// values[i] = exp(values[i]) for float, within 1e-7 relative of the exact value over [-87.33, 88.72]; below
// that 0 (where the exact value is a denormal or less), above it infinity, NaN stays NaN.
void exp_in_place(float* values, std::int64_t count);

}  // namespace mx::op
