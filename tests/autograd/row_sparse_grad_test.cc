// Variables whose gradients are kept row sparse: rows taken from them come back as rows, summed where they
// repeat; any other use is converted. Checked by hand and against the dense gradient of the same computation.
#include <catch2/catch.hpp>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
namespace sp = mx::nd::sparse;

namespace {
std::vector<std::int64_t> row_numbers(const RowSparseNDArray& g) { return g.indices().asnumpy<std::int64_t>(); }

NDArray embedding_table() { return nd::arange(0, 15, 1, 1, cpu(), DType::kFloat64).reshape({5, 3}); }
}  // namespace

TEST_CASE("rows taken from a row-sparse variable come back as those rows, summed where they repeat") {
  NDArray x = embedding_table();
  autograd::attach_row_sparse_grad(x);
  const NDArray head = nd::array({1, 2, 3, 10, 20, 30, 100, 200, 300}, Shape{3, 3}, cpu(), DType::kFloat64);
  NDArray y;
  {
    autograd::record r;
    y = nd::take(x, nd::array({1, 3, 1}), 0);
  }
  y.backward(head);
  const RowSparseNDArray g = autograd::row_sparse_grad(x);
  CHECK(row_numbers(g) == std::vector<std::int64_t>{1, 3});
  test::check_array(g.data(), Shape{2, 3}, {101, 202, 303, 10, 20, 30});
  CHECK_THROWS_WITH(x.grad(), Catch::Contains("row sparse") && Catch::Contains("row_sparse_grad"));
  NDArray dense = embedding_table();
  CHECK_THROWS_WITH(autograd::row_sparse_grad(dense), Catch::Contains("no row-sparse gradient buffer"));
}

TEST_CASE("an embedding's row-sparse gradient equals its dense gradient, rows outside the batch left out") {
  const NDArray data = nd::array({4, 0, 4, 2, 9}, Shape{5});  // 9 is clipped to row 4, as take clips it
  const NDArray w2 = nd::random::uniform(-1, 1, {5, 3}, cpu(), DType::kFloat64);
  const auto loss = [&](const NDArray& x) { return (nd::tanh(nd::Embedding(data, x)) * w2).sum(); };

  NDArray sparse = embedding_table(), dense = embedding_table();
  autograd::attach_row_sparse_grad(sparse);
  dense.attach_grad();
  NDArray ls, ld;
  {
    autograd::record r;
    ls = loss(sparse);
    ld = loss(dense);
  }
  ls.backward();
  ld.backward();
  const RowSparseNDArray g = autograd::row_sparse_grad(sparse);
  CHECK(row_numbers(g) == std::vector<std::int64_t>{0, 2, 4});
  test::check_array(g.todense(), Shape{5, 3}, dense.grad().asnumpy<double>(), 1e-12);
}

TEST_CASE("row-sparse gradients accumulate with grad_req add, and a write with no rows leaves none") {
  NDArray x = embedding_table();
  autograd::attach_row_sparse_grad(x, GradReq::kAdd);
  for (const double row : {0.0, 3.0}) {
    NDArray y;
    {
      autograd::record r;
      y = nd::take(x, nd::array({row}), 0).sum();
    }
    y.backward();
  }
  const RowSparseNDArray g = autograd::row_sparse_grad(x);
  CHECK(row_numbers(g) == std::vector<std::int64_t>{0, 3});
  test::check_array(g.data(), Shape{2, 3}, {1, 1, 1, 1, 1, 1});

  NDArray z = embedding_table();
  autograd::attach_row_sparse_grad(z);
  NDArray other = nd::ones({2}, cpu(), DType::kFloat64);
  other.attach_grad();
  NDArray y;
  {
    autograd::record r;
    y = nd::take(z, nd::array({1.0}), 0).sum() * 0 + other.sum();
  }
  y.backward();
  CHECK(row_numbers(autograd::row_sparse_grad(z)) == std::vector<std::int64_t>{1});  // zeros, but taken
}

TEST_CASE("a dense use of a row-sparse variable is converted, and autograd::grad answers densely") {
  NDArray x = embedding_table();
  autograd::attach_row_sparse_grad(x);
  NDArray y;
  {
    autograd::record r;
    y = nd::take(x, nd::array({2.0}), 0).sum() + (x.slice(0, 1) * 2).sum();
  }
  y.backward(NDArray(), /*retain_graph=*/true);
  const RowSparseNDArray g = autograd::row_sparse_grad(x);
  CHECK(row_numbers(g) == std::vector<std::int64_t>{0, 2});
  test::check_array(g.todense(), Shape{5, 3}, {2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0});
  const std::vector<NDArray> dense = autograd::grad({y}, {x});
  test::check_array(dense[0], Shape{5, 3}, {2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("the product of a CSR batch and a row-sparse weight gives the rows of the batch's features") {
  const CSRNDArray batch = sp::csr_matrix({1, -2, 3}, {1, 4, 1}, {0, 2, 3}, Shape{2, 6}, DType::kFloat64);
  NDArray sparse = nd::random::uniform(-1, 1, {6, 2}, cpu(), DType::kFloat64);
  NDArray dense = sparse.copy();
  autograd::attach_row_sparse_grad(sparse);
  dense.attach_grad();
  const NDArray head = nd::array({1, 2, 3, 4}, Shape{2, 2}, cpu(), DType::kFloat64);
  NDArray ys, yd;
  {
    autograd::record r;
    ys = sp::dot(batch, sparse);
    yd = sp::dot(batch, dense);
  }
  ys.backward(head);
  yd.backward(head);
  const RowSparseNDArray g = autograd::row_sparse_grad(sparse);
  CHECK(row_numbers(g) == std::vector<std::int64_t>{1, 4});
  // column 1: 1 * [1, 2] + 3 * [3, 4]; column 4: -2 * [1, 2]
  test::check_array(g.data(), Shape{2, 2}, {10, 14, -2, -4});
  test::check_array(g.todense(), Shape{6, 2}, dense.grad().asnumpy<double>());
}
