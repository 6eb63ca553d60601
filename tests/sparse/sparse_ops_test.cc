// Operators on sparse arrays against hand-worked products and sums, and their gradients against finite
// differences.
#include <catch2/catch.hpp>

#include <mx/mx.h>

#include "gradient_check.h"
#include "test_util.h"

using namespace mx;
namespace sp = mx::nd::sparse;

namespace {
// [[1, 0, 2],
//  [0, 0, 0],
//  [0, 3, 0]]
CSRNDArray lhs(DType dtype = DType::kFloat32) {
  return sp::csr_matrix({1, 2, 3}, {0, 2, 1}, {0, 2, 2, 3}, Shape{3, 3}, dtype, cpu());
}
std::vector<std::int64_t> stored(const NDArray& a) { return a.asnumpy<std::int64_t>(); }
}  // namespace

TEST_CASE("dot of CSR and dense multiplies only the stored values") {
  const NDArray rhs = nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  // row 0: 1*[1,2] + 2*[5,6] = [11, 14]; row 1: 0; row 2: 3*[3,4] = [9, 12]
  test::check_array(sp::dot(lhs(), rhs), Shape{3, 2}, {11, 14, 0, 0, 9, 12});
  // lhs^T: column 0 gets 1*row0, column 1 gets 3*row2, column 2 gets 2*row0
  const NDArray rows = nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  test::check_array(sp::dot(lhs(), rows, true), Shape{3, 2}, {1, 2, 15, 18, 2, 4});
  CHECK_THROWS_WITH(sp::dot(lhs(), nd::ones({2, 2})), Catch::Contains("dot") && Catch::Contains("(3, 3)") &&
                                                          Catch::Contains("(2, 2)"));
  CHECK_THROWS_AS(sp::dot(lhs(), nd::ones({3, 2}, cpu(), DType::kFloat64)), DTypeError);
  CHECK_THROWS_AS(sp::dot(lhs(), nd::ones({3})), ShapeError);
}

TEST_CASE("dot of a transposed CSR array can give only the rows of its stored columns") {
  const CSRNDArray a = sp::csr_matrix({1, 2, 3}, {0, 4, 2}, {0, 2, 2, 3}, Shape{3, 6});
  const NDArray rhs = nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  const RowSparseNDArray g = sp::dot_row_sparse(a, rhs);
  CHECK(g.shape() == Shape{6, 2});
  CHECK(stored(g.indices()) == std::vector<std::int64_t>{0, 2, 4});
  test::check_array(g.data(), Shape{3, 2}, {1, 2, 15, 18, 2, 4});
  test::check_array(g.todense(), Shape{6, 2}, {1, 2, 0, 0, 15, 18, 0, 0, 2, 4, 0, 0});
}

TEST_CASE("dot of dense and CSR, plain and with the CSR operand transposed") {
  const NDArray a = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  // [1,2,3] . lhs = [1*1, 3*3, 1*2] = [1, 9, 2]; [4,5,6] . lhs = [4, 18, 8]
  test::check_array(sp::dot(a, lhs()), Shape{2, 3}, {1, 9, 2, 4, 18, 8});
  // a . lhs^T: out[i, p] = sum over row p of a[i, column] * value: row 0 = a[:,0]*1 + a[:,2]*2, row 2 = a[:,1]*3
  test::check_array(sp::dot(a, lhs(), true), Shape{2, 3}, {7, 0, 6, 16, 0, 15});
  CHECK_THROWS_AS(sp::dot(nd::ones({2, 2}), lhs()), ShapeError);
}

TEST_CASE("dot with a CSR operand differentiates for its dense operand") {
  const CSRNDArray a = lhs(DType::kFloat64);
  const CSRNDArray wide = sp::csr_matrix({1, -2, 0.5, 3}, {1, 3, 0, 2}, {0, 2, 3, 4}, Shape{3, 4}, DType::kFloat64);
  SECTION("csr . w") {
    test::check_gradient({.f = [&](const std::vector<NDArray>& in) { return sp::dot(wide, in[0]); },
                          .shapes = {Shape{4, 2}}});
  }
  SECTION("csr^T . w") {
    test::check_gradient({.f = [&](const std::vector<NDArray>& in) { return sp::dot(wide, in[0], true); },
                          .shapes = {Shape{3, 2}}});
  }
  SECTION("x . csr") {
    test::check_gradient({.f = [&](const std::vector<NDArray>& in) { return sp::dot(in[0], a); },
                          .shapes = {Shape{2, 3}}});
  }
  SECTION("x . csr^T") {
    test::check_gradient({.f = [&](const std::vector<NDArray>& in) { return sp::dot(in[0], wide, true); },
                          .shapes = {Shape{2, 4}}});
  }
  SECTION("through further operators") {
    test::check_gradient({.f = [&](const std::vector<NDArray>& in) { return nd::tanh(sp::dot(wide, in[0])) * in[1]; },
                          .shapes = {Shape{4, 2}, Shape{3, 2}}});
  }
}

TEST_CASE("sums of row-sparse arrays store the union of their rows") {
  const RowSparseNDArray a = sp::row_sparse_array({1, 2, 3, 4}, {0, 2}, Shape{4, 2});
  const RowSparseNDArray b = sp::row_sparse_array({10, 20, 30, 40}, {2, 3}, Shape{4, 2});
  const RowSparseNDArray sum = sp::add(a, b);
  CHECK(stored(sum.indices()) == std::vector<std::int64_t>{0, 2, 3});
  test::check_array(sum.data(), Shape{3, 2}, {1, 2, 13, 24, 30, 40});
  test::check_array(sp::subtract(a, b).todense(), Shape{4, 2}, {1, 2, 0, 0, -7, -16, -30, -40});
  const RowSparseNDArray c = sp::row_sparse_array({100, 200}, {1}, Shape{4, 2});
  test::check_array(sp::add_n({a, b, c}).todense(), Shape{4, 2}, {1, 2, 100, 200, 13, 24, 30, 40});
  test::check_array(sp::add(nd::ones({4, 2}), a), Shape{4, 2}, {2, 3, 1, 1, 4, 5, 1, 1});
  test::check_array(sp::multiply(a, -2).todense(), Shape{4, 2}, {-2, -4, 0, 0, -6, -8, 0, 0});
  test::check_array(sp::multiply(lhs(), 0.5).todense(), Shape{3, 3}, {0.5, 0, 1, 0, 0, 0, 0, 1.5, 0});
  CHECK(sp::square_sum(a).asscalar<float>() == 30);
  CHECK(sp::square_sum(lhs()).asscalar<float>() == 14);
  CHECK_THROWS_AS(sp::add(a, sp::row_sparse_array(Shape{4, 3})), ShapeError);
  CHECK_THROWS_AS(sp::add(a, sp::row_sparse_array(Shape{4, 2}, DType::kFloat64)), DTypeError);
  CHECK_THROWS_AS(sp::add(nd::ones({4, 3}), a), ShapeError);
  CHECK_THROWS(sp::add_n({}));
}

TEST_CASE("loose rows sum into a row-sparse array, in order of their numbers, over any range of rows") {
  const NDArray values = nd::array({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Shape{5, 2});
  const RowSparseNDArray g = sp::row_sparse_sum_rows(values, nd::array({70000, 5, 4097, 5, 70000}), Shape{1 << 20, 2});
  CHECK(stored(g.indices()) == std::vector<std::int64_t>{5, 4097, 70000});
  test::check_array(g.data(), Shape{3, 2}, {3 + 7, 4 + 8, 5, 6, 1 + 9, 2 + 10});
  // Numbers past the end are clipped to the last row, as take clips them.
  const RowSparseNDArray clipped = sp::row_sparse_sum_rows(values.slice(0, 2), nd::array({9, -1}), Shape{4, 2});
  CHECK(stored(clipped.indices()) == std::vector<std::int64_t>{0, 3});
  const CSRNDArray wide = sp::csr_matrix({2, 1, 3}, {2049, 1048575, 2049}, {0, 2, 3}, Shape{2, 1 << 20});
  const RowSparseNDArray product = sp::dot_row_sparse(wide, nd::array({1, 10}, Shape{2, 1}));
  CHECK(stored(product.indices()) == std::vector<std::int64_t>{2049, 1048575});
  test::check_array(product.data(), Shape{2, 1}, {2 + 30, 1});
  CHECK_THROWS_AS(sp::row_sparse_sum_rows(values, nd::array({1, 2}), Shape{4, 2}), ShapeError);
}

TEST_CASE("zero-preserving functions map the stored values, CSR sums run along either axis") {
  const CSRNDArray a = sp::csr_matrix({-4, 9, 2.5}, {0, 2, 1}, {0, 2, 2, 3}, Shape{3, 3});
  test::check_array(sp::map_values(a, sp::ZeroPreserving::kAbs).todense(), Shape{3, 3}, {4, 0, 9, 0, 0, 0, 0, 2.5, 0});
  test::check_array(sp::map_values(a, sp::ZeroPreserving::kSign).data(), Shape{3}, {-1, 1, 1});
  test::check_array(sp::map_values(a, sp::ZeroPreserving::kRelu).data(), Shape{3}, {0, 9, 2.5});
  test::check_array(sp::map_values(a, sp::ZeroPreserving::kSquare).data(), Shape{3}, {16, 81, 6.25});
  test::check_array(sp::map_values(a, sp::ZeroPreserving::kFloor).data(), Shape{3}, {-4, 9, 2});
  test::check_array(sp::map_values(a, sp::ZeroPreserving::kLog1p).data(), Shape{3},
                    {std::log1p(-4.0), std::log1p(9.0), std::log1p(2.5)}, 1e-5);
  const RowSparseNDArray r = sp::row_sparse_array({1, 4, 9, 16}, {1, 2}, Shape{3, 2});
  const RowSparseNDArray roots = sp::map_values(r, sp::ZeroPreserving::kSqrt);
  CHECK(stored(roots.indices()) == std::vector<std::int64_t>{1, 2});
  test::check_array(roots.data(), Shape{2, 2}, {1, 2, 3, 4});
  test::check_array(sp::sum(a, 0), Shape{3}, {-4, 2.5, 9});
  test::check_array(sp::sum(a, -1), Shape{3}, {5, 0, 2.5});
  CHECK_THROWS_AS(sp::sum(a, 2), ShapeError);
}

TEST_CASE("sparse arrays move between CPU contexts") {
  const CSRNDArray a = lhs();
  const CSRNDArray moved = a.as_in_context(cpu(1));
  CHECK(moved.context() == cpu(1));
  test::check_array(moved.todense(), Shape{3, 3}, a.asnumpy<double>());
  CHECK(a.as_in_context(cpu(0)).chunk() == a.chunk());
  const RowSparseNDArray r = sp::row_sparse_array({1, 2}, {3}, Shape{4, 2});
  CHECK(r.as_in_context(cpu(1)).todense().context() == cpu(1));
  CHECK_THROWS_WITH(a.as_in_context(gpu(0)), Catch::Contains("gpu(0)"));
}

TEST_CASE("copyto fills an existing row-sparse array, leaving a source that is still held intact") {
  const RowSparseNDArray a = sp::row_sparse_array({1, 2}, {3}, Shape{4, 2});
  RowSparseNDArray first = sp::row_sparse_array(Shape{4, 2}), second = sp::row_sparse_array(Shape{4, 2});
  const std::uint64_t before = first.version();
  sp::copyto(a, first);
  sp::copyto(a, second);
  CHECK(first.version() == before + 1);
  for (const RowSparseNDArray& r : {a, first, second}) {
    CHECK(stored(r.indices()) == std::vector<std::int64_t>{3});
    test::check_array(r.data(), Shape{1, 2}, {1, 2});
  }
  // A source no one holds any more gives its buffers up: the result is the same.
  sp::copyto(sp::multiply(a, 3), first);
  test::check_array(first.todense(), Shape{4, 2}, {0, 0, 0, 0, 0, 0, 3, 6});
  CHECK_THROWS_AS(sp::copyto(a, second = sp::row_sparse_array(Shape{4, 3})), ShapeError);
}
