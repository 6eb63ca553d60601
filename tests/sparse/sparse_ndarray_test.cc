// CSRNDArray and RowSparseNDArray: construction, checks, conversion to and from dense, row operations.
#include <catch2/catch.hpp>

#include <sstream>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
namespace sp = mx::nd::sparse;

namespace {
// [[1, 0, 2, 0],
//  [0, 0, 0, 0],
//  [0, 3, 0, 4]]
CSRNDArray example_csr(DType dtype = DType::kFloat32) {
  return sp::csr_matrix({1, 2, 3, 4}, {0, 2, 1, 3}, {0, 2, 2, 4}, Shape{3, 4}, dtype, cpu());
}
const std::vector<double> kExampleDense{1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4};

std::vector<std::int64_t> ints(const NDArray& a) { return a.asnumpy<std::int64_t>(); }
}  // namespace

TEST_CASE("a CSR array from host components holds them and densifies to the matrix they describe") {
  const CSRNDArray a = example_csr();
  CHECK(a.stype() == StorageType::kCSR);
  CHECK(std::string(stype_name(a.stype())) == "csr");
  CHECK(a.shape() == Shape{3, 4});
  CHECK(a.dtype() == DType::kFloat32);
  CHECK(a.nnz() == 4);
  test::check_array(a.data(), Shape{4}, {1, 2, 3, 4});
  CHECK(ints(a.indices()) == std::vector<std::int64_t>{0, 2, 1, 3});
  CHECK(ints(a.indptr()) == std::vector<std::int64_t>{0, 2, 2, 4});
  CHECK(a.indices().dtype() == DType::kInt64);
  test::check_array(a.todense(), Shape{3, 4}, kExampleDense);
  CHECK(a.asnumpy<double>() == kExampleDense);
  std::ostringstream os;
  os << a;
  CHECK(os.str() == "<CSRNDArray 3x4 @cpu(0)>");
}

TEST_CASE("a row-sparse array from host components stores only its rows") {
  const RowSparseNDArray a = sp::row_sparse_array({1, 2, 3, 4}, {1, 3}, Shape{4, 2}, DType::kFloat64, cpu());
  CHECK(a.stype() == StorageType::kRowSparse);
  CHECK(std::string(stype_name(a.stype())) == "row_sparse");
  test::check_array(a.data(), Shape{2, 2}, {1, 2, 3, 4});
  CHECK(ints(a.indices()) == std::vector<std::int64_t>{1, 3});
  CHECK(a.nnz() == 4);
  test::check_array(a.todense(), Shape{4, 2}, {0, 0, 1, 2, 0, 0, 3, 4});
  std::ostringstream os;
  os << a;
  CHECK(os.str() == "<RowSparseNDArray 4x2 @cpu(0)>");
}

TEST_CASE("empty sparse arrays are all zeros with nothing stored") {
  const CSRNDArray c = sp::csr_matrix(Shape{2, 3});
  CHECK(c.nnz() == 0);
  CHECK(c.data().shape() == Shape{0});
  CHECK(ints(c.indptr()) == std::vector<std::int64_t>{0, 0, 0});
  test::check_array(c.todense(), Shape{2, 3}, std::vector<double>(6, 0));
  const RowSparseNDArray r = sp::row_sparse_array(Shape{3, 2, 2});
  CHECK(r.data().shape() == Shape{0, 2, 2});
  test::check_array(r.todense(), Shape{3, 2, 2}, std::vector<double>(12, 0));
}

TEST_CASE("malformed host components are refused at the call, naming what is wrong") {
  const auto csr = [](std::vector<std::int64_t> indices, std::vector<std::int64_t> indptr) {
    return sp::csr_matrix({1, 2}, indices, indptr, Shape{2, 3});
  };
  CHECK_THROWS_WITH(csr({0, 1}, {0, 2}), Catch::Contains("indptr has 2 entries") && Catch::Contains("needs 3"));
  CHECK_THROWS_WITH(csr({0, 1}, {0, 2, 1}), Catch::Contains("end at the number of values (2)"));
  CHECK_THROWS_WITH(csr({0, 1}, {0, 3, 2}), Catch::Contains("indptr decreases at row 1"));
  CHECK_THROWS_WITH(csr({0, 3}, {0, 1, 2}), Catch::Contains("column index 3 in row 1 is out of range for 3"));
  CHECK_THROWS_WITH(csr({2, 1}, {0, 2, 2}), Catch::Contains("column indices of row 0 must increase"));
  CHECK_THROWS_AS(csr({0}, {0, 1, 2}), ShapeError);
  CHECK_THROWS_AS(sp::csr_matrix({1}, {0}, {0, 1}, Shape{1, 2, 3}), ShapeError);
  CHECK_THROWS_WITH(sp::row_sparse_array({1, 2}, {1, 1}, Shape{3}), Catch::Contains("row indices must increase"));
  CHECK_THROWS_WITH(sp::row_sparse_array({1, 2}, {0, 3}, Shape{3}), Catch::Contains("row index 3 is out of range"));
  CHECK_THROWS_WITH(sp::row_sparse_array({1, 2, 3}, {0}, Shape{3, 2}), Catch::Contains("need 2 values"));
  CHECK_THROWS_AS(sp::csr_matrix(Shape{2, 2}, DType::kInt32), DTypeError);
  CHECK_THROWS_WITH(sp::csr_matrix(Shape{2, 2}, DType::kFloat32, gpu(0)),
                    Catch::Contains("sparse arrays live on CPU contexts") && Catch::Contains("gpu(0)"));
}

TEST_CASE("a CSR array from arrays is checked when it is computed, and the engine goes on") {
  const NDArray data = nd::array({5, 6, 7});
  const CSRNDArray good = sp::csr_matrix(data, nd::array({2, 0, 1}), nd::array({0, 1, 3}), Shape{2, 3});
  test::check_array(good.todense(), Shape{2, 3}, {0, 0, 5, 6, 7, 0});
  CHECK(good.indices().dtype() == DType::kInt64);

  const CSRNDArray bad = sp::csr_matrix(data, nd::array({2, 9, 1}), nd::array({0, 1, 3}), Shape{2, 3});
  CHECK_THROWS_WITH(bad.wait_to_read(), Catch::Contains("csr_matrix") && Catch::Contains("column index 9"));
  CHECK_THROWS_WITH(bad.todense().asnumpy<float>(), Catch::Contains("column index 9"));
  CHECK_THROWS_AS(sp::csr_matrix(data, nd::array({0, 1}), nd::array({0, 1, 3}), Shape{2, 3}), ShapeError);
  CHECK_THROWS_AS(sp::csr_matrix(data, nd::array({0, 1, 2}), nd::array({0, 3}), Shape{2, 3}), ShapeError);
  CHECK(nd::ones({2}).sum().asscalar<float>() == 2);  // still working

  const RowSparseNDArray rows = sp::row_sparse_array(nd::array({1, 2, 3, 4}, Shape{2, 2}), nd::array({0, 2}), Shape{3, 2});
  test::check_array(rows.todense(), Shape{3, 2}, {1, 2, 0, 0, 3, 4});
  CHECK_THROWS_AS(sp::row_sparse_array(nd::array({1, 2, 3, 4}, Shape{2, 2}), nd::array({0}), Shape{3, 2}), ShapeError);
}

TEST_CASE("dense arrays convert to CSR and row sparse, keeping exactly their non-zero entries") {
  const NDArray dense = nd::array(kExampleDense, Shape{3, 4});
  const CSRNDArray c = sp::csr_matrix(dense);
  test::check_array(c.data(), Shape{4}, {1, 2, 3, 4});
  CHECK(ints(c.indices()) == std::vector<std::int64_t>{0, 2, 1, 3});
  CHECK(ints(c.indptr()) == std::vector<std::int64_t>{0, 2, 2, 4});
  const RowSparseNDArray r = sp::row_sparse_array(dense);
  CHECK(ints(r.indices()) == std::vector<std::int64_t>{0, 2});
  test::check_array(r.data(), Shape{2, 4}, {1, 0, 2, 0, 0, 3, 0, 4});
  test::check_array(r.todense(), Shape{3, 4}, kExampleDense);
  CHECK_THROWS_AS(sp::csr_matrix(nd::ones({2, 2, 2})), ShapeError);
}

TEST_CASE("CSR rows slice and copy, row-sparse rows are retained by number") {
  const CSRNDArray a = example_csr();
  const CSRNDArray rows = a.slice(1, 3);
  CHECK(rows.shape() == Shape{2, 4});
  CHECK(ints(rows.indptr()) == std::vector<std::int64_t>{0, 0, 2});
  test::check_array(rows.todense(), Shape{2, 4}, {0, 0, 0, 0, 0, 3, 0, 4});
  test::check_array(a.slice(-1, 3).todense(), Shape{1, 4}, {0, 3, 0, 4});
  CHECK_THROWS_AS(a.slice(2, 5), IndexError);
  test::check_array(a.copy().todense(), Shape{3, 4}, kExampleDense);

  const RowSparseNDArray r = sp::row_sparse_array({1, 2, 3, 4, 5, 6}, {0, 2, 3}, Shape{5, 2});
  const RowSparseNDArray kept = r.retain(nd::array({4, 3, 0}));
  CHECK(ints(kept.indices()) == std::vector<std::int64_t>{0, 3});
  test::check_array(kept.todense(), Shape{5, 2}, {1, 2, 0, 0, 0, 0, 5, 6, 0, 0});
  test::check_array(r.copy().data(), Shape{3, 2}, {1, 2, 3, 4, 5, 6});
}
