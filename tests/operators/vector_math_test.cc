// The vectorized exponential against double-precision std::exp.
#include <cmath>
#include <limits>
#include <vector>

#include <mx/operators/vector_math.h>

#include "test_util.h"

using namespace mx;

TEST_CASE("exp_in_place is within 1e-7 of exp over float's range, with its limits and NaN", "[operators][math]") {
  std::vector<float> x;
  for (double v = -87.3; v < 88.7; v += 0.0137) x.push_back(static_cast<float>(v));
  x.push_back(0);
  x.push_back(-0.0f);
  const std::vector<float> in = x;
  op::exp_in_place(x.data(), static_cast<std::int64_t>(x.size()));  // 12,000-odd values: every tail length too
  double worst = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const double want = std::exp(static_cast<double>(in[i]));
    worst = std::max(worst, std::fabs(x[i] - want) / want);
  }
  CHECK(worst < 1e-7);
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> special = {-inf, -100, -87.4f, 88.8f, 100, inf, std::nanf(""), 1};
  op::exp_in_place(special.data(), static_cast<std::int64_t>(special.size()));
  CHECK(special[0] == 0);
  CHECK(special[1] == 0);
  CHECK(special[2] == 0);
  CHECK(special[3] == inf);
  CHECK(special[4] == inf);
  CHECK(special[5] == inf);
  CHECK(std::isnan(special[6]));
  CHECK(special[7] == Approx(std::exp(1.0)).epsilon(1e-7));
}
