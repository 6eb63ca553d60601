// Element types: MXNet's codes, NumPy's names, and 16-bit float conversions against IEEE bit patterns.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/dtype.h>
#include <mx/ndarray/error.h>

using namespace mx;
using Catch::Matchers::Contains;

TEST_CASE("dtypes have MXNet's codes, NumPy's names and their sizes", "[ndarray][dtype]") {
  CHECK(static_cast<int>(DType::kFloat32) == 0);
  CHECK(static_cast<int>(DType::kFloat16) == 2);
  CHECK(static_cast<int>(DType::kInt64) == 6);
  CHECK(static_cast<int>(DType::kBFloat16) == 12);
  CHECK(dtype_size(DType::kFloat64) == 8);
  CHECK(dtype_size(DType::kBFloat16) == 2);
  CHECK(dtype_size(DType::kBool) == 1);
  CHECK(std::string(dtype_name(DType::kUint8)) == "uint8");
  CHECK(dtype_from_name("bfloat16") == DType::kBFloat16);
  CHECK(dtype_from_code(4) == DType::kInt32);
  CHECK(is_floating(DType::kFloat16));
  CHECK_FALSE(is_floating(DType::kInt8));
  CHECK(dtype_of<std::int64_t>() == DType::kInt64);
  CHECK_THROWS_WITH(dtype_from_name("float128"), Contains("float128") && Contains("float32"));
  CHECK_THROWS_AS(dtype_from_code(9), DTypeError);
  CHECK(dispatch_dtype(DType::kFloat64, [](auto x) { return sizeof(x); }) == 8);
}

TEST_CASE("float16 rounds to nearest even, with IEEE binary16's bit patterns", "[ndarray][dtype]") {
  CHECK(float16(1.0f).bits == 0x3C00);
  CHECK(float16(-2.0f).bits == 0xC000);
  CHECK(float16(0.1f).bits == 0x2E66);
  CHECK(float16(65504.0f).bits == 0x7BFF);            // the largest finite half
  CHECK(float16(65519.0f).bits == 0x7BFF);            // below the midpoint to 65536
  CHECK(float16(65520.0f).bits == 0x7C00);            // the midpoint rounds to even: infinity
  CHECK(float16(std::ldexp(1.0f, -14)).bits == 0x0400);  // the smallest normal
  CHECK(float16(std::ldexp(1.0f, -24)).bits == 0x0001);  // the smallest subnormal
  CHECK(float16(std::ldexp(1.0f, -25)).bits == 0x0000);  // half of it: a tie, to even (zero)
  CHECK(float16(std::ldexp(1.5f, -25)).bits == 0x0001);
  CHECK(float16(std::ldexp(3.0f, -25)).bits == 0x0002);  // 1.5 units: a tie, to even (2)
  CHECK(float16(1.0f + std::ldexp(1.0f, -11)).bits == 0x3C00);  // a tie between 0x3C00 and 0x3C01: even
  CHECK(float16(1.0f + std::ldexp(3.0f, -11)).bits == 0x3C02);  // a tie between 0x3C01 and 0x3C02: even
  CHECK(float16(std::numeric_limits<float>::infinity()).bits == 0x7C00);
  CHECK(std::isnan(static_cast<float>(float16(std::numeric_limits<float>::quiet_NaN()))));
  CHECK(static_cast<float>(float16::from_bits(0x3555)) == 0.333251953125f);
  CHECK(static_cast<float>(float16::from_bits(0x8001)) == -std::ldexp(1.0f, -24));
}

TEST_CASE("every float16 survives a round trip through float", "[ndarray][dtype]") {
  for (std::uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const float16 h = float16::from_bits(static_cast<std::uint16_t>(bits));
    const float f = h;
    if (std::isnan(f)) continue;
    if (float16(f).bits != h.bits) FAIL("round trip changed " << bits);
  }
}

TEST_CASE("bfloat16 keeps float's exponent and rounds the mantissa to nearest even", "[ndarray][dtype]") {
  CHECK(bfloat16(1.0f).bits == 0x3F80);
  CHECK(bfloat16(-3.0f).bits == 0xC040);
  CHECK(bfloat16(1.0f + std::ldexp(1.0f, -8)).bits == 0x3F80);  // a tie: even
  CHECK(bfloat16(1.0f + std::ldexp(3.0f, -8)).bits == 0x3F82);  // a tie: even
  CHECK(bfloat16(1.0f + std::ldexp(1.0f, -7)).bits == 0x3F81);  // exact
  CHECK(static_cast<float>(bfloat16::from_bits(0x4049)) == 3.140625f);
  CHECK(std::isnan(static_cast<float>(bfloat16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("array conversions to and from the 16-bit floats round each element at every position", "[ndarray][dtype]") {
  // convert_values' loops run vectorized over whole vectors and one by one over the rest: each hand-checked
  // value goes to every position of a long array by starting the table at every offset.
  struct Case {
    float value;
    std::uint16_t half;
    float half_value;  // what those half bits are
    std::uint16_t bfloat;
  };
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Case> table = {
      {1.0f, 0x3C00, 1.0f, 0x3F80},
      {-2.0f, 0xC000, -2.0f, 0xC000},
      {-3.0f, 0xC200, -3.0f, 0xC040},
      {65504.0f, 0x7BFF, 65504.0f, 0x4780},                          // bfloat16: rounds up to 65536
      {65520.0f, 0x7C00, inf, 0x4780},                               // half: a tie, to even (infinity)
      {std::ldexp(1.0f, -24), 0x0001, std::ldexp(1.0f, -24), 0x3380},  // the smallest subnormal half
      {std::ldexp(1.0f, -25), 0x0000, 0.0f, 0x3300},                  // half: a tie, to even (zero)
      {std::ldexp(3.0f, -25), 0x0002, std::ldexp(1.0f, -23), 0x33C0},  // half: 1.5 units, to even (2)
      {1.0f + std::ldexp(1.0f, -8), 0x3C04, 1.0f + std::ldexp(1.0f, -8), 0x3F80},  // bfloat16: a tie, to even
      {1.0f + std::ldexp(3.0f, -8), 0x3C0C, 1.0f + std::ldexp(3.0f, -8), 0x3F82},  // bfloat16: a tie, to even
      {1.0f + std::ldexp(3.0f, -11), 0x3C02, 1.0f + std::ldexp(1.0f, -9), 0x3F80}, // half: a tie, to even
      {inf, 0x7C00, inf, 0x7F80},
      {-inf, 0xFC00, -inf, 0xFF80},
      {0.0f, 0x0000, 0.0f, 0x0000},
      {-0.0f, 0x8000, -0.0f, 0x8000},
  };
  const std::size_t n = 1000;
  const auto bits = [](float f) { return std::bit_cast<std::uint32_t>(f); };
  for (std::size_t offset = 0; offset < table.size(); ++offset) {
    const auto expected = [&](std::size_t i) -> const Case& { return table[(i + offset) % table.size()]; };
    std::vector<float> values(n), back(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = expected(i).value;
    std::vector<float16> halves(n);
    std::vector<bfloat16> bfloats(n);
    convert_values(values.data(), DType::kFloat32, halves.data(), DType::kFloat16, n);
    convert_values(values.data(), DType::kFloat32, bfloats.data(), DType::kBFloat16, n);
    for (std::size_t i = 0; i < n; ++i) {
      if (halves[i].bits != expected(i).half || bfloats[i].bits != expected(i).bfloat) {
        FAIL("element " << i << " (" << values[i] << "): half " << halves[i].bits << ", bfloat16 " << bfloats[i].bits);
      }
    }
    // Back to float, where every 16-bit value is exact: bfloat16's bits are float's top half.
    convert_values(bfloats.data(), DType::kBFloat16, back.data(), DType::kFloat32, n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t widened = static_cast<std::uint32_t>(expected(i).bfloat) << 16;
      if (bits(back[i]) != widened) FAIL("bfloat16 element " << i << ": " << back[i]);
    }
    convert_values(halves.data(), DType::kFloat16, back.data(), DType::kFloat32, n);
    for (std::size_t i = 0; i < n; ++i) {
      if (bits(back[i]) != bits(expected(i).half_value)) FAIL("half element " << i << ": " << back[i]);
    }
  }
  // NaN stays NaN both ways; bfloat16 makes it quiet.
  const std::vector<float> nans(40, std::numeric_limits<float>::quiet_NaN());
  std::vector<bfloat16> bfloats(nans.size());
  std::vector<float16> halves(nans.size());
  convert_values(nans.data(), DType::kFloat32, bfloats.data(), DType::kBFloat16, nans.size());
  convert_values(nans.data(), DType::kFloat32, halves.data(), DType::kFloat16, nans.size());
  for (std::size_t i = 0; i < nans.size(); ++i) {
    CHECK((bfloats[i].bits & 0x7FC0) == 0x7FC0);
    CHECK((halves[i].bits & 0x7C00) == 0x7C00);
    CHECK((halves[i].bits & 0x03FF) != 0);
  }
}
