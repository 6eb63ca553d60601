// The detection operators against boxes worked out by hand: IoU in both formats (and its gradient by finite
// differences), non-maximum suppression's order, classes, thresholds and formats, and boolean masks.
#include <catch2/catch.hpp>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace contrib = nd::contrib;

TEST_CASE("box_iou of every pair of boxes, corner and center formats", "[operators][detection]") {
  // a = (0, 0, 2, 2) against (1, 1, 3, 3): intersection 1, union 4 + 4 - 1; against (2, 2, 3, 3): touching, 0;
  // against itself 1. b = (0, 0, 1, 4) touches the first two, and meets (0, 0, 2, 2) in 2: union 4 + 4 - 2.
  const NDArray lhs = nd::array({0.0f, 0, 2, 2, 0, 0, 1, 4}, Shape{2, 4});
  const NDArray rhs = nd::array({1.0f, 1, 3, 3, 2, 2, 3, 3, 0, 0, 2, 2}, Shape{3, 4});
  test::check_array(contrib::box_iou(lhs, rhs), {2, 3}, {1.0 / 7, 0, 1, 0, 0, 2.0 / 6}, 1e-6);
  // The same boxes as (x, y, width, height).
  const NDArray lhs_center = nd::array({1.0f, 1, 2, 2, 0.5f, 2, 1, 4}, Shape{1, 2, 4});
  const NDArray rhs_center = nd::array({2.0f, 2, 2, 2, 2.5f, 2.5f, 1, 1, 1, 1, 2, 2}, Shape{3, 4});
  test::check_array(contrib::box_iou(lhs_center, rhs_center, "center"), {1, 2, 3}, {1.0 / 7, 0, 1, 0, 0, 2.0 / 6}, 1e-6);
  // Two empty boxes overlap by 0, not NaN.
  CHECK(contrib::box_iou(nd::zeros({1, 4}), nd::zeros({1, 4})).asnumpy<float>() == std::vector<float>{0});
  CHECK_THROWS_WITH(contrib::box_iou(nd::zeros({2, 3}), rhs), Contains("box_iou") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(contrib::box_iou(lhs, rhs, "xywh"), Contains("xywh"));
}

TEST_CASE("box_iou's gradient matches finite differences", "[operators][detection]") {
  // No two compared coordinates are equal: IoU has kinks there.
  NDArray a = nd::array(std::vector<double>{0.1, 0.2, 2.0, 2.3, 1.2, 0.5, 2.5, 3.0}, Shape{2, 4}, cpu(), DType::kFloat64);
  const NDArray b = nd::array(std::vector<double>{1.0, 1.1, 3.0, 3.2, 0.0, 0.0, 1.5, 1.5}, Shape{2, 4}, cpu(), DType::kFloat64);
  const NDArray weights = nd::array(std::vector<double>{1.0, -2.0, 0.5, 3.0}, Shape{2, 2}, cpu(), DType::kFloat64);
  a.attach_grad();
  {
    autograd::record r;
    (contrib::box_iou(a, b) * weights).sum().backward();
  }
  const std::vector<double> grad = a.grad().asnumpy<double>();
  std::vector<double> values = a.asnumpy<double>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto loss_at = [&](double delta) {
      std::vector<double> v = values;
      v[i] += delta;
      return (contrib::box_iou(nd::array(v, Shape{2, 4}, cpu(), DType::kFloat64), b) * weights).sum().asscalar<double>();
    };
    CHECK(grad[i] == Approx((loss_at(1e-6) - loss_at(-1e-6)) / 2e-6).margin(1e-6));
  }
}

TEST_CASE("box_nms keeps the best box of each overlapping group, by class, best first", "[operators][detection]") {
  // Rows [class, score, x1, y1, x2, y2], in no order: the 0.8 box overlaps the 0.9 one of its class by
  // 3.61 / 4 (suppressed); the class-1 box lies on it too but is another class; the 0.05 box is below
  // valid_thresh.
  const std::vector<float> rows = {1, 0.7f, 0, 0, 2, 2,  0, 0.8f, 0.1f, 0.1f, 2, 2,
                                   0, 0.05f, 5, 5, 6, 6,  0, 0.9f, 0, 0, 2, 2};
  const NDArray data = nd::array(rows, Shape{1, 4, 6});
  const std::vector<float> best = {0, 0.9f, 0, 0, 2, 2}, other_class = {1, 0.7f, 0, 0, 2, 2}, none(6, -1);
  auto joined = [](std::initializer_list<std::vector<float>> parts) {
    std::vector<float> all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    return all;
  };
  contrib::BoxNmsOptions by_class{.valid_thresh = 0.1, .id_index = 0};
  CHECK(contrib::box_nms(data, by_class).asnumpy<float>() == joined({best, other_class, none, none}));
  contrib::BoxNmsOptions forced = by_class;
  forced.force_suppress = true;
  CHECK(contrib::box_nms(data, forced).asnumpy<float>() == joined({best, none, none, none}));
  contrib::BoxNmsOptions top = by_class;
  top.topk = 1;
  CHECK(contrib::box_nms(data, top).asnumpy<float>() == joined({best, none, none, none}));
  contrib::BoxNmsOptions background = by_class;
  background.background_id = 1;
  CHECK(contrib::box_nms(data, background).asnumpy<float>() == joined({best, none, none, none}));
  // No thresholds: the low box survives, last; the output in center format.
  contrib::BoxNmsOptions center{.id_index = 0, .out_format = "center"};
  CHECK(contrib::box_nms(data, center).asnumpy<float>() ==
        joined({{0, 0.9f, 1, 1, 2, 2}, {1, 0.7f, 1, 1, 2, 2}, {0, 0.05f, 5.5f, 5.5f, 1, 1}, none}));
  CHECK_THROWS_WITH(contrib::box_nms(nd::zeros({4, 5}), {}), Contains("box_nms") && Contains("(4, 5)"));
}

TEST_CASE("boolean_mask keeps the slices whose index is nonzero, and passes gradients back to them", "[operators][detection]") {
  NDArray data = nd::array({1.0f, 2, 3, 4, 5, 6}, Shape{3, 2});
  CHECK(contrib::boolean_mask(data, nd::array({0.0f, 1, 1}, Shape{3})).asnumpy<float>() == std::vector<float>{3, 4, 5, 6});
  test::check_array(contrib::boolean_mask(data, nd::array({1.0f, 0}, Shape{2}), 1), {3, 1}, {1, 3, 5});
  CHECK(contrib::boolean_mask(data, nd::zeros({3})).shape() == Shape{0, 2});
  data.attach_grad();
  {
    autograd::record r;
    (contrib::boolean_mask(data, nd::array({1.0f, 0, 1}, Shape{3})) * 2.0).sum().backward();
  }
  CHECK(data.grad().asnumpy<float>() == std::vector<float>{2, 2, 0, 0, 2, 2});
  CHECK_THROWS_WITH(contrib::boolean_mask(data, nd::ones({2})), Contains("boolean_mask") && Contains("(3,)"));
}

TEST_CASE("ROIAlign averages bilinear samples per bin, aligned or not, position-sensitive or not", "[operators][detection]") {
  // data[y][x] = 4 y + x: bilinear sampling of a linear map is exact, so each bin is 4 cy + cx at its centre.
  const NDArray data = nd::arange(0, 16).reshape({1, 1, 4, 4});
  const NDArray roi = nd::array({0.0f, 0.5f, 0.5f, 2.5f, 2.5f}, Shape{1, 5});
  // Bins of 1 pixel from 0.5: centres 1 and 2.
  test::check_array(contrib::ROIAlign(data, roi, {.pooled_size = {2, 2}, .sample_ratio = 2}), {1, 1, 2, 2}, {5, 6, 9, 10});
  // aligned: half a pixel back, centres 0.5 and 1.5.
  test::check_array(contrib::ROIAlign(data, roi, {.pooled_size = {2, 2}, .sample_ratio = 2, .aligned = true}), {1, 1, 2, 2},
                    {2.5, 3.5, 6.5, 7.5});
  // spatial_scale 0.5 on a region given at twice the size; automatic sample counts.
  const NDArray doubled = nd::array({0.0f, 1, 1, 5, 5}, Shape{1, 5});
  test::check_array(contrib::ROIAlign(data, doubled, {.pooled_size = {2, 2}, .spatial_scale = 0.5}), {1, 1, 2, 2}, {5, 6, 9, 10});
  // Position-sensitive: channel c of 4 is the constant c + 1, and bin (i, j) reads channel 2 i + j.
  const NDArray constant_maps = nd::tile(nd::arange(1, 5).reshape({1, 4, 1, 1}), {1, 1, 2, 2});
  test::check_array(contrib::ROIAlign(constant_maps, nd::array({0.0f, 0, 0, 1, 1}, Shape{1, 5}),
                                      {.pooled_size = {2, 2}, .position_sensitive = true}),
                    {1, 1, 2, 2}, {1, 2, 3, 4});
  CHECK_THROWS_WITH(contrib::ROIAlign(data, nd::zeros({1, 4}), {.pooled_size = {2, 2}}), Contains("ROIAlign") && Contains("(1, 4)"));
  CHECK_THROWS_WITH(contrib::ROIAlign(data, roi, {.pooled_size = {2}}), Contains("pooled_size"));
  CHECK_THROWS_WITH(contrib::ROIAlign(constant_maps, roi, {.pooled_size = {3, 3}, .position_sensitive = true}),
                    Contains("divisible"));
  CHECK_THROWS_WITH(contrib::ROIAlign(data, nd::array({3.0f, 0, 0, 1, 1}, Shape{1, 5}), {.pooled_size = {1, 1}}).wait_to_read(),
                    Contains("batch image 3"));
}

TEST_CASE("ROIAlign's gradient matches finite differences", "[operators][detection]") {
  random::seed(21);
  NDArray data = nd::random::uniform(-1, 1, {2, 3, 5, 6}, cpu(), DType::kFloat64);
  // Regions with fractional corners, one reaching past the right edge (clamped samples) and one on image 1.
  const NDArray rois = nd::array(std::vector<double>{0, 0.3, 0.7, 4.1, 3.9, 1, 2.2, 1.4, 6.6, 4.8}, Shape{2, 5}, cpu(),
                                 DType::kFloat64);
  for (const bool aligned : {false, true}) {
    INFO("aligned " << aligned);
    const contrib::ROIAlignOptions options{.pooled_size = {2, 3}, .sample_ratio = 2, .aligned = aligned};
    const NDArray weights = nd::random::uniform(-1, 1, {2, 3, 2, 3}, cpu(), DType::kFloat64);
    data.attach_grad();
    {
      autograd::record r;
      (contrib::ROIAlign(data, rois, options) * weights).sum().backward();
    }
    const std::vector<double> grad = data.grad().asnumpy<double>();
    const std::vector<double> values = data.asnumpy<double>();
    for (std::size_t i = 0; i < values.size(); i += 7) {
      auto loss_at = [&](double delta) {
        std::vector<double> v = values;
        v[i] += delta;
        return (contrib::ROIAlign(nd::array(v, data.shape(), cpu(), DType::kFloat64), rois, options) * weights).sum().asscalar<double>();
      };
      CHECK(grad[i] == Approx((loss_at(1e-6) - loss_at(-1e-6)) / 2e-6).margin(1e-8));
    }
  }
}

TEST_CASE("ROIPooling takes each bin's maximum over whole pixels, and its gradient goes there", "[operators][detection]") {
  NDArray data = nd::arange(0, 16).reshape({1, 1, 4, 4});  // 4 y + x: each bin's maximum is its bottom-right pixel
  const NDArray rois = nd::array({0.0f, 0, 0, 3, 3, 0, 1, 1, 2, 2, 0, 5, 5, 7, 7}, Shape{3, 5});
  // The whole map in 2 x 2 bins; pixels (1..2, 1..2) one per bin; a region past the map: empty bins, 0.
  test::check_array(nd::contrib::ROIPooling(data, rois, {2, 2}, 1.0), {3, 1, 2, 2}, {5, 7, 13, 15, 5, 6, 9, 10, 0, 0, 0, 0});
  // spatial_scale: coordinates given at twice the size, rounded after scaling.
  test::check_array(nd::contrib::ROIPooling(data, nd::array({0.0f, 0, 0, 6, 6}, Shape{1, 5}), {2, 2}, 0.5), {1, 1, 2, 2},
                    {5, 7, 13, 15});
  data.attach_grad();
  {
    autograd::record r;
    nd::contrib::ROIPooling(data, rois, {2, 2}, 1.0).sum().backward();
  }
  // The first two regions' maxima: 5 twice (both regions), 6, 7, 9, 10, 13, 15 once.
  std::vector<float> expected(16, 0);
  for (int at : {5, 5, 7, 13, 15, 6, 9, 10}) expected[static_cast<std::size_t>(at)] += 1;
  CHECK(data.grad().asnumpy<float>() == expected);
  CHECK_THROWS_WITH(nd::contrib::ROIPooling(data, rois, {2, 2}, 0), Contains("spatial_scale"));
}

TEST_CASE("MultiBoxPrior lays SSD's anchors over every position of the map", "[operators][detection]") {
  // A 2 x 2 map: centres 0.25 and 0.75. At (0.25, 0.25): size 0.5 -> half 0.25; size 0.25 -> half 0.125; ratio 4
  // at size 0.5 -> half width 0.5 * 2 / 2, half height 0.5 / 2 / 2.
  const NDArray anchors = nd::contrib::MultiBoxPrior(nd::zeros({1, 3, 2, 2}), {.sizes = {0.5, 0.25}, .ratios = {1, 4}});
  REQUIRE(anchors.shape() == Shape{1, 12, 4});
  const std::vector<float> values = anchors.asnumpy<float>();
  const std::vector<float> first(values.begin(), values.begin() + 12);
  CHECK(first == std::vector<float>{0, 0, 0.5f, 0.5f, 0.125f, 0.125f, 0.375f, 0.375f, -0.25f, 0.125f, 0.75f, 0.375f});
  // The last position (0.75, 0.75), its last box, clipped to [0, 1].
  const NDArray clipped = nd::contrib::MultiBoxPrior(nd::zeros({1, 3, 2, 2}), {.sizes = {0.5, 0.25}, .ratios = {1, 4}, .clip = true});
  const std::vector<float> all = clipped.asnumpy<float>();
  CHECK(std::vector<float>(all.end() - 4, all.end()) == std::vector<float>{0.25f, 0.625f, 1, 0.875f});
  // A map twice as wide as high halves the widths (MXNet's H / W factor); steps and offsets as given.
  const NDArray wide = nd::contrib::MultiBoxPrior(nd::zeros({1, 1, 2, 4}), {.sizes = {0.5}, .steps = {0.5, 0.25}, .offsets = {0, 0}});
  CHECK(wide.shape() == Shape{1, 8, 4});
  const std::vector<float> wide_values = wide.asnumpy<float>();
  CHECK(std::vector<float>(wide_values.begin(), wide_values.begin() + 8) ==
        std::vector<float>{-0.125f, -0.25f, 0.125f, 0.25f, 0.125f, -0.25f, 0.375f, 0.25f});
  CHECK_THROWS_WITH(nd::contrib::MultiBoxPrior(nd::zeros({1, 3, 2, 2}), {.sizes = {}}), Contains("sizes"));
}

TEST_CASE("bipartite_matching pairs rows and columns greedily, best score first", "[operators][detection]") {
  // MXNet's example: 0.6 pairs row 0 with column 1, 0.5 and 0.4 meet a taken row or column, 0.3 pairs 2 with 0.
  const NDArray scores = nd::array({0.5f, 0.6f, 0.1f, 0.2f, 0.3f, 0.4f}, Shape{3, 2});
  auto [rows, cols] = nd::contrib::bipartite_matching(scores, 1e-12);
  CHECK(rows.asnumpy<float>() == std::vector<float>{1, -1, 0});
  CHECK(cols.asnumpy<float>() == std::vector<float>{2, 0});
  // topk 1: only the best pair; a threshold of 0.35: the 0.3 pair is refused.
  CHECK(nd::contrib::bipartite_matching(scores, 1e-12, false, 1).row_match.asnumpy<float>() == std::vector<float>{1, -1, -1});
  CHECK(nd::contrib::bipartite_matching(scores, 0.35).row_match.asnumpy<float>() == std::vector<float>{1, -1, -1});
  // Ascending (costs): 0.1 pairs row 1 with column 0, then 0.4 (row 2, column 1); in a batch of two, alike.
  auto [rows_up, cols_up] = nd::contrib::bipartite_matching(nd::stack({scores, scores}), 10, /*is_ascend=*/true);
  CHECK(rows_up.shape() == Shape{2, 3});
  CHECK(rows_up.asnumpy<float>() == std::vector<float>{-1, 0, 1, -1, 0, 1});
  CHECK(cols_up.asnumpy<float>() == std::vector<float>{1, 2, 1, 2});
}

TEST_CASE("box_decode applies offsets to anchors in either format, with stds and a clip", "[operators][detection]") {
  // Anchor centre (0.5, 0.5), size (0.2, 0.4); offsets (1, -1, ln 2, 0) with stds (0.1, 0.1, 0.2, 0.2): centre
  // (0.5 + 0.1 * 0.2, 0.5 - 0.1 * 0.4) = (0.52, 0.46), width 0.2 * 2^0.2, height 0.4.
  const NDArray offsets = nd::array(std::vector<double>{1, -1, std::log(2.0), 0}, Shape{1, 1, 4}, cpu(), DType::kFloat64);
  const NDArray center = nd::array(std::vector<double>{0.5, 0.5, 0.2, 0.4}, Shape{1, 1, 4}, cpu(), DType::kFloat64);
  const NDArray corner = nd::array(std::vector<double>{0.4, 0.3, 0.6, 0.7}, Shape{1, 1, 4}, cpu(), DType::kFloat64);
  const double half_w = 0.1 * std::pow(2.0, 0.2);
  const std::vector<double> expected = {0.52 - half_w, 0.26, 0.52 + half_w, 0.66};
  test::check_array(nd::contrib::box_decode(offsets, center, {0.1, 0.1, 0.2, 0.2}), {1, 1, 4}, expected, 1e-12);
  test::check_array(nd::contrib::box_decode(offsets, corner, {0.1, 0.1, 0.2, 0.2}, -1, "corner"), {1, 1, 4}, expected, 1e-12);
  // clip 0.1 caps 0.2 ln 2 = 0.139: half width 0.1 e^0.1.
  const double clipped = 0.1 * std::exp(0.1);
  test::check_array(nd::contrib::box_decode(offsets, center, {0.1, 0.1, 0.2, 0.2}, 0.1), {1, 1, 4},
                    {0.52 - clipped, 0.26, 0.52 + clipped, 0.66}, 1e-12);
  CHECK_THROWS_WITH(nd::contrib::box_decode(offsets, nd::zeros({1, 2, 4}, cpu(), DType::kFloat64)), Contains("box_decode"));
}

TEST_CASE("MultiBoxDetection decodes each anchor's best class and box, then suppresses overlaps", "[operators][detection]") {
  // Anchors a0 and a1 overlap by 0.036 / 0.044; a2 stands apart. Classes: background, then two.
  const NDArray anchors = nd::array({0.1f, 0.1f, 0.3f, 0.3f, 0.12f, 0.1f, 0.32f, 0.3f, 0.6f, 0.6f, 0.8f, 0.8f}, Shape{1, 3, 4});
  const NDArray prob = nd::array({0.1f, 0.2f, 0.9f,     // background
                                  0.7f, 0.6f, 0.05f,    // class 1 (row class 0)
                                  0.2f, 0.2f, 0.05f},   // class 2
                                 Shape{1, 3, 3});
  // a2 moved right by one variance unit of its width: centre 0.7 + 0.1 * 0.2.
  const NDArray loc = nd::array({0.0f, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, Shape{1, 12});
  const NDArray out = nd::contrib::MultiBoxDetection(prob, loc, anchors);
  REQUIRE(out.shape() == Shape{1, 3, 6});
  // Best first: a0 (0.7), a1 (0.6, suppressed by a0: class -1, its row kept), a2 (0.05, class 1 tied with 2: the first).
  test::check_array(out, {1, 3, 6}, {0, 0.7, 0.1, 0.1, 0.3, 0.3, -1, 0.6, 0.12, 0.1, 0.32, 0.3, 0, 0.05, 0.62, 0.6, 0.82, 0.8},
                    1e-6);
  // A threshold of 0.1 drops a2; without NMS (nms_threshold 0) a1 keeps its class, anchor order kept.
  test::check_array(nd::contrib::MultiBoxDetection(prob, loc, anchors, {.threshold = 0.1, .nms_threshold = 0}), {1, 3, 6},
                    {0, 0.7, 0.1, 0.1, 0.3, 0.3, 0, 0.6, 0.12, 0.1, 0.32, 0.3, -1, -1, -1, -1, -1, -1}, 1e-6);
  // Clipped to [0, 1]: a2 made four times wider (dw = ln 4 / 0.2) reaches past 1.
  const NDArray wide = nd::array({0.0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<float>(std::log(4.0) / 0.2), 0}, Shape{1, 12});
  const std::vector<float> clipped = nd::contrib::MultiBoxDetection(prob, wide, anchors).asnumpy<float>();
  CHECK(clipped[14] == Approx(0.3f));
  CHECK(clipped[16] == 1.0f);
  CHECK_THROWS_WITH(nd::contrib::MultiBoxDetection(prob, nd::zeros({1, 8}), anchors), Contains("MultiBoxDetection"));
}

TEST_CASE("box_encode makes box_decode's targets for positive anchors and masks the rest", "[operators][detection]") {
  // a0 (0, 0, 2, 2): centre (1, 1), size 2 x 2, matched to g0 (0.5, 0, 2.5, 4): centre (1.5, 2), size 2 x 4. By hand
  // with stds (0.1, 0.1, 0.2, 0.2): (0.25 / 0.1, 0.5 / 0.1, log 1 / 0.2, log 2 / 0.2). a1 is not a positive.
  const NDArray anchors = nd::array(std::vector<double>{0, 0, 2, 2, 1, 1, 2, 2}, Shape{1, 2, 4}, cpu(), DType::kFloat64);
  const NDArray refs = nd::array(std::vector<double>{0.5, 0, 2.5, 4, 0, 0, 1, 1}, Shape{1, 2, 4}, cpu(), DType::kFloat64);
  const NDArray samples = nd::array({1.0f, 0.0f}, Shape{1, 2}), matches = nd::array({0.0f, 1.0f}, Shape{1, 2});
  const auto [targets, masks] = nd::contrib::box_encode(samples, matches, anchors, refs);
  test::check_array(targets, {1, 2, 4}, {2.5, 5, 0, std::log(2.0) / 0.2, 0, 0, 0, 0}, 1e-12);
  CHECK(masks.asnumpy<double>() == std::vector<double>{1, 1, 1, 1, 0, 0, 0, 0});
  // Decoding the positive's target on its anchor gives its reference back.
  const NDArray decoded = nd::contrib::box_decode(targets, anchors, {0.1, 0.1, 0.2, 0.2}, -1, "corner");
  test::check_array(nd::slice_axis(decoded, 1, 0, 1), {1, 1, 4}, {0.5, 0, 2.5, 4}, 1e-12);
  CHECK_THROWS_WITH(nd::contrib::box_encode(samples, matches, anchors, nd::zeros({1, 2, 3}, cpu(), DType::kFloat64)),
                    Contains("box_encode"));
}

namespace {
// Four anchors: a0 (0, 0, 0.5, 0.5), a1 (0.5, 0.5, 1, 1), a2 (0, 0, 0.4, 0.6), a3 (0.6, 0, 1, 0.4).
NDArray multibox_anchors() {
  return nd::array(std::vector<double>{0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 0, 0, 0.4, 0.6, 0.6, 0, 1, 0.4}, Shape{1, 4, 4},
                   cpu(), DType::kFloat64);
}
}  // namespace

TEST_CASE("MultiBoxTarget matches anchors to ground truth and encodes their offsets", "[operators][detection]") {
  // Image 0: g0 of class 2 is a0 exactly (IoU 1); a2 overlaps it by 0.2 / 0.29 = 0.69 > 0.5, so it is a positive
  // too; a1 and a3 touch nothing: background. Its second row is padding. Image 1 has no ground truth at all.
  const NDArray labels = nd::array(std::vector<double>{2, 0, 0, 0.5, 0.5, -1, -1, -1, -1, -1,  //
                                                       -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
                                   Shape{2, 2, 5}, cpu(), DType::kFloat64);
  const NDArray preds = nd::zeros({2, 3, 4}, cpu(), DType::kFloat64);
  const auto [loc, mask, cls] = contrib::MultiBoxTarget(multibox_anchors(), labels, preds);
  REQUIRE(loc.shape() == Shape{2, 16});
  REQUIRE(cls.shape() == Shape{2, 4});
  test::check_array(cls, {2, 4}, {3, 0, 3, 0, -1, -1, -1, -1}, 0);
  // a2: centre (0.2, 0.3), size 0.4 x 0.6; g0: centre (0.25, 0.25), size 0.5 x 0.5. Over (0.1, 0.1, 0.2, 0.2):
  // (0.05 / 0.4 / 0.1, -0.05 / 0.6 / 0.1, ln(0.5 / 0.4) / 0.2, ln(0.5 / 0.6) / 0.2).
  std::vector<double> expected(32, 0.0);
  expected[8] = 1.25;
  expected[9] = -0.05 / 0.6 / 0.1;
  expected[10] = std::log(1.25) / 0.2;
  expected[11] = std::log(0.5 / 0.6) / 0.2;
  test::check_array(loc, {2, 16}, expected, 1e-12);
  std::vector<double> ones(32, 0.0);
  for (int k : {0, 1, 2, 3, 8, 9, 10, 11}) ones[k] = 1;
  test::check_array(mask, {2, 16}, ones, 0);
}

TEST_CASE("MultiBoxTarget gives each ground truth its best free anchor before any threshold match", "[operators][detection]") {
  // g1 (class 0) = (0, 0.3, 0.4, 0.6) overlaps a2 by 0.12 / 0.24 = 0.5 and a0 by 0.08 / 0.29; a2's best ground
  // truth is g0 (0.69), but g0 already took a0, so a2 goes to g1: class 1, offsets (0, 0.15 / 0.6 / 0.1, 0,
  // ln 0.5 / 0.2) from centre (0.2, 0.45), size 0.4 x 0.3. The extra sixth label column is ignored.
  const NDArray labels = nd::array(std::vector<double>{2, 0, 0, 0.5, 0.5, 9, 0, 0, 0.3, 0.4, 0.6, 9}, Shape{1, 2, 6}, cpu(),
                                   DType::kFloat64);
  const auto targets = contrib::MultiBoxTarget(multibox_anchors(), labels, nd::zeros({1, 2, 4}, cpu(), DType::kFloat64),
                                               {.overlap_threshold = 0.9});
  test::check_array(targets.cls_target, {1, 4}, {3, 0, 1, 0}, 0);
  const std::vector<double> loc = targets.loc_target.asnumpy<double>();
  CHECK(loc[8] == Approx(0).margin(1e-12));
  CHECK(loc[9] == Approx(2.5));
  CHECK(loc[10] == Approx(0).margin(1e-12));
  CHECK(loc[11] == Approx(std::log(0.5) / 0.2));
}

TEST_CASE("MultiBoxTarget's negative mining keeps the unmatched anchors least like background", "[operators][detection]") {
  // One positive (a0; a2's 0.69 is under the threshold 0.9 and over negative_mining_thresh 0.5, so it is never a
  // negative). Background probabilities: a1 e^2 / (e^2 + 2) = 0.79, a3 1 / (e^2 + 2) = 0.11.
  const NDArray labels = nd::array(std::vector<double>{2, 0, 0, 0.5, 0.5}, Shape{1, 1, 5}, cpu(), DType::kFloat64);
  const NDArray preds = nd::array(std::vector<double>{0, 2, 0, 0,  //
                                                      0, 0, 0, 2,  //
                                                      0, 0, 0, 0},
                                  Shape{1, 3, 4}, cpu(), DType::kFloat64);
  const NDArray anchors = multibox_anchors();
  auto cls = [&](double ratio, int minimum) {
    return contrib::MultiBoxTarget(anchors, labels, preds,
                                   {.overlap_threshold = 0.9, .negative_mining_ratio = ratio, .minimum_negative_samples = minimum})
        .cls_target.asnumpy<double>();
  };
  CHECK(cls(1, 0) == std::vector<double>{3, -1, -1, 0});   // one negative: a3
  CHECK(cls(1, 2) == std::vector<double>{3, 0, -1, 0});    // at least two
  CHECK(cls(5, 0) == std::vector<double>{3, 0, -1, 0});    // as many as there are clear of every ground truth
  CHECK(cls(-1, 0) == std::vector<double>{3, 0, 0, 0});    // no mining: every unmatched anchor
}

TEST_CASE("MultiBoxTarget refuses inputs that do not fit", "[operators][detection]") {
  const NDArray labels = nd::array(std::vector<double>{2, 0, 0, 0.5, 0.5}, Shape{1, 1, 5}, cpu(), DType::kFloat64);
  const NDArray preds = nd::zeros({1, 3, 4}, cpu(), DType::kFloat64);
  CHECK_THROWS_WITH(contrib::MultiBoxTarget(multibox_anchors(), labels, nd::zeros({1, 3, 5}, cpu(), DType::kFloat64)),
                    Contains("MultiBoxTarget") && Contains("(1, 3, 5)"));
  CHECK_THROWS_WITH(contrib::MultiBoxTarget(multibox_anchors(), nd::zeros({1, 1, 4}, cpu(), DType::kFloat64), preds),
                    Contains("labels (B, M, >= 5)"));
  CHECK_THROWS_WITH(contrib::MultiBoxTarget(multibox_anchors(), labels, preds.astype(DType::kFloat32)),
                    Contains("float32 or float64 alike"));
  CHECK_THROWS_WITH(contrib::MultiBoxTarget(multibox_anchors(), labels, preds, {.variances = {1, 1}}), Contains("variances"));
}

TEST_CASE("Proposal lays py-faster-rcnn's anchors over the feature map", "[operators][detection]") {
  // Stride 16, 30 x 30 positions (a 480 x 480 image), zero offsets: the one best box is an anchor moved to position
  // (15, 15), i.e. by 240 pixels. py-faster-rcnn's anchors for ratio 0.5 scale 8, ratio 1 scale 16 and ratio 2
  // scale 32 are (-84, -40, 99, 55), (-120, -120, 135, 135) and (-168, -344, 183, 359); the last is clipped.
  contrib::ProposalOptions options{.rpn_post_nms_top_n = 1, .scales = {8, 16, 32}};
  const NDArray deltas = nd::zeros({1, 36, 30, 30});
  const NDArray info = nd::array({480.0f, 480.0f, 1.0f}, Shape{1, 3});
  auto best_box = [&](int anchor) {
    std::vector<float> prob(18 * 900, 0.0f);
    prob[(9 + anchor) * 900 + 15 * 30 + 15] = 1;  // foreground channel of that anchor at (15, 15)
    const auto [rois, scores] = contrib::Proposal(nd::array(prob, Shape{1, 18, 30, 30}), deltas, info, options);
    CHECK(scores.asnumpy<float>() == std::vector<float>{1});
    return rois.asnumpy<float>();
  };
  CHECK(best_box(0) == std::vector<float>{0, 156, 200, 339, 295});
  CHECK(best_box(4) == std::vector<float>{0, 120, 120, 375, 375});
  CHECK(best_box(8) == std::vector<float>{0, 72, 0, 423, 479});
}

namespace {
// One anchor (0, 0, 3, 3) per position (stride 4, scale 1, ratio 1) over a 1 x 3 map: (0..3), (4..7), (8..11).
// Foreground scores 0.9, 0.8, 0.7; the second box moved left by one anchor width onto the first (dx = -1), the
// third halved in width about its centre 9.5 (dw = ln 0.5): (9, 0, 10, 3).
const contrib::ProposalOptions kTinyRpn{.rpn_post_nms_top_n = 4, .rpn_min_size = 1, .scales = {1}, .ratios = {1}, .feature_stride = 4};
NDArray tiny_prob() { return nd::array({0.0f, 0, 0, 0.9f, 0.8f, 0.7f}, Shape{1, 2, 1, 3}); }
NDArray tiny_deltas() {
  return nd::array({0.0f, -1, 0, /*dy*/ 0, 0, 0, /*dw*/ 0, 0, std::log(0.5f), /*dh*/ 0, 0, 0}, Shape{1, 4, 1, 3});
}
}  // namespace

TEST_CASE("Proposal moves the anchors, suppresses overlaps and repeats the survivors to fill its rows", "[operators][detection]") {
  const auto [rois, scores] = contrib::Proposal(tiny_prob(), tiny_deltas(), nd::array({4.0f, 12.0f, 1.0f}, Shape{1, 3}), kTinyRpn);
  REQUIRE(rois.shape() == Shape{4, 5});
  // The second box, now the first's, is suppressed (IoU 1 > 0.7).
  CHECK(rois.asnumpy<float>() == std::vector<float>{0, 0, 0, 3, 3, 0, 9, 0, 10, 3, 0, 0, 0, 3, 3, 0, 9, 0, 10, 3});
  CHECK(scores.asnumpy<float>() == std::vector<float>{0.9f, 0.7f, 0.9f, 0.7f});
}

TEST_CASE("Proposal scores -1 the boxes under the minimum size (widened by it) and those past the image", "[operators][detection]") {
  contrib::ProposalOptions options = kTinyRpn;
  options.rpn_post_nms_top_n = 2;
  options.rpn_min_size = 3;  // the third box is 2 wide: widened by 1.5 on each side
  const auto small = contrib::Proposal(tiny_prob(), tiny_deltas(), nd::array({4.0f, 12.0f, 1.0f}, Shape{1, 3}), options);
  CHECK(small.rois.asnumpy<float>() == std::vector<float>{0, 0, 0, 3, 3, 0, 7.5f, -1.5f, 11.5f, 4.5f});
  CHECK(small.scores.asnumpy<float>() == std::vector<float>{0.9f, -1});
  // An 8-pixel-wide image covers two positions: the third box is clipped to x = 7 and scores -1.
  const auto padded = contrib::Proposal(tiny_prob(), tiny_deltas(), nd::array({4.0f, 8.0f, 1.0f}, Shape{1, 3}),
                                        {.rpn_post_nms_top_n = 2, .rpn_min_size = 1, .scales = {1}, .ratios = {1}, .feature_stride = 4});
  CHECK(padded.rois.asnumpy<float>() == std::vector<float>{0, 0, 0, 3, 3, 0, 7, 0, 7, 3});
  CHECK(padded.scores.asnumpy<float>() == std::vector<float>{0.9f, -1});
}

TEST_CASE("MultiProposal proposes for every image of a batch, numbering its rows", "[operators][detection]") {
  // Image 1: zero offsets, scores reversed: three disjoint boxes, best last.
  const NDArray prob = nd::array({0.0f, 0, 0, 0.9f, 0.8f, 0.7f, 0, 0, 0, 0.7f, 0.8f, 0.9f}, Shape{2, 2, 1, 3});
  std::vector<float> deltas = tiny_deltas().asnumpy<float>();
  deltas.resize(24, 0.0f);
  const NDArray info = nd::array({4.0f, 12.0f, 1.0f, 4.0f, 12.0f, 1.0f}, Shape{2, 3});
  contrib::ProposalOptions options = kTinyRpn;
  options.rpn_post_nms_top_n = 2;
  const auto [rois, scores] = contrib::MultiProposal(prob, nd::array(deltas, Shape{2, 4, 1, 3}), info, options);
  CHECK(rois.asnumpy<float>() == std::vector<float>{0, 0, 0, 3, 3, 0, 9, 0, 10, 3, 1, 8, 0, 11, 3, 1, 4, 0, 7, 3});
  CHECK(scores.asnumpy<float>() == std::vector<float>{0.9f, 0.7f, 0.9f, 0.8f});
  CHECK_THROWS_WITH(contrib::Proposal(prob, nd::array(deltas, Shape{2, 4, 1, 3}), info, options), Contains("MultiProposal"));
}

TEST_CASE("Proposal refuses inputs that do not fit, and an image larger than the map", "[operators][detection]") {
  CHECK_THROWS_WITH(contrib::Proposal(tiny_prob(), nd::zeros({1, 8, 1, 3}), nd::array({4.0f, 12.0f, 1.0f}, Shape{1, 3}), kTinyRpn),
                    Contains("Proposal") && Contains("A = 1"));
  CHECK_THROWS_WITH(contrib::Proposal(tiny_prob(), tiny_deltas(), nd::array({4.0f, 12.0f}, Shape{1, 2}), kTinyRpn),
                    Contains("im_info (B, 3)"));
  const auto too_big = contrib::Proposal(tiny_prob(), tiny_deltas(), nd::array({4.0f, 40.0f, 1.0f}, Shape{1, 3}), kTinyRpn);
  CHECK_THROWS_WITH(too_big.rois.wait_to_read(), Contains("needs a feature map of at least 1 x 10"));
  CHECK_THROWS_WITH(contrib::Proposal(tiny_prob(), tiny_deltas(), nd::array({4.0f, 12.0f, 1.0f}, Shape{1, 3}),
                                      {.scales = {}}),
                    Contains("scales and ratios"));
}
