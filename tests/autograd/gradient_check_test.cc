// Every differentiable operator's gradient against central finite differences in float64. The table names the
// registry operator each check covers; a test fails when a differentiable operator has no check.
#include <limits>
#include <map>
#include <set>
#include <string>

#include <mx/operators/registry.h>
#include <mx/operators/symbolic.h>

#include "gradient_check.h"
#include "test_util.h"

using namespace mx;
using test::check_gradient;
using test::GradientCheck;

namespace {

using In = const std::vector<NDArray>&;

struct Entry {
  std::string op;  // the registry name
  GradientCheck check;
};

std::vector<Entry> table() {
  const Shape s{2, 3};
  const Shape wide{2, 3, 4};
  std::vector<Entry> t = {
      // Binary, with broadcasting on both sides.
      // Modulated, two groups and two deformable groups, stride and padding: data, offset, mask, weight, bias.
      {"_contrib_deformable_im2col",
       {[](In x) {
          return nd::contrib::ModulatedDeformableConvolution(x[0], x[1], x[2], x[3], x[4], {{2, 2}, {1, 2}, {}, {1, 0}}, 4, 2, 2);
        },
        {{1, 4, 3, 4}, {1, 16, 4, 2}, {1, 8, 4, 2}, {4, 2, 2, 2}, {4}}}},
      {"_contrib_deformable_im2col", {[](In x) { return nd::contrib::DeformableConvolution(x[0], x[1], x[2], std::nullopt, {{1, 2}}, 2); },
                                      {{2, 1, 3, 3}, {2, 4, 3, 2}, {2, 1, 1, 2}}}},
      {"broadcast_add", {[](In x) { return x[0] + x[1]; }, {{2, 1, 4}, {3, 1}}}},
      {"broadcast_sub", {[](In x) { return x[0] - x[1]; }, {{3, 1}, {2, 1, 4}}}},
      {"broadcast_mul", {[](In x) { return x[0] * x[1]; }, {{2, 3}, {3}}}},
      {"broadcast_div", {[](In x) { return x[0] / x[1]; }, {{2, 3}, {2, 1}}, 0.5, 2, true}},
      {"broadcast_mod", {[](In x) { return x[0] % x[1]; }, {{2, 3}, {3}}, 0.3, 3}},
      {"broadcast_power", {[](In x) { return nd::power(x[0], x[1]); }, {{2, 3}, {2, 3}}, 0.5, 2}},
      {"broadcast_maximum", {[](In x) { return nd::maximum(x[0], x[1]); }, {{2, 3}, {3}}}},
      {"broadcast_minimum", {[](In x) { return nd::minimum(x[0], x[1]); }, {{2, 3}, {2, 1}}}},
      // Scalar forms.
      {"_plus_scalar", {[](In x) { return x[0] + 1.5; }, {s}}},
      {"_minus_scalar", {[](In x) { return x[0] - 1.5; }, {s}}},
      {"_rminus_scalar", {[](In x) { return 1.5 - x[0]; }, {s}}},
      {"_mul_scalar", {[](In x) { return x[0] * -2.5; }, {s}}},
      {"_div_scalar", {[](In x) { return x[0] / 4.0; }, {s}}},
      {"_rdiv_scalar", {[](In x) { return 3.0 / x[0]; }, {s}, 0.5, 2, true}},
      {"_mod_scalar", {[](In x) { return x[0] % 1.7; }, {s}, 0.1, 5}},
      {"_rmod_scalar", {[](In x) { return 5.0 % x[0]; }, {s}, 0.7, 3}},
      {"_power_scalar", {[](In x) { return nd::power(x[0], 2.5); }, {s}, 0.3, 2}},
      {"_rpower_scalar", {[](In x) { return nd::power(1.7, x[0]); }, {s}}},
      {"_maximum_scalar", {[](In x) { return nd::maximum(x[0], 0.1); }, {s}}},
      {"_minimum_scalar", {[](In x) { return nd::minimum(0.1, x[0]); }, {s}}},
      // Unary.
      {"negative", {[](In x) { return -x[0]; }, {s}}},
      {"abs", {[](In x) { return nd::abs(x[0]); }, {s}, 0.1, 2, true}},
      {"sign", {[](In x) { return nd::sign(x[0]); }, {s}, 0.1, 2, true}},
      {"sqrt", {[](In x) { return nd::sqrt(x[0]); }, {s}, 0.2, 3}},
      {"rsqrt", {[](In x) { return nd::rsqrt(x[0]); }, {s}, 0.2, 3}},
      {"square", {[](In x) { return nd::square(x[0]); }, {s}}},
      {"reciprocal", {[](In x) { return nd::reciprocal(x[0]); }, {s}, 0.3, 2, true}},
      {"exp", {[](In x) { return nd::exp(x[0]); }, {s}}},
      {"log", {[](In x) { return nd::log(x[0]); }, {s}, 0.2, 3}},
      {"sin", {[](In x) { return nd::sin(x[0]); }, {s}}},
      {"cos", {[](In x) { return nd::cos(x[0]); }, {s}}},
      {"floor", {[](In x) { return nd::floor(x[0]); }, {s}, 0.1, 0.9, true}},
      {"ceil", {[](In x) { return nd::ceil(x[0]); }, {s}, 0.1, 0.9, true}},
      {"relu", {[](In x) { return nd::relu(x[0]); }, {s}, 0.1, 2, true}},
      // relu's gradient (g, y): g where y > 0; as a function of y, flat away from 0.
      {"_backward_relu",
       {[](In x) { return op::call_symbol_op("_backward_relu", {}, std::vector<NDArray>{x[0], x[1]})[0]; },
        {s, s}, 0.1, 2, true}},
      {"sigmoid", {[](In x) { return nd::sigmoid(x[0]); }, {s}}},
      {"tanh", {[](In x) { return nd::tanh(x[0]); }, {s}}},
      {"tan", {[](In x) { return nd::tan(x[0]); }, {s}, -1.2, 1.2}},
      {"arcsin", {[](In x) { return nd::arcsin(x[0]); }, {s}, -0.9, 0.9}},
      {"arccos", {[](In x) { return nd::arccos(x[0]); }, {s}, -0.9, 0.9}},
      {"arctan", {[](In x) { return nd::arctan(x[0]); }, {s}}},
      {"sinh", {[](In x) { return nd::sinh(x[0]); }, {s}}},
      {"cosh", {[](In x) { return nd::cosh(x[0]); }, {s}}},
      {"arcsinh", {[](In x) { return nd::arcsinh(x[0]); }, {s}}},
      {"arccosh", {[](In x) { return nd::arccosh(x[0]); }, {s}, 1.2, 4}},
      {"arctanh", {[](In x) { return nd::arctanh(x[0]); }, {s}, -0.9, 0.9}},
      {"degrees", {[](In x) { return nd::degrees(x[0]); }, {s}}},
      {"radians", {[](In x) { return nd::radians(x[0]); }, {s}}},
      {"cbrt", {[](In x) { return nd::cbrt(x[0]); }, {s}, 0.3, 3, true}},
      {"rcbrt", {[](In x) { return nd::rcbrt(x[0]); }, {s}, 0.3, 3, true}},
      {"expm1", {[](In x) { return nd::expm1(x[0]); }, {s}}},
      {"log1p", {[](In x) { return nd::log1p(x[0]); }, {s}, -0.5, 3}},
      {"log2", {[](In x) { return nd::log2(x[0]); }, {s}, 0.2, 3}},
      {"log10", {[](In x) { return nd::log10(x[0]); }, {s}, 0.2, 3}},
      {"round", {[](In x) { return nd::round(x[0]); }, {s}, 0.1, 0.4, true}},
      {"rint", {[](In x) { return nd::rint(x[0]); }, {s}, 0.6, 0.9, true}},
      {"fix", {[](In x) { return nd::fix(x[0]); }, {s}, 0.1, 0.9, true}},
      {"trunc", {[](In x) { return nd::trunc(x[0]); }, {s}, 0.1, 0.9, true}},
      {"erf", {[](In x) { return nd::erf(x[0]); }, {s}}},
      {"erfinv", {[](In x) { return nd::erfinv(x[0]); }, {s}, -0.9, 0.9}},
      {"gamma", {[](In x) { return nd::gamma(x[0]); }, {s}, 0.5, 4}},
      {"gammaln", {[](In x) { return nd::gammaln(x[0]); }, {s}, 0.5, 4}},
      {"digamma", {[](In x) { return nd::digamma(x[0]); }, {s}, 0.5, 4}},
      {"broadcast_hypot", {[](In x) { return nd::hypot(x[0], x[1]); }, {{2, 3}, {3}}, 0.3, 2, true}},
      {"atan2", {[](In x) { return nd::atan2(x[0], x[1]); }, {{2, 3}, {2, 1}}, 0.3, 2, true}},
      // Reductions.
      {"sum", {[](In x) { return nd::sum(x[0], {0, 2}); }, {wide}}},
      {"mean", {[](In x) { return nd::mean(x[0], {1}, true); }, {wide}}},
      {"max", {[](In x) { return nd::max(x[0], {-1}); }, {wide}}},
      {"min", {[](In x) { return nd::min(x[0]); }, {wide}}},
      {"norm", {[](In x) { return nd::norm(x[0], 2, {1}) + nd::norm(x[0], 1, {0}).sum(); }, {wide}, 0.1, 2, true}},
      {"prod", {[](In x) { return nd::prod(x[0], {1}); }, {wide}, 0.5, 1.5, true}},
      {"nansum", {[](In x) { return nd::nansum(x[0], {0}); }, {wide}}},
      {"nanprod", {[](In x) { return nd::nanprod(x[0], {2}); }, {wide}, 0.5, 1.5, true}},
      {"cumsum", {[](In x) { return nd::cumsum(x[0], 1); }, {wide}}},
      {"cumprod", {[](In x) { return nd::cumprod(x[0], -1); }, {wide}, 0.5, 1.5, true}},
      {"where", {[](In x) { return nd::where(x[0] > 0.0, x[1], x[2]); }, {{2, 3}, {2, 3}, {3}}}},
      {"flip", {[](In x) { return nd::flip(x[0], 1) * x[0]; }, {wide}}},
      {"im2col", {[](In x) { return nd::im2col(x[0], {{2, 2}, {2, 1}, {1, 2}, {1, 0}}); }, {{2, 2, 4, 5}}}},
      {"col2im", {[](In x) { return nd::col2im(x[0], {1, 2, 4, 4}, {{3, 3}, {1, 1}, {}, {1, 1}}); }, {{18, 16}}}},
      // Two-dimensional pooling's own kernels: max with padding, average without counting it, sum hanging over.
      {"_pooling2d", {[](In x) {
                        return nd::Pooling(x[0], {{3, 2}, {2, 1}, {}, {1, 1}}) +
                               nd::Pooling(x[0], {{3, 2}, {2, 1}, {}, {1, 1}},
                                           {.type = nd::PoolType::kAvg, .count_include_pad = false}) *
                                   2.0 +
                               nd::Pooling(x[0], {{3, 2}, {2, 1}, {}, {1, 1}},
                                           {.type = nd::PoolType::kSum, .convention = nd::PoolingConvention::kFull}) *
                                   0.5;
                      },
                      {{2, 3, 5, 4}}}},
      // Shapes.
      {"transpose", {[](In x) { return nd::transpose(x[0], {1, 2, 0}); }, {wide}}},
      {"Concat", {[](In x) { return nd::concat({x[0], x[1]}, 1); }, {{2, 1, 4}, {2, 3, 4}}}},
      {"SliceChannel", {[](In x) { return nd::split(x[0], 3, 1)[1] * nd::split(x[0], 3, 1, false)[2]; }, {wide}}},
      {"_split_v2", {[](In x) { return nd::split_v2(x[0], {1}, 2)[1] * 2.0 + nd::split_v2(x[0], {1, 4}, 2)[0].sum(); }, {wide}}},
      {"slice_axis", {[](In x) { return nd::slice_axis(x[0], 2, 1, 3); }, {wide}}},
      {"broadcast_to", {[](In x) { return nd::broadcast_to(x[0], {2, 3, 4}); }, {{3, 1}}}},
      {"Cast", {[](In x) { return x[0].astype(DType::kFloat64); }, {s}}},
      {"_copy", {[](In x) { return x[0].copy(); }, {s}}},
      // Products.
      {"dot", {[](In x) { return nd::dot(x[0], x[1]); }, {{2, 3}, {3, 4}}}},
      {"dot", {[](In x) { return nd::dot(x[0], x[1], true, false); }, {{3, 2}, {3, 4}}}},
      {"dot", {[](In x) { return nd::dot(x[0], x[1], false, true); }, {{2, 3}, {4, 3}}}},
      {"dot", {[](In x) { return nd::dot(x[0], x[1], true, true); }, {{3, 2}, {4, 3}}}},
      {"dot", {[](In x) { return nd::dot(x[0], x[1]); }, {{2, 2, 3}, {3, 2}}}},
      {"dot", {[](In x) { return nd::dot(x[0], x[1]); }, {{4}, {4}}}},
      {"batch_dot", {[](In x) { return nd::batch_dot(x[0], x[1]); }, {{2, 2, 3}, {2, 3, 2}}}},
      {"batch_dot", {[](In x) { return nd::batch_dot(x[0], x[1], true, true); }, {{2, 3, 2}, {2, 2, 3}}}},
      {"FullyConnected", {[](In x) { return nd::FullyConnected(x[0], x[1], x[2], 4); }, {{2, 3, 2}, {4, 6}, {4}}}},
      {"FullyConnected",
       {[](In x) { return nd::FullyConnected(x[0], x[1], std::nullopt, 4, false); }, {{2, 3, 2}, {4, 2}}}},
      // Neural-network operators.
      {"clip", {[](In x) { return nd::clip(x[0], -0.5, 0.5); }, {s}, 0.1, 1, true}},
      {"softmax", {[](In x) { return nd::softmax(x[0], 1); }, {wide}}},
      {"log_softmax", {[](In x) { return nd::log_softmax(x[0]); }, {wide}}},
  };
  GradientCheck pick{[](In x) { return nd::pick(x[0], x[1], 1); }, {{2, 3, 4}, {2, 4}}};
  pick.differentiable = {true, false};
  pick.index_limit = 3;
  t.push_back({"pick", pick});
  GradientCheck pick_last{[](In x) { return nd::pick(x[0], x[1], -1, true); }, {{3, 4}, {3, 1}}};
  pick_last.differentiable = {true, false};
  pick_last.index_limit = 4;
  t.push_back({"pick", pick_last});
  GradientCheck take{[](In x) { return nd::take(x[0], x[1], 1); }, {{2, 4, 3}, {2, 3}}};
  take.differentiable = {true, false};
  take.index_limit = 4;  // repeats among 6 indices into 4: the gradient sums them
  t.push_back({"take", take});
  // take's gradient (_take_backward) as a function of the head gradient x[0], through a fresh variable w:
  // d/dw sum(take(w, idx) * x0) = _take_backward(x0, idx).
  GradientCheck take_backward{[](In x) {
                                NDArray w = nd::zeros({4, 2}, cpu(), DType::kFloat64);
                                w.attach_grad();
                                autograd::record r;
                                return autograd::grad({(nd::take(w, x[1]) * x[0]).sum()}, {w}, {}, true)[0];
                              },
                              {{3, 2}, {3}}};
  take_backward.differentiable = {true, false};
  take_backward.index_limit = 4;
  t.push_back({"_take_backward", take_backward});
  GradientCheck along{[](In x) { return nd::take_along_axis(x[0], x[1], 1); }, {{2, 3, 2}, {2, 4, 2}}};
  along.differentiable = {true, false};
  along.index_limit = 3;  // repeats: the gradient sums them
  t.push_back({"take_along_axis", along});
  GradientCheck along_backward{[](In x) {  // d/dw sum(take_along_axis(w, idx) * x0), as take's
                                 NDArray w = nd::zeros({2, 3}, cpu(), DType::kFloat64);
                                 w.attach_grad();
                                 autograd::record r;
                                 return autograd::grad({(nd::take_along_axis(w, x[1], 1) * x[0]).sum()}, {w}, {},
                                                       true)[0];
                               },
                               {{2, 4}, {2, 4}}};
  along_backward.differentiable = {true, false};
  along_backward.index_limit = 3;
  t.push_back({"_take_along_axis_backward", along_backward});
  // Strided slices, gather and scatter; each backward operator through a fresh variable, as take's.
  const nd::SliceBound none;
  t.push_back({"slice", {[none](In x) { return nd::slice(x[0], {1, none, -1}, {none, none, 0}, {1, 2, -2}); }, {wide}}});
  t.push_back({"_slice_backward", {[](In x) {
                                     NDArray w = nd::zeros({3, 4}, cpu(), DType::kFloat64);
                                     w.attach_grad();
                                     autograd::record r;
                                     const NDArray taken = nd::slice(w, {0, 3}, {3, 0}, {2, -2});
                                     return autograd::grad({(taken * x[0]).sum()}, {w}, {}, true)[0];
                                   },
                                   {{2, 2}}}});
  GradientCheck gather{[](In x) { return nd::gather_nd(x[0], x[1]); }, {{3, 3, 2}, {2, 5}}};
  gather.differentiable = {true, false};
  gather.index_limit = 3;  // repeats among 5 tuples: the gradient sums them
  t.push_back({"gather_nd", gather});
  GradientCheck gather_backward{[](In x) {
                                  NDArray w = nd::zeros({3, 2}, cpu(), DType::kFloat64);
                                  w.attach_grad();
                                  autograd::record r;
                                  return autograd::grad({(nd::gather_nd(w, x[1]) * x[0]).sum()}, {w}, {}, true)[0];
                                },
                                {{4, 2}, {1, 4}}};
  gather_backward.differentiable = {true, false};
  gather_backward.index_limit = 3;
  t.push_back({"_backward_gather_nd", gather_backward});
  t.push_back({"scatter_nd", {[](In x) {  // distinct tuples, as scatter_nd's gradient assumes
                                const NDArray tuples = nd::array({0, 2, 1, 1, 0, 3}, Shape{2, 3}, cpu(), DType::kFloat64);
                                return nd::scatter_nd(x[0], tuples, {3, 4});
                              },
                              {{3}}}});
  t.push_back({"_image_normalize", {[](In x) { return nd::image::normalize(x[0], {0.5, -1}, {2, 0.25}); }, {{2, 3, 2}}}});
  t.push_back({"fmod", {[](In x) { return nd::fmod(x[0], x[1]); }, {{2, 3}, {3}}, 0.3, 3, true}});
  // Linear algebra. Operators that read one triangle get the whole matrix: the other triangle's derivative is 0.
  // potrf and syevd, whose gradients are symmetric by design, get symmetric inputs built from the variables.
  namespace la = nd::linalg;
  auto eye = [](std::int64_t n) { return nd::eye(n, 0, 0, cpu(), DType::kFloat64); };
  t.push_back({"linalg_gemm", {[](In x) { return la::gemm(x[0], x[1], x[2], false, true, 0.5, 2); },
                               {{2, 2, 3}, {2, 4, 3}, {2, 2, 4}}}});
  t.push_back({"linalg_gemm2", {[](In x) { return la::gemm2(x[0], x[1], true, false, 1.5); }, {{3, 2}, {3, 4}}}});
  t.push_back({"linalg_potrf", {[eye](In x) { return la::potrf(la::gemm2(x[0], x[0], false, true) + eye(3) * 3.0); },
                                {{2, 3, 3}}}});
  t.push_back({"linalg_potri", {[eye](In x) { return la::potri(x[0] + eye(3) * 4.0); }, {{3, 3}}}});
  for (bool transpose : {false, true}) {
    for (bool rightside : {false, true}) {
      const bool lower = transpose != rightside;
      t.push_back({"linalg_trsm", {[=](In x) { return la::trsm(x[0] + eye(3) * 4.0, x[1], transpose, rightside, lower, 1.5); },
                                   {{2, 3, 3}, rightside ? Shape{2, 2, 3} : Shape{2, 3, 2}}}});
      t.push_back({"linalg_trmm", {[=](In x) { return la::trmm(x[0], x[1], transpose, rightside, lower, 0.5); },
                                   {{3, 3}, rightside ? Shape{2, 3} : Shape{3, 2}}}});
    }
  }
  t.push_back({"linalg_syrk", {[](In x) { return la::syrk(x[0], false, 0.5); }, {{2, 2, 3}}}});
  t.push_back({"linalg_syrk", {[](In x) { return la::syrk(x[0], true); }, {{2, 3}}}});
  t.push_back({"linalg_gelqf", {[](In x) {
                                  auto [q, l] = la::gelqf(x[0]);
                                  return nd::concat({q.reshape({-1}), l.reshape({-1})}, 0);
                                },
                                {{2, 2, 3}}}});
  t.push_back({"linalg_syevd", {[](In x) {
                                  auto [u, lambda] = la::syevd(x[0] + nd::swapaxes(x[0], -1, -2));
                                  return nd::concat({u.reshape({-1}), lambda.reshape({-1})}, 0);
                                },
                                {{2, 3, 3}}}});
  t.push_back({"linalg_inverse", {[eye](In x) { return la::inverse(x[0] + eye(3) * 4.0); }, {{2, 3, 3}}}});
  t.push_back({"linalg_det", {[](In x) { return la::det(x[0]); }, {{2, 3, 3}}}});
  t.push_back({"linalg_slogdet", {[eye](In x) { return la::slogdet(x[0] + eye(3) * 4.0).second; }, {{3, 3}}}});
  t.push_back({"linalg_lstsq", {[](In x) { return la::lstsq(x[0], x[1]); }, {{2, 5, 3}, {2, 5, 2}}}});
  t.push_back({"linalg_lstsq", {[](In x) { return la::lstsq(x[0], x[1]); }, {{2, 4}, {2, 3}}}});
  GradientCheck xent{[](In x) { return nd::softmax_cross_entropy(x[0], x[1]); }, {{3, 4}, {3}}};
  xent.differentiable = {true, false};
  xent.index_limit = 4;
  t.push_back({"softmax_cross_entropy", xent});
  GradientCheck per_sample{[](In x) { return nd::softmax_cross_entropy(x[0], x[1], true); }, {{3, 4}, {3}}};
  per_sample.differentiable = {true, false};
  per_sample.index_limit = 4;
  t.push_back({"softmax_cross_entropy", per_sample});
  // BatchNorm in training (the fused CPU form): the batch's statistics, channels in the middle, first and last.
  for (auto [axis, data] : {std::pair<int, Shape>{1, {2, 3, 2, 2}}, {0, {3, 4}}, {-1, {2, 4, 3}}}) {
    t.push_back({"_batch_norm_training", {[axis](In x) {
                                            NDArray mean = nd::zeros({3}, cpu(), DType::kFloat64);
                                            NDArray var = nd::ones({3}, cpu(), DType::kFloat64);
                                            autograd::train_mode t;  // finite differences run outside record
                                            return nd::BatchNorm(x[0], x[1], x[2], mean, var,
                                                                 {.fix_gamma = false, .axis = axis});
                                          },
                                          {data, {3}, {3}}}});
  }
  // CTC: three sequences of five steps over four classes, a repeated label, padding, a shorter sequence.
  t.push_back({"CTCLoss", {[](In x) {
                             return nd::CTCLoss(x[0], nd::array({0, 1, 1, 2, -1, -1, 1, 0, -1}, Shape{3, 3}),
                                                nd::array({5, 5, 4}));
                           },
                           {{5, 3, 4}}}});
  // ROIAlign: two regions with fractional corners on a (1, 2, 4, 5) map, one past its right edge.
  t.push_back({"_contrib_ROIAlign", {[](In x) {
                                       const NDArray rois = nd::array({0, 0.3, 0.6, 3.2, 2.9, 0, 1.1, 0.2, 5.4, 3.7}, Shape{2, 5})
                                                                .astype(DType::kFloat64);
                                       return nd::contrib::ROIAlign(x[0], rois, {.pooled_size = {2, 2}, .sample_ratio = 2});
                                     },
                                     {{1, 2, 4, 5}}}});
  // ROIPooling: whole-pixel bins of two regions (random values: no ties between a bin's pixels).
  t.push_back({"ROIPooling", {[](In x) {
                                const NDArray rois = nd::array({0, 0, 0, 3, 2, 0, 1, 1, 4, 3}, Shape{2, 5}).astype(DType::kFloat64);
                                return nd::contrib::ROIPooling(x[0], rois, {2, 2}, 1.0);
                              },
                              {{1, 2, 4, 5}}}});
  // BatchNorm with the moving statistics: one per-channel scale and shift (channel axis in the middle and last).
  for (int axis : {1, 2}) {
    t.push_back({"_scale_shift_channels", {[axis](In x) {
                                             NDArray mean = nd::array({0.5, -0.2, 0.1}, std::nullopt, cpu(), DType::kFloat64);
                                             NDArray var = nd::array({1.5, 0.7, 2.0}, std::nullopt, cpu(), DType::kFloat64);
                                             return nd::BatchNorm(x[0], x[1], x[2], mean, var,
                                                                  {.fix_gamma = false, .use_global_stats = true, .axis = axis});
                                           },
                                           {axis == 1 ? Shape{4, 3, 2} : Shape{2, 4, 3}, {3}, {3}}}});
  }
  return t;
}

}  // namespace

TEST_CASE("every differentiable operator's gradient matches finite differences", "[autograd][gradient]") {
  std::set<std::string> checked;
  for (const Entry& entry : table()) {
    INFO("operator " << entry.op);
    REQUIRE(op::find_operator(entry.op) != nullptr);
    CHECK(op::find_operator(entry.op)->differentiable);
    check_gradient(entry.check);
    checked.insert(entry.op);
  }
  // Operators whose declared gradient is not their derivative, on purpose, and where it is checked instead.
  const std::map<std::string, std::string> by_design = {
      {"SoftmaxOutput", "a loss layer: softmax forward, cross-entropy gradient (tests/operators/nn_test.cc)"},
      {"LinearRegressionOutput", "loss layers (tests/operators/output_layers_test.cc)"},
      {"LogisticRegressionOutput", "output_layers_test.cc"}, {"MAERegressionOutput", "output_layers_test.cc"},
      {"MakeLoss", "output_layers_test.cc"},
      // GPU only (cuDNN): gradients against the CPU's finite-difference-checked Convolution and BatchNorm, in
      // tests/operators/gpu_operators_test.cc (label gpu); their own gradients refuse second order.
      {"_cudnn_convolution", "gpu_operators_test.cc"}, {"_backward_cudnn_convolution", "gpu_operators_test.cc"},
      {"_cudnn_batch_norm", "gpu_operators_test.cc"}, {"_backward_cudnn_batch_norm", "gpu_operators_test.cc"},
      // The fused CPU BatchNorm's backward: the forward's checked gradient; it refuses second order.
      {"_backward_batch_norm_training", "nn_test.cc"}};
  for (const op::OpInfo& info : op::list_operators()) {
    if (!info.differentiable || by_design.count(info.name) != 0) continue;
    INFO("differentiable operator with no gradient check: " << info.name);
    CHECK(checked.count(info.name) == 1);
  }
}

TEST_CASE("norms of any order, dist, addr and cross differentiate through what they are built from",
          "[autograd][gradient]") {
  const double inf = std::numeric_limits<double>::infinity();
  check_gradient({[](In x) { return nd::norm(x[0], 3, {1}); }, {{3, 4}}, 0.2, 2, true});
  check_gradient({[](In x) { return nd::norm(x[0], 0.5); }, {{3, 4}}, 0.2, 2, true});
  check_gradient({[inf](In x) { return nd::norm(x[0], inf, {0}) + nd::norm(x[0], -inf); }, {{3, 4}}, 0.2, 2, true});
  check_gradient({[](In x) { return nd::dist(x[0], x[1], 1.5); }, {{3, 4}, {4}}});
  check_gradient({[](In x) { return nd::addr(x[0], x[1], x[2], 0.5, 2); }, {{2, 3}, {2}, {3}}});
  check_gradient({[](In x) { return nd::cross(x[0], x[1], 0); }, {{3, 2}, {3, 2}}});
}

TEST_CASE("the L2 norm's gradient at zero is zero, not NaN, as PyTorch's", "[autograd][gradient]") {
  NDArray x = nd::array({0, 0, 0, 3, 4, 0}, Shape{2, 3});
  x.attach_grad();
  {
    autograd::record r;
    nd::norm(x, 2, {1}).sum().backward();  // row 0 is all zeros; row 1 has norm 5
  }
  test::check_array(x.grad(), {2, 3}, {0, 0, 0, 0.6, 0.8, 0});
  NDArray z = nd::zeros({3});
  z.attach_grad();
  {
    autograd::record r;
    nd::norm(z).backward();
  }
  test::check_array(z.grad(), {3}, {0, 0, 0});
}

TEST_CASE("var and std differentiate through the operators they are built from", "[autograd][gradient]") {
  check_gradient({[](In x) { return nd::var(x[0], {1}, false, 1); }, {{3, 4}}});
  check_gradient({[](In x) { return nd::std(x[0]); }, {{3, 4}}});
}

TEST_CASE("MXNet's smaller functions differentiate through what they are built from", "[autograd][gradient]") {
  check_gradient({[](In x) { return nd::Activation(x[0], "log_sigmoid"); }, {{2, 3}}, -4, 4});
  check_gradient({[](In x) { return nd::Activation(x[0], "mish"); }, {{2, 3}}, -4, 4});
  check_gradient({[](In x) { return nd::hard_sigmoid(x[0]); }, {{2, 3}}, -2, 2});  // inside the kinks at -2.5, 2.5
  check_gradient({[](In x) { return nd::softmin(x[0], 0, 2); }, {{3, 4}}});
  check_gradient({[](In x) {
                    const auto [mean, var] = nd::moments(x[0], {1});
                    return mean * 2.0 + var;
                  },
                  {{3, 4}}});
  // Rows 3 and 0 of old replaced: their gradients go to new's rows, the others' to old.
  check_gradient({[](In x) { return nd::contrib::index_copy(x[0], nd::array({3.0, 0.0}, std::nullopt, cpu(), DType::kFloat64), x[1]); },
                  {{5, 3}, {2, 3}}});
  check_gradient({[](In x) { return nd::contrib::AdaptiveAvgPooling2D(x[0], {2, 2}); }, {{1, 2, 3, 5}}});
  check_gradient({[](In x) { return nd::linalg::extracttrian(x[0], -1); }, {{2, 3, 3}}});
  check_gradient({[](In x) { return nd::linalg::maketrian(x[0], 1, false); }, {{2, 3}}});
  check_gradient({[](In x) { return nd::linalg::makediag(x[0], 2); }, {{2, 3}}});
  check_gradient({[](In x) { return nd::linalg::sumlogdiag(x[0]); }, {{2, 3, 3}}, 0.5, 2});
  check_gradient({[](In x) { return nd::khatri_rao({x[0], x[1]}); }, {{2, 3}, {3, 3}}});
  check_gradient({[](In x) { return nd::contrib::interleaved_matmul_selfatt_qk(x[0], 2); }, {{3, 2, 12}}});
  check_gradient({[](In x) { return nd::contrib::interleaved_matmul_selfatt_valatt(x[0], x[1], 2); }, {{3, 2, 12}, {4, 3, 3}}});
  check_gradient({[](In x) { return nd::contrib::interleaved_matmul_encdec_qk(x[0], x[1], 2); }, {{2, 1, 4}, {3, 1, 8}}});
  check_gradient({[](In x) { return nd::contrib::interleaved_matmul_encdec_valatt(x[0], x[1], 2); }, {{3, 1, 8}, {2, 2, 3}}});
  // A recurrent cell's loop: h = tanh(x_t * h + h), the outputs stacked.
  check_gradient({[](In x) {
                    using nd::contrib::Arrays;
                    return nd::contrib::foreach(
                               [](const Arrays& xt, const Arrays& h) {
                                 const NDArray next = nd::tanh(xt[0] * h[0] + h[0]);
                                 return std::pair{Arrays{next}, Arrays{next}};
                               },
                               {x[0]}, {x[1]})
                        .first.front();
                  },
                  {{3, 2}, {2}}});
}

TEST_CASE("layout functions differentiate through what they are built from", "[autograd][gradient]") {
  check_gradient({[](In x) { return nd::tile(x[0], {2, 1, 3}); }, {{2, 3}}});
  check_gradient({[](In x) { return nd::repeat(x[0], 2, 0); }, {{2, 3}}});
  check_gradient({[](In x) { return nd::stack({x[0], x[1]}, 1); }, {{2, 3}, {2, 3}}});
  check_gradient({[](In x) { return nd::pad(x[0], {1, 2, 2, 1}, nd::PadMode::kReflect); }, {{3, 4}}});
  check_gradient({[](In x) { return nd::pad(x[0], {0, 1, 1, 0}, nd::PadMode::kEdge); }, {{3, 4}}});
  check_gradient({[](In x) { return nd::diag(x[0], 1); }, {{3, 4}}});
  check_gradient({[](In x) { return nd::diag(x[0], -1); }, {{3}}});
  check_gradient({[](In x) { return nd::triu(x[0], 1) + nd::squeeze(nd::swapaxes(x[1], 0, 1)); }, {{3, 3}, {1, 3, 3}}});
}

TEST_CASE("Convolution, Deconvolution and Pooling differentiate through im2col and products",
          "[autograd][gradient][conv]") {
  check_gradient({[](In x) { return nd::Convolution(x[0], x[1], x[2], {{3, 2}, {2, 1}, {}, {1, 0}}, 2); },
                  {{2, 2, 5, 4}, {2, 2, 3, 2}, {2}}});
  check_gradient({[](In x) { return nd::Convolution(x[0], x[1], std::nullopt, {{2}, {}, {2}, {1}}, 4, 2); },
                  {{1, 4, 6}, {4, 2, 2}}});
  // One sample through a 1x1 kernel: the image is its own column matrix (no im2col, no transpose).
  check_gradient({[](In x) { return nd::Convolution(x[0], x[1], x[2], {{1, 1}}, 2); }, {{1, 3, 2, 2}, {2, 3, 1, 1}, {2}}});
  const NDArray one_by_one = nd::Convolution(nd::arange(12).reshape({1, 3, 2, 2}),
                                             nd::array({1.0, 0.0, -1.0, 2.0, 1.0, 0.0}, Shape{2, 3, 1, 1}), std::nullopt,
                                             {{1, 1}}, 2);
  test::check_array(one_by_one, {1, 2, 2, 2}, {-8, -8, -8, -8, 4, 7, 10, 13});  // c0 - c2; 2 c0 + c1
  check_gradient({[](In x) { return nd::Deconvolution(x[0], x[1], x[2], {{2, 2}, {2, 2}}, 3); },
                  {{1, 2, 3, 2}, {2, 3, 2, 2}, {3}}});
  check_gradient({[](In x) { return nd::Pooling(x[0], {{2, 2}, {1, 2}}); }, {{1, 2, 4, 4}}});
  check_gradient({[](In x) {
                    return nd::Pooling(x[0], {{3, 3}, {2, 2}, {}, {1, 1}},
                                       {.type = nd::PoolType::kAvg, .count_include_pad = false});
                  },
                  {{1, 2, 5, 5}}});
}

TEST_CASE("normalization, losses and sequence operators differentiate", "[autograd][gradient][norm]") {
  check_gradient({[](In x) { return nd::LayerNorm(x[0], x[1], x[2]); }, {{2, 3, 4}, {4}, {4}}});
  check_gradient({[](In x) { return nd::InstanceNorm(x[0], x[1], x[2]); }, {{2, 2, 3, 2}, {2}, {2}}});
  check_gradient({[](In x) {
                    NDArray mean = nd::zeros({3}, cpu(), DType::kFloat64), var = nd::ones({3}, cpu(), DType::kFloat64);
                    autograd::train_mode t;  // the finite differences run outside record: batch statistics too
                    return nd::BatchNorm(x[0], x[1], x[2], mean, var, {.fix_gamma = false});
                  },
                  {{4, 3, 2}, {3}, {3}}});
  check_gradient({[](In x) { return nd::smooth_l1(x[0], 1.5); }, {{3, 4}}, 0.5, 2, true});
  check_gradient({[](In x) { return nd::softmax(x[0], 0, 0.5); }, {{3, 2}}});
  GradientCheck mask{[](In x) { return nd::sequence_mask(x[0], x[1], 3); }, {{4, 3}, {3}}};
  mask.differentiable = {true, false};
  mask.index_limit = 5;
  check_gradient(mask);
  GradientCheck embedding{[](In x) { return nd::Embedding(x[1], x[0]); }, {{5, 2}, {2, 3}}};
  embedding.differentiable = {true, false};
  embedding.index_limit = 5;
  check_gradient(embedding);
}

TEST_CASE("sort and topk values differentiate through take_along_axis", "[autograd][gradient]") {
  check_gradient({[](In x) { return nd::sort(x[0], 0); }, {{4, 3}}});
  check_gradient({[](In x) { return nd::topk(x[0], -1, 2, nd::TopkReturn::kValue)[0]; }, {{3, 4}}});
}

TEST_CASE("views record their gradients: reshape, slice, at, flatten, expand_dims", "[autograd][gradient]") {
  check_gradient({[](In x) { return x[0].reshape({3, -1}) * x[0].reshape({3, 4}); }, {{2, 6}}});
  check_gradient({[](In x) { return x[0].slice(1, 3) * 2.0; }, {{4, 3}}});
  check_gradient({[](In x) { return x[0].at(2) + x[0].at(0); }, {{3, 2, 2}}});
  check_gradient({[](In x) { return nd::flatten(x[0]).sum({1}); }, {{2, 3, 2}}});
  check_gradient({[](In x) { return nd::expand_dims(x[0], 1) * x[1]; }, {{2, 3}, {2, 4, 3}}});
}

TEST_CASE("as_in_context across CPU contexts passes the gradient back", "[autograd][gradient]") {
  check_gradient({[](In x) { return nd::as_in_context(x[0], cpu(1)) * 3.0; }, {{2, 2}}});
}

TEST_CASE("composite functions: a two-layer network's loss", "[autograd][gradient]") {
  GradientCheck mlp{[](In x) {
                      const NDArray hidden = nd::relu(nd::FullyConnected(x[0], x[1], x[2], 5));
                      const NDArray out = nd::FullyConnected(hidden, x[3], x[4], 3);
                      return nd::softmax_cross_entropy(out, x[5]) / 4.0;
                    },
                    {{4, 6}, {5, 6}, {5}, {3, 5}, {3}, {4}}};
  mlp.differentiable = {true, true, true, true, true, false};
  mlp.index_limit = 3;
  check_gradient(mlp);
}

TEST_CASE("softmax_cross_entropy's gradient differentiates again under create_graph", "[autograd][gradient]") {
  // f(x) = d/dw sum(xent(w x, labels)) at w = 1, that is (softmax(x) - one_hot(labels)) x: the gradient is
  // recorded, so backward reaches x through it.
  check_gradient({[](In x) {
                    const NDArray labels = nd::array({2, 0, 1}, Shape{3}, cpu(), DType::kFloat64);
                    NDArray w = nd::ones({3, 4}, cpu(), DType::kFloat64);
                    w.attach_grad();
                    autograd::record r;
                    const NDArray loss = nd::softmax_cross_entropy(w * x[0], labels, true).sum();
                    return autograd::grad({loss}, {w}, {}, true)[0];
                  },
                  {{3, 4}}});
}

TEST_CASE("pooling's gradient differentiates again under create_graph", "[autograd][gradient][conv]") {
  // f(x) = d/dv sum(Pooling(x * v)^2) at v = 1 = 2 x * (the pooled value routed back to each window's pixels):
  // the recorded backward of max and average pooling reaches x.
  for (const nd::PoolType type : {nd::PoolType::kMax, nd::PoolType::kAvg}) {
    check_gradient({[type](In x) {
                      NDArray v = nd::ones({2, 2, 5, 4}, cpu(), DType::kFloat64);
                      v.attach_grad();
                      autograd::record r;
                      const NDArray y = nd::Pooling(x[0] * v, {{2, 2}, {2, 1}, {}, {1, 0}},
                                                    {.type = type, .count_include_pad = false});
                      return autograd::grad({(y * y).sum()}, {v}, {}, true)[0];
                    },
                    {{2, 2, 5, 4}}});
  }
}
