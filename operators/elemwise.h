#pragma once
// Elementwise arithmetic, comparison and math, with NumPy broadcasting between arrays and scalars on either side.
// Both arrays must have one dtype (mx::DTypeError otherwise); a scalar takes the array's dtype. Comparisons give
// 1 or 0 in the inputs' dtype, as MXNet's do.
#include <mx/ndarray/ndarray.h>

namespace mx {
namespace nd {

NDArray add(const NDArray& a, const NDArray& b);
NDArray subtract(const NDArray& a, const NDArray& b);
NDArray multiply(const NDArray& a, const NDArray& b);
NDArray divide(const NDArray& a, const NDArray& b);
NDArray modulo(const NDArray& a, const NDArray& b);  // the sign of b, as NumPy's
NDArray power(const NDArray& a, const NDArray& b);
NDArray maximum(const NDArray& a, const NDArray& b);
NDArray minimum(const NDArray& a, const NDArray& b);
NDArray equal(const NDArray& a, const NDArray& b);
NDArray not_equal(const NDArray& a, const NDArray& b);
NDArray greater(const NDArray& a, const NDArray& b);
NDArray greater_equal(const NDArray& a, const NDArray& b);
NDArray lesser(const NDArray& a, const NDArray& b);
NDArray lesser_equal(const NDArray& a, const NDArray& b);
// Scalar forms with no C++ operator (MXNet's _power_scalar, _rpower_scalar, _maximum_scalar, _minimum_scalar).
NDArray power(const NDArray& a, double b);
NDArray power(double a, const NDArray& b);
NDArray maximum(const NDArray& a, double b);
NDArray maximum(double a, const NDArray& b);
NDArray minimum(const NDArray& a, double b);
NDArray minimum(double a, const NDArray& b);

NDArray negative(const NDArray& x);
NDArray abs(const NDArray& x);
NDArray sign(const NDArray& x);
NDArray sqrt(const NDArray& x);
NDArray rsqrt(const NDArray& x);
NDArray square(const NDArray& x);
NDArray reciprocal(const NDArray& x);
NDArray exp(const NDArray& x);
NDArray log(const NDArray& x);
NDArray sin(const NDArray& x);
NDArray cos(const NDArray& x);
NDArray floor(const NDArray& x);
NDArray ceil(const NDArray& x);
NDArray relu(const NDArray& x);
NDArray sigmoid(const NDArray& x);
NDArray tanh(const NDArray& x);

}  // namespace nd

// C++ operators, with scalars on either side: x + 1, 2 * x, 1 / x, x == y...
NDArray operator+(const NDArray& a, const NDArray& b);
NDArray operator-(const NDArray& a, const NDArray& b);
NDArray operator*(const NDArray& a, const NDArray& b);
NDArray operator/(const NDArray& a, const NDArray& b);
NDArray operator%(const NDArray& a, const NDArray& b);
NDArray operator==(const NDArray& a, const NDArray& b);
NDArray operator!=(const NDArray& a, const NDArray& b);
NDArray operator>(const NDArray& a, const NDArray& b);
NDArray operator>=(const NDArray& a, const NDArray& b);
NDArray operator<(const NDArray& a, const NDArray& b);
NDArray operator<=(const NDArray& a, const NDArray& b);
NDArray operator-(const NDArray& x);

NDArray operator+(const NDArray& a, double b);
NDArray operator-(const NDArray& a, double b);
NDArray operator*(const NDArray& a, double b);
NDArray operator/(const NDArray& a, double b);
NDArray operator%(const NDArray& a, double b);
NDArray operator==(const NDArray& a, double b);
NDArray operator!=(const NDArray& a, double b);
NDArray operator>(const NDArray& a, double b);
NDArray operator>=(const NDArray& a, double b);
NDArray operator<(const NDArray& a, double b);
NDArray operator<=(const NDArray& a, double b);
NDArray operator+(double a, const NDArray& b);
NDArray operator-(double a, const NDArray& b);
NDArray operator*(double a, const NDArray& b);
NDArray operator/(double a, const NDArray& b);
NDArray operator%(double a, const NDArray& b);
NDArray operator==(double a, const NDArray& b);
NDArray operator!=(double a, const NDArray& b);
NDArray operator>(double a, const NDArray& b);
NDArray operator>=(double a, const NDArray& b);
NDArray operator<(double a, const NDArray& b);
NDArray operator<=(double a, const NDArray& b);

// In place: the left array's variable is written; its shape must be the broadcast result.
NDArray& operator+=(NDArray& a, const NDArray& b);
NDArray& operator-=(NDArray& a, const NDArray& b);
NDArray& operator*=(NDArray& a, const NDArray& b);
NDArray& operator/=(NDArray& a, const NDArray& b);
NDArray& operator+=(NDArray& a, double b);
NDArray& operator-=(NDArray& a, double b);
NDArray& operator*=(NDArray& a, double b);
NDArray& operator/=(NDArray& a, double b);

}  // namespace mx
