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
NDArray fmod(const NDArray& a, const NDArray& b);    // the sign of a, as C's and PyTorch's
NDArray fmod(const NDArray& a, double b);
NDArray power(const NDArray& a, const NDArray& b);
NDArray maximum(const NDArray& a, const NDArray& b);
NDArray minimum(const NDArray& a, const NDArray& b);
NDArray equal(const NDArray& a, const NDArray& b);
NDArray not_equal(const NDArray& a, const NDArray& b);
NDArray greater(const NDArray& a, const NDArray& b);
NDArray greater_equal(const NDArray& a, const NDArray& b);
NDArray lesser(const NDArray& a, const NDArray& b);
NDArray lesser_equal(const NDArray& a, const NDArray& b);
NDArray hypot(const NDArray& a, const NDArray& b);   // sqrt(a^2 + b^2) without overflow
NDArray atan2(const NDArray& a, const NDArray& b);   // the angle of the point (b, a), in (-pi, pi]
NDArray arctan2(const NDArray& a, const NDArray& b); // NumPy's name for atan2
// 1 or 0 in the inputs' dtype; any nonzero value counts as true.
NDArray logical_and(const NDArray& a, const NDArray& b);
NDArray logical_or(const NDArray& a, const NDArray& b);
NDArray logical_xor(const NDArray& a, const NDArray& b);
// Integer and bool arrays only (mx::DTypeError for floating ones).
NDArray bitwise_and(const NDArray& a, const NDArray& b);
NDArray bitwise_or(const NDArray& a, const NDArray& b);
NDArray bitwise_xor(const NDArray& a, const NDArray& b);
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
// Trigonometric and hyperbolic functions and their inverses; degrees and radians convert angles.
NDArray tan(const NDArray& x);
NDArray arcsin(const NDArray& x);
NDArray arccos(const NDArray& x);
NDArray arctan(const NDArray& x);
NDArray sinh(const NDArray& x);
NDArray cosh(const NDArray& x);
NDArray arcsinh(const NDArray& x);
NDArray arccosh(const NDArray& x);
NDArray arctanh(const NDArray& x);
NDArray degrees(const NDArray& x);
NDArray radians(const NDArray& x);
// Roots and logarithms.
NDArray cbrt(const NDArray& x);
NDArray rcbrt(const NDArray& x);  // 1 / cbrt(x)
NDArray expm1(const NDArray& x);  // exp(x) - 1, accurate near 0
NDArray log1p(const NDArray& x);  // log(1 + x), accurate near 0
NDArray log2(const NDArray& x);
NDArray log10(const NDArray& x);
// Rounding: round takes halves away from zero, rint to even; fix and trunc go toward zero.
NDArray round(const NDArray& x);
NDArray rint(const NDArray& x);
NDArray fix(const NDArray& x);
NDArray trunc(const NDArray& x);
// Special functions: erf and its inverse, Gamma, log|Gamma|, and its first two derivatives.
NDArray erf(const NDArray& x);
NDArray erfinv(const NDArray& x);
NDArray gamma(const NDArray& x);
NDArray gammaln(const NDArray& x);
NDArray digamma(const NDArray& x);
NDArray trigamma(const NDArray& x);

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
