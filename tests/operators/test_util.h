#pragma once
// Helpers for operator tests: host values of an array, compared with tolerance.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include <mx/mx.h>

namespace mx::test {

inline std::vector<double> values(const NDArray& a) { return a.asnumpy<double>(); }

// Checks `a` has `shape` and `expected` values within `tolerance` (relative, and absolute near zero).
inline void check_array(const NDArray& a, const Shape& shape, const std::vector<double>& expected,
                        double tolerance = 1e-6) {
  REQUIRE(a.shape() == shape);
  const std::vector<double> got = values(a);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(got[i]));
    } else {
      CHECK(got[i] == Approx(expected[i]).epsilon(tolerance).margin(tolerance));
    }
  }
}

}  // namespace mx::test
