// DeformableConvolution and its modulated form: fractional samples worked out by hand, zero offsets against
// Convolution, masks, the symbol form, and the errors. Gradients: tests/autograd/gradient_check_test.cc.
#include <catch2/catch.hpp>

#include <mx/mx.h>
#include <mx/operators/symbolic.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace contrib = nd::contrib;

namespace {
// 1 x 1 x 3 x 3 image x[r][c] = 3 r + c; a 1 x 1 kernel of weight 1; every sample moved by (0.5, 0.25).
NDArray deform_image() { return nd::arange(9).reshape({1, 1, 3, 3}); }
NDArray shifted() {
  const NDArray rows = nd::full({1, 1, 3, 3}, 0.5), cols = nd::full({1, 1, 3, 3}, 0.25);
  return nd::concat({rows, cols}, 1);
}
}  // namespace

TEST_CASE("DeformableConvolution samples bilinearly at the offsets, zero outside the image", "[operators][deformable]") {
  const NDArray out = contrib::DeformableConvolution(deform_image(), shifted(), nd::ones({1, 1, 1, 1}), std::nullopt, {{1, 1}}, 1);
  // Inside, the plane 3 (y + 0.5) + x + 0.25; on the last row half the sample falls on row 3 (zero), on the last
  // column a quarter on column 3: 0.5 (0.75 (6 + x) + 0.25 (7 + x)), 0.75 (3 y + 3.5), and 0.5 * 0.75 * 8.
  test::check_array(out, {1, 1, 3, 3}, {1.75, 2.75, 2.625, 4.75, 5.75, 4.875, 3.125, 3.625, 3}, 1e-6);
  // Samples at or beyond a row past the image take nothing.
  const NDArray away = nd::concat({nd::full({1, 1, 3, 3}, -5.0), nd::zeros({1, 1, 3, 3})}, 1);
  test::check_array(contrib::DeformableConvolution(deform_image(), away, nd::ones({1, 1, 1, 1}), std::nullopt, {{1, 1}}, 1),
                    {1, 1, 3, 3}, std::vector<double>(9, 0.0), 0);
}

TEST_CASE("DeformableConvolution with zero offsets is Convolution, groups, bias and strides alike", "[operators][deformable]") {
  const NDArray x = nd::random::uniform(-1, 1, {2, 4, 7, 6}, cpu(), DType::kFloat64);
  const NDArray w = nd::random::uniform(-1, 1, {6, 2, 3, 2}, cpu(), DType::kFloat64);
  const NDArray b = nd::random::uniform(-1, 1, {6}, cpu(), DType::kFloat64);
  const nd::ConvShape shape{{3, 2}, {2, 1}, {1, 2}, {1, 1}};
  const NDArray expected = nd::Convolution(x, w, b, shape, 6, 2);
  // 2 deformable groups x 6 taps x (row, column) offsets over the 4 x 5 output.
  const NDArray zero = nd::zeros({2, 24, expected.shape()[2], expected.shape()[3]}, cpu(), DType::kFloat64);
  const NDArray got = contrib::DeformableConvolution(x, zero, w, b, shape, 6, 2, 2);
  REQUIRE(got.shape() == expected.shape());
  test::check_array(got, expected.shape(), expected.asnumpy<double>(), 1e-12);
  // A mask of one half halves the convolution without its bias.
  const NDArray half = nd::full({2, 12, expected.shape()[2], expected.shape()[3]}, 0.5, cpu(), DType::kFloat64);
  const NDArray modulated = contrib::ModulatedDeformableConvolution(x, zero, half, w, std::nullopt, shape, 6, 2, 2);
  test::check_array(modulated, expected.shape(), (nd::Convolution(x, w, std::nullopt, shape, 6, 2) * 0.5).asnumpy<double>(), 1e-12);
}

TEST_CASE("DeformableConvolution is called by its MXNet name and attributes", "[operators][deformable]") {
  const NDArray direct = contrib::DeformableConvolution(deform_image(), shifted(), nd::ones({1, 1, 1, 1}), std::nullopt, {{1, 1}}, 1);
  const NDArray by_name = op::call_symbol_op("_contrib_DeformableConvolution", {{"kernel", "(1, 1)"}, {"num_filter", "1"}, {"no_bias", "True"}},
                                             std::vector<NDArray>{deform_image(), shifted(), nd::ones({1, 1, 1, 1})})
                              .at(0);
  CHECK(by_name.asnumpy<double>() == direct.asnumpy<double>());
  const NDArray mask = nd::ones({1, 1, 3, 3});
  const NDArray modulated = op::call_symbol_op("_contrib_ModulatedDeformableConvolution",
                                               {{"kernel", "(1, 1)"}, {"num_filter", "1"}, {"no_bias", "True"}},
                                               std::vector<NDArray>{deform_image(), shifted(), mask, nd::ones({1, 1, 1, 1})})
                                .at(0);
  CHECK(modulated.asnumpy<double>() == direct.asnumpy<double>());
}

TEST_CASE("DeformableConvolution refuses offsets, masks and weights that do not fit", "[operators][deformable]") {
  const NDArray w = nd::ones({1, 1, 1, 1});
  CHECK_THROWS_WITH(contrib::DeformableConvolution(deform_image(), nd::zeros({1, 2, 2, 2}), w, std::nullopt, {{1, 1}}, 1),
                    Contains("offset must be (1, 2, 3, 3)"));
  CHECK_THROWS_WITH(contrib::ModulatedDeformableConvolution(deform_image(), shifted(), nd::ones({1, 2, 3, 3}), w, std::nullopt, {{1, 1}}, 1),
                    Contains("mask must be (1, 1, 3, 3)"));
  CHECK_THROWS_WITH(contrib::DeformableConvolution(deform_image(), shifted(), nd::ones({1, 1, 2, 2}), std::nullopt, {{1, 1}}, 1),
                    Contains("weight must be (1, 1, 1, 1)"));
  CHECK_THROWS_WITH(contrib::DeformableConvolution(deform_image(), shifted(), w, std::nullopt, {{1}}, 1), Contains("two extents"));
  CHECK_THROWS_WITH(contrib::DeformableConvolution(deform_image(), shifted(), w, std::nullopt, {{1, 1}}, 1, 1, 2),
                    Contains("2 deformable groups must divide 1 channels"));
}
