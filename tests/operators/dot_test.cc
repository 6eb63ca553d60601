// dot, batch_dot and FullyConnected against hand-computed products.
#include <mx/operators/blas.h>
#include <mx/operators/symbolic.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("dot multiplies matrices, with transposes", "[operators][dot]") {
  NDArray a = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  NDArray b = nd::array({7, 8, 9, 10, 11, 12}, Shape{3, 2});
  check_array(nd::dot(a, b), {2, 2}, {58, 64, 139, 154});
  check_array(nd::dot(a, a, false, true), {2, 2}, {14, 32, 32, 77});
  check_array(nd::dot(a, a, true, false), {3, 3}, {17, 22, 27, 22, 29, 36, 27, 36, 45});
  check_array(nd::dot(b, a, true, true), {2, 2}, {58, 139, 64, 154});  // (ab) transposed
  check_array(nd::dot(nd::array({1, 2, 3}), nd::array({4, 5, 6})), {1}, {32});
  check_array(nd::dot(nd::array({1, 2}), b.T()), {3}, {23, 29, 35});
  NDArray t = nd::arange(12).reshape({2, 2, 3});
  check_array(nd::dot(t, nd::ones({3, 1})), {2, 2, 1}, {3, 12, 21, 30});
  check_array(nd::dot(nd::zeros({2, 0}), nd::zeros({0, 3})), {2, 3}, {0, 0, 0, 0, 0, 0});
}

TEST_CASE("large products split across workers match a plain loop", "[operators][dot]") {
  const std::int64_t m = 300, k = 70, n = 50;
  NDArray a = nd::random::uniform(-1, 1, {m, k}, cpu(), DType::kFloat64);
  NDArray b = nd::random::uniform(-1, 1, {k, n}, cpu(), DType::kFloat64);
  const std::vector<double> av = test::values(a), bv = test::values(b), cv = test::values(nd::dot(a, b));
  for (std::int64_t i = 0; i < m; i += 7) {
    for (std::int64_t j = 0; j < n; j += 3) {
      double want = 0;
      for (std::int64_t p = 0; p < k; ++p) want += av[i * k + p] * bv[p * n + j];
      CHECK(cv[i * n + j] == Approx(want).epsilon(1e-12));
    }
  }
}

TEST_CASE("wide products with few rows split by columns and match a plain loop", "[operators][dot]") {
  const std::int64_t m = 40, k = 120, n = 1500;  // few rows, many columns: a convolution's product at batch 1
  NDArray a = nd::random::uniform(-1, 1, {m, k}, cpu(), DType::kFloat64);
  NDArray b = nd::random::uniform(-1, 1, {k, n}, cpu(), DType::kFloat64);
  NDArray bt = b.transpose();
  const std::vector<double> av = test::values(a), bv = test::values(b);
  for (const NDArray& product : {nd::dot(a, b), nd::dot(a, bt, false, true)}) {
    const std::vector<double> cv = test::values(product);
    for (std::int64_t i = 0; i < m; i += 3) {
      for (std::int64_t j = 0; j < n; j += 37) {
        double want = 0;
        for (std::int64_t p = 0; p < k; ++p) want += av[i * k + p] * bv[p * n + j];
        CHECK(cv[i * n + j] == Approx(want).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("deep products with a small result split along k and match a plain loop", "[operators][dot]") {
  // A convolution's weight gradient: filters x patch size, summed over every pixel of a batch. Each transpose
  // case, with alpha and beta, and with a row bias, in float64 and float32.
  const std::int64_t m = 20, n = 25, k = 9000;
  for (DType dtype : {DType::kFloat64, DType::kFloat32}) {
    const NDArray a = nd::random::uniform(-1, 1, {m * k}, cpu(), dtype), b = nd::random::uniform(-1, 1, {k * n}, cpu(), dtype);
    const NDArray bias = nd::random::uniform(-1, 1, {n}, cpu(), dtype);
    const std::vector<double> av = test::values(a), bv = test::values(b), biasv = test::values(bias);
    for (const bool trans_a : {false, true}) {
      for (const bool trans_b : {false, true}) {
        for (const bool with_bias : {false, true}) {
          CAPTURE(dtype_name(dtype), trans_a, trans_b, with_bias);
          op::GemmArgs g{.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k, .alpha = 0.5,
                         .beta = with_bias ? 0.0 : 2.0, .row_bias = nullptr};
          NDArray c = nd::full({m, n}, 3, cpu(), dtype);
          if (with_bias) g.row_bias = bias.data_ptr();
          op::gemm(g, dtype, a.data_ptr(), b.data_ptr(), c.data_ptr());
          const std::vector<double> cv = test::values(c);
          for (std::int64_t i = 0; i < m; ++i) {
            for (std::int64_t j = 0; j < n; ++j) {
              double sum = 0;
              for (std::int64_t p = 0; p < k; ++p) {
                sum += av[trans_a ? p * m + i : i * k + p] * bv[trans_b ? j * k + p : p * n + j];
              }
              const double want = (with_bias ? biasv[j] : 2.0 * 3.0) + 0.5 * sum;
              CHECK(cv[i * n + j] == Approx(want).epsilon(dtype == DType::kFloat64 ? 1e-12 : 1e-4).margin(1e-3));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("FullyConnected's bias, added in each worker's slice, matches a plain loop split either way",
          "[operators][dot][fc]") {
  struct Case {
    std::int64_t batch, in, hidden;
  };
  // W the largest operand (split by columns); many rows and a small W (split by rows); few outputs (OpenBLAS's
  // small-matrix kernels, over blocks of 102 and 28 rows).
  for (const Case& c : {Case{128, 300, 256}, Case{600, 70, 64}, Case{130, 256, 10}}) {
    NDArray x = nd::random::uniform(-1, 1, {c.batch, c.in}, cpu(), DType::kFloat64);
    NDArray w = nd::random::uniform(-1, 1, {c.hidden, c.in}, cpu(), DType::kFloat64);
    NDArray bias = nd::random::uniform(-1, 1, {c.hidden}, cpu(), DType::kFloat64);
    const std::vector<double> xv = test::values(x), wv = test::values(w), bv = test::values(bias),
                              yv = test::values(nd::FullyConnected(x, w, bias, c.hidden));
    for (std::int64_t i = 0; i < c.batch; i += 5) {
      for (std::int64_t j = 0; j < c.hidden; j += 3) {
        double want = bv[j];
        for (std::int64_t p = 0; p < c.in; ++p) want += xv[i * c.in + p] * wv[j * c.in + p];
        CHECK(yv[i * c.hidden + j] == Approx(want).epsilon(1e-12).margin(1e-12));
      }
    }
  }
  // 16-bit data adds its bias after the product.
  NDArray x16 = nd::array({1, 2, 3, 4}, Shape{2, 2}, cpu(), DType::kFloat16);
  NDArray b16 = nd::array({10, 20}, Shape{2}, cpu(), DType::kFloat16);
  check_array(nd::FullyConnected(x16, x16, b16, 2), {2, 2}, {15, 31, 21, 45});
  const float one = 1;
  CHECK_THROWS_WITH(op::gemm({.m = 1, .n = 1, .k = 1, .row_bias = &one}, DType::kFloat16, &one, &one, nullptr),
                    Contains("gemm: a row bias needs float32 or float64"));
}

TEST_CASE("the row sums of op(A) come with the product on every way of splitting it", "[operators][dot]") {
  struct Case {
    std::int64_t m, n, k;
  };
  // Split by rows (each worker sums its rows), by columns, along k, and not at all (sums after the product).
  for (const Case& c : {Case{300, 50, 70}, Case{40, 1500, 120}, Case{20, 25, 9000}, Case{3, 5, 4}}) {
    for (DType dtype : {DType::kFloat64, DType::kFloat32}) {
      const NDArray a = nd::random::uniform(-1, 1, {c.m * c.k}, cpu(), dtype);
      const NDArray b = nd::random::uniform(-1, 1, {c.k * c.n}, cpu(), dtype);
      const std::vector<double> av = test::values(a);
      for (const bool trans_a : {false, true}) {
        CAPTURE(c.m, c.n, c.k, dtype_name(dtype), trans_a);
        NDArray product = nd::zeros({c.m, c.n}, cpu(), dtype), sums = nd::full({c.m}, 7, cpu(), dtype);
        op::gemm({.trans_a = trans_a, .m = c.m, .n = c.n, .k = c.k, .a_row_sums = sums.data_ptr()}, dtype,
                 a.data_ptr(), b.data_ptr(), product.data_ptr());
        const std::vector<double> sv = test::values(sums);
        for (std::int64_t i = 0; i < c.m; ++i) {
          double want = 0;
          for (std::int64_t p = 0; p < c.k; ++p) want += av[trans_a ? p * c.m + i : i * c.k + p];
          CHECK(sv[i] == Approx(want).epsilon(dtype == DType::kFloat64 ? 1e-12 : 1e-5).margin(1e-4));
        }
        CHECK(test::values(product) == test::values(nd::dot(a.reshape(trans_a ? Shape{c.k, c.m} : Shape{c.m, c.k}),
                                                             b.reshape({c.k, c.n}), trans_a)));
      }
    }
  }
  float one = 1;
  CHECK_THROWS_WITH(op::gemm({.m = 1, .n = 1, .k = 1, .a_row_sums = &one}, DType::kFloat16, &one, &one, &one),
                    Contains("gemm: the row sums of A need float32 or float64"));
  CHECK_THROWS_WITH(op::gemm({.m = 1, .n = 1, .k = 0, .a_row_sums = &one}, DType::kFloat32, &one, &one, &one),
                    Contains("no empty extent"));
}

TEST_CASE("FullyConnected's weight and bias gradients, taken in one operation, match hand sums",
          "[operators][dot][fc][autograd]") {
  // dW = g^T x and db = the column sums of g, into the parameters' gradient buffers (write: each backward
  // overwrites; add: accumulates); dx = g W beside them. The first layer of the seed MLP is split across
  // workers; the small one is not.
  struct Case {
    std::int64_t batch, in, hidden;
  };
  for (const Case& c : {Case{128, 300, 256}, Case{6, 5, 4}}) {
    for (DType dtype : {DType::kFloat64, DType::kFloat32}) {
      for (GradReq req : {GradReq::kWrite, GradReq::kAdd}) {
        CAPTURE(c.batch, c.in, c.hidden, dtype_name(dtype), req == GradReq::kAdd);
        NDArray x = nd::random::uniform(-1, 1, {c.batch, c.in}, cpu(), dtype);
        NDArray w = nd::random::uniform(-1, 1, {c.hidden, c.in}, cpu(), dtype);
        NDArray bias = nd::random::uniform(-1, 1, {c.hidden}, cpu(), dtype);
        const NDArray head = nd::random::uniform(-1, 1, {c.batch, c.hidden}, cpu(), dtype);
        x.attach_grad();
        w.attach_grad(req);
        bias.attach_grad(req);
        for (int pass = 0; pass < 2; ++pass) {
          NDArray y;
          {
            autograd::record r;
            y = nd::FullyConnected(x, w, bias, static_cast<int>(c.hidden));
          }
          y.backward(head);
        }
        const double times = req == GradReq::kAdd ? 2 : 1;
        const std::vector<double> xv = test::values(x), wv = test::values(w), gv = test::values(head),
                                  dw = test::values(w.grad()), db = test::values(bias.grad()),
                                  dx = test::values(x.grad());
        const double eps = dtype == DType::kFloat64 ? 1e-12 : 1e-5;
        for (std::int64_t j = 0; j < c.hidden; ++j) {
          double sum = 0;
          for (std::int64_t i = 0; i < c.batch; ++i) sum += gv[i * c.hidden + j];
          CHECK(db[j] == Approx(times * sum).epsilon(eps).margin(1e-4));
          for (std::int64_t p = 0; p < c.in; p += 7) {
            double product = 0;
            for (std::int64_t i = 0; i < c.batch; ++i) product += gv[i * c.hidden + j] * xv[i * c.in + p];
            CHECK(dw[j * c.in + p] == Approx(times * product).epsilon(eps).margin(1e-4));
          }
        }
        for (std::int64_t i = 0; i < c.batch; i += 5) {
          for (std::int64_t p = 0; p < c.in; p += 11) {
            double product = 0;
            for (std::int64_t j = 0; j < c.hidden; ++j) product += gv[i * c.hidden + j] * wv[j * c.in + p];
            CHECK(dx[i * c.in + p] == Approx(product).epsilon(eps).margin(1e-4));
          }
        }
      }
    }
  }
}

TEST_CASE("the fused weight and bias gradient, called by name, gives both and checks its operands",
          "[operators][dot][fc]") {
  const op::SymbolOp* fused = op::find_symbol_op("_backward_FullyConnected_weight_bias");
  REQUIRE(fused != nullptr);
  const NDArray g = nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2}), x = nd::array({1, 0, 2, 1, 0, 3}, Shape{3, 2});
  const std::array<NDArray, 2> in{g, x};
  const std::vector<NDArray> out = fused->call({}, in);
  REQUIRE(out.size() == 2);
  check_array(out[0], {2, 2}, {1 + 6 + 0, 0 + 3 + 15, 2 + 8 + 0, 0 + 4 + 18});  // g^T x
  check_array(out[1], {2}, {9, 12});                                         // column sums of g
  const std::array<NDArray, 2> mismatched{g, nd::ones({4, 2})};
  CHECK_THROWS_WITH(fused->call({}, mismatched), Contains("_backward_FullyConnected_weight_bias") &&
                                                     Contains("(3, 2) and (4, 2)"));
  const std::array<NDArray, 2> halves{g.astype(DType::kFloat16), x.astype(DType::kFloat16)};
  CHECK_THROWS_WITH(fused->call({}, halves), Contains("float16 is not supported"));
}

TEST_CASE("16-bit float products compute in float", "[operators][dot][dtype]") {
  NDArray a = nd::array({1, 2, 3, 4}, Shape{2, 2}, cpu(), DType::kFloat16);
  check_array(nd::dot(a, a), {2, 2}, {7, 10, 15, 22});
  CHECK(nd::dot(a, a).dtype() == DType::kFloat16);
  NDArray bf = nd::array({1, 2, 3, 4}, Shape{2, 2}, cpu(), DType::kBFloat16);
  check_array(nd::dot(bf, bf, false, true), {2, 2}, {5, 11, 11, 25});
}

TEST_CASE("bfloat16 products (widened to float, split across workers) match a loop over the rounded inputs",
          "[operators][dot][dtype]") {
  const std::int64_t m = 200, k = 90, n = 160;
  const NDArray a = nd::random::uniform(-1, 1, {m, k}).astype(DType::kBFloat16);
  const NDArray b = nd::random::uniform(-1, 1, {n, k}).astype(DType::kBFloat16);
  const std::vector<double> av = test::values(a), bv = test::values(b);  // the bfloat16 values, exactly
  const NDArray c = nd::dot(a, b, false, true);
  CHECK(c.dtype() == DType::kBFloat16);
  const std::vector<double> cv = test::values(c);
  for (std::int64_t i = 0; i < m; i += 7) {
    for (std::int64_t j = 0; j < n; j += 5) {
      double want = 0, magnitude = 0;
      for (std::int64_t p = 0; p < k; ++p) want += av[i * k + p] * bv[j * k + p], magnitude += std::abs(av[i * k + p] * bv[j * k + p]);
      CHECK(std::abs(cv[i * n + j] - want) <= magnitude * 1e-5 + std::abs(want) / 128);  // one bfloat16 rounding
    }
  }
}

TEST_CASE("batch_dot multiplies each pair of the batch", "[operators][dot]") {
  NDArray a = nd::arange(8).reshape({2, 2, 2});
  NDArray eye = nd::array({1, 0, 0, 1, 2, 0, 0, 2}, Shape{2, 2, 2});
  check_array(nd::batch_dot(a, eye), {2, 2, 2}, {0, 1, 2, 3, 8, 10, 12, 14});
  check_array(nd::batch_dot(a, a, true, false), {2, 2, 2}, {4, 6, 6, 10, 52, 62, 62, 74});
  check_array(nd::batch_dot(a, a, false, true), {2, 2, 2}, {1, 3, 3, 13, 41, 59, 59, 85});
  CHECK_THROWS_WITH(nd::batch_dot(a, nd::ones({3, 2, 2})), Contains("batch_dot") && Contains("(3, 2, 2)"));
}

TEST_CASE("FullyConnected is data times weight transposed, plus bias", "[operators][dot][fc]") {
  NDArray x = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  NDArray w = nd::array({1, 0, -1, 2, 1, 0}, Shape{2, 3});
  NDArray bias = nd::array({10, 20});
  check_array(nd::FullyConnected(x, w, bias, 2), {2, 2}, {8, 24, 8, 33});
  check_array(nd::FullyConnected(x, w, std::nullopt, 2), {2, 2}, {-2, 4, -2, 13});
  NDArray images = nd::ones({2, 1, 3});  // flattened to (2, 3)
  check_array(nd::FullyConnected(images, w, bias, 2), {2, 2}, {10, 23, 10, 23});
  check_array(nd::FullyConnected(nd::ones({2, 2, 3}), w, std::nullopt, 2, false), {2, 2, 2}, {0, 3, 0, 3, 0, 3, 0, 3});
  CHECK_THROWS_WITH(nd::FullyConnected(nd::ones({2, 4}), w, bias, 2),
                    Contains("FullyConnected") && Contains("4 features") && Contains("(2, 4)"));
  CHECK_THROWS_WITH(nd::FullyConnected(x, w, nd::ones({3}), 2), Contains("bias"));
}

TEST_CASE("dot rejects bad shapes and integer dtypes at the call", "[operators][dot][errors]") {
  CHECK_THROWS_WITH(nd::dot(nd::ones({2, 3}), nd::ones({2, 3})),
                    Contains("dot") && Contains("(2, 3)") && Contains("inner extents 3 and 2"));
  CHECK_THROWS_AS(nd::dot(nd::ones({2}, cpu(), DType::kInt32), nd::ones({2}, cpu(), DType::kInt32)), DTypeError);
  CHECK_THROWS_AS(nd::dot(nd::ones({2, 2, 2}), nd::ones({2, 2}), true), ShapeError);
}
