// The seed tutorial's appendix ("Tensor operation"), row by row: each PyTorch function as mxpp spells it, under
// MXNet's name where MXNet has one and under PyTorch's where the table says "Not available". Hand values.
#include <cmath>
#include <numbers>

#include "test_util.h"

using namespace mx;
using test::check_array;

TEST_CASE("every row of the seed tutorial's tensor appendix", "[operators][appendix]") {
  const NDArray x = nd::array({0.5, -0.25, 1, 0}, Shape{2, 2});
  const double pi = std::numbers::pi;
  SECTION("acos, asin, atan, atan2") {
    check_array(nd::arccos(x), {2, 2}, {std::acos(0.5), std::acos(-0.25), 0, pi / 2});
    check_array(nd::arcsin(x), {2, 2}, {std::asin(0.5), std::asin(-0.25), pi / 2, 0});
    check_array(nd::arctan(x), {2, 2}, {std::atan(0.5), std::atan(-0.25), pi / 4, 0});
    check_array(nd::atan2(x, nd::ones({2, 2})), {2, 2}, {std::atan(0.5), std::atan(-0.25), pi / 4, 0});
  }
  SECTION("addmm and addbmm: linalg_gemm; bmm: linalg_gemm2") {
    const NDArray m = nd::array({1, 2, 3, 4}, Shape{2, 2});
    check_array(nd::linalg_gemm(m, m, nd::ones({2, 2})), {2, 2}, {8, 11, 16, 23});
    check_array(nd::linalg_gemm2(m.reshape({1, 2, 2}), m.reshape({1, 2, 2})), {1, 2, 2}, {7, 10, 15, 22});
  }
  SECTION("addcdiv is t + v * (t1 / t2)") {
    check_array(x + 2.0 * (x / nd::full({2, 2}, 4.0)), {2, 2}, {0.75, -0.375, 1.5, 0});
  }
  SECTION("addr, cross, diag, cumsum, cumprod, erf (PyTorch's names)") {
    check_array(nd::addr(nd::zeros({2, 2}), nd::array({1, 2}), nd::array({3, 4})), {2, 2}, {3, 4, 6, 8});
    check_array(nd::cross(nd::array({0, 1, 0}), nd::array({0, 0, 1})), {3}, {1, 0, 0});
    check_array(nd::diag(x), {2}, {0.5, 0});
    check_array(nd::cumsum(x, 1), {2, 2}, {0.5, 0.25, 1, 1});
    check_array(nd::cumprod(x, 0), {2, 2}, {0.5, -0.25, 0.5, 0});
    check_array(nd::erf(x), {2, 2}, {std::erf(0.5), std::erf(-0.25), std::erf(1.0), 0});
  }
  SECTION("apply_ with a C++ callable, data_ptr") {
    NDArray y = x.copy();
    nd::apply_(y, [](double v) { return v * 4; });
    check_array(y, {2, 2}, {2, -1, 4, 0});
    CHECK(y.data_ptr<float>()[1] == -1);
  }
  SECTION("bernoulli, cauchy, exponential, geometric, uniform: draws in their supports") {
    for (double v : test::values(nd::random::bernoulli(x.abs()))) CHECK((v == 0 || v == 1));
    CHECK(nd::random::cauchy(0, 1, {4}).shape() == Shape{4});
    for (double v : test::values(nd::random_exponential(2, {8}))) CHECK(v >= 0);
    for (double v : test::values(nd::random::geometric(0.5, {8}))) CHECK(v >= 1);
    for (double v : test::values(nd::sample_uniform(nd::array({1}), nd::array({2}), {8}))) CHECK((v >= 1 && v < 2));
  }
  SECTION("chunk: split; clamp: clip; clone: copy") {
    check_array(nd::split(x, 2, 1)[1], {2, 1}, {-0.25, 0});
    check_array(x.clip(0, 0.75), {2, 2}, {0.5, 0, 0.75, 0});
    check_array(x.copy(), {2, 2}, {0.5, -0.25, 1, 0});
  }
  SECTION("dist: norm, any order") {
    check_array(nd::norm(nd::array({3, 4})), {}, {5});
    check_array(nd::dist(nd::array({3, 4}), nd::zeros({2}), 1), {}, {7});
  }
  SECTION("expand: broadcast_to; repeat: tile; unsqueeze: expand_dims; view: reshape; view_as: reshape_like") {
    check_array(nd::broadcast_to(nd::array({1, 2}), {2, 2}), {2, 2}, {1, 2, 1, 2});
    check_array(nd::tile(nd::array({1, 2}), {2, 1}), {2, 2}, {1, 2, 1, 2});
    CHECK(x.expand_dims(0).shape() == Shape{1, 2, 2});
    CHECK(x.reshape({4}).shape() == Shape{4});
    CHECK(nd::reshape_like(x, nd::zeros({4, 1})).shape() == Shape{4, 1});
  }
  SECTION("fmod: C's remainder; frac: x - trunc(x)") {
    check_array(nd::fmod(nd::array({-7, 7}), 3.0), {2}, {-1, 1});
    check_array(nd::array({1.5, -2.25}) - nd::trunc(nd::array({1.5, -2.25})), {2}, {0.5, -0.25});
  }
  SECTION("gather: gather_nd; scatter_: scatter_nd (the table's own examples)") {
    const NDArray t = nd::array({1, 2, 3, 4}, Shape{2, 2});
    check_array(nd::gather_nd(t, nd::array({0, 0, 1, 1, 0, 0, 1, 0}, Shape{2, 2, 2})), {2, 2}, {1, 1, 4, 3});
    check_array(nd::scatter_nd(nd::array({1.23, 1.23}), nd::array({0, 1, 2, 3}, Shape{2, 2}), {2, 4}), {2, 4},
                {0, 0, 1.23, 0, 0, 0, 0, 1.23});
  }
  SECTION("gels: least squares; symeig: linalg_syevd") {
    check_array(nd::gels(nd::array({1, 2, 3}, Shape{3, 1}), nd::array({1, 1, 1}, Shape{3, 1})), {1, 1}, {2});
    auto [vectors, values] = nd::linalg_syevd(nd::array({2, 0, 0, 1}, Shape{2, 2}));
    check_array(values, {2}, {1, 2});
    check_array(vectors, {2, 2}, {0, 1, 1, 0});
  }
  SECTION("context, dtype, shape, size, asnumpy, t: T, type: astype, copy_: copyto") {
    CHECK(x.context() == cpu());
    CHECK(x.dtype() == DType::kFloat32);
    CHECK(x.shape() == Shape{2, 2});
    CHECK(x.size() == 4);
    CHECK(x.asnumpy<float>() == std::vector<float>{0.5f, -0.25f, 1, 0});
    check_array(x.T(), {2, 2}, {0.5, 1, -0.25, 0});
    CHECK(x.astype(DType::kFloat64).dtype() == DType::kFloat64);
    NDArray destination = nd::zeros({2, 2});
    x.copyto(destination);
    check_array(destination, {2, 2}, {0.5, -0.25, 1, 0});
  }
  SECTION("zeros, ones, ones_like") {
    check_array(nd::zeros({2, 3}), {2, 3}, {0, 0, 0, 0, 0, 0});
    check_array(nd::ones({2, 3}), {2, 3}, {1, 1, 1, 1, 1, 1});
    check_array(nd::ones_like(x), {2, 2}, {1, 1, 1, 1});
  }
}
