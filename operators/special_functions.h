#pragma once
// Special functions the C++ library lacks (erfinv, digamma, trigamma) and a thread-safe lgamma. Private to
// operators/; double precision throughout.
#include <cmath>
#include <limits>
#include <numbers>

namespace mx::op::special {

// The inverse of erf on (-1, 1): Giles' single-precision approximation, then two Newton steps on std::erf.
inline double erfinv(double x) {
  if (x <= -1) return x == -1 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (x >= 1) return x == 1 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  double w = -std::log((1.0 - x) * (1.0 + x)), p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                     -0.00417768164, 0.246640727, 1.50140941}) {
      p = c + p * w;
    }
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                     1.00167406, 2.83297682}) {
      p = c + p * w;
    }
  }
  double y = p * x;
  for (int i = 0; i < 2; ++i) {
    y -= (std::erf(y) - x) / (2.0 / std::sqrt(std::numbers::pi) * std::exp(-y * y));
  }
  return y;
}

// log|Gamma(x)| without glibc's global signgam, which lgamma writes (a data race between workers).
inline double lgamma(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// psi(x) = d/dx log Gamma(x): reflection below 0, recurrence up to 10 (12), then the asymptotic series: about 1e-14 relative.
inline double digamma(double x) {
  if (x <= 0 && x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
  double result = 0;
  if (x < 0) {  // psi(x) = psi(1 - x) - pi / tan(pi x)
    result = -std::numbers::pi / std::tan(std::numbers::pi * x);
    x = 1 - x;
  }
  for (; x < 10; x += 1) result -= 1 / x;
  const double inv2 = 1 / (x * x);
  result += std::log(x) - 0.5 / x -
            inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))));
  return result;
}

// psi'(x): reflection below 0, recurrence up to 10 (12), then the asymptotic series: about 1e-14 relative.
inline double trigamma(double x) {
  if (x <= 0 && x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x < 0) {  // psi1(x) + psi1(1 - x) = pi^2 / sin^2(pi x)
    const double s = std::sin(std::numbers::pi * x);
    return std::numbers::pi * std::numbers::pi / (s * s) - trigamma(1 - x);
  }
  double result = 0;
  for (; x < 12; x += 1) result += 1 / (x * x);
  const double inv = 1 / x, inv2 = inv * inv;
  result += inv + inv2 / 2 + inv * inv2 * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 / 30)));
  return result;
}

}  // namespace mx::op::special
