// Element types: MXNet's codes, NumPy's names, and 16-bit float conversions against IEEE bit patterns.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

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
