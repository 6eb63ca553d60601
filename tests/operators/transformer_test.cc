// MXNet's interleaved attention products against loops written from their documented definitions, their
// symbol forms, and their shape errors.
#include <catch2/catch.hpp>

#include <cmath>

#include <mx/mx.h>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;

namespace {

constexpr int kHeads = 2;
constexpr std::int64_t kDim = 3;  // per head

std::vector<double> wave(std::int64_t n, double phase) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(std::sin(0.7 * static_cast<double>(i) + phase));
  return v;
}

// Element [i][b][f] of a (seq, batch, features) host array.
struct Tensor3 {
  std::vector<double> v;
  std::int64_t d1, d2;
  double operator()(std::int64_t i, std::int64_t b, std::int64_t f) const { return v[static_cast<std::size_t>((i * d1 + b) * d2 + f)]; }
};

// q . k over sqrt(head_dim) per attention batch b * heads + h: query part `qp` of `parts_q` in q, key part `kp`
// of `parts_k` in k.
std::vector<double> scores(const Tensor3& q, int parts_q, int qp, const Tensor3& k, int parts_k, int kp, std::int64_t seq_q,
                           std::int64_t seq_k, std::int64_t batch) {
  std::vector<double> out;
  for (std::int64_t b = 0; b < batch; ++b)
    for (int h = 0; h < kHeads; ++h)
      for (std::int64_t i = 0; i < seq_q; ++i)
        for (std::int64_t j = 0; j < seq_k; ++j) {
          double s = 0;
          for (std::int64_t d = 0; d < kDim; ++d) s += q(i, b, (h * parts_q + qp) * kDim + d) * k(j, b, (h * parts_k + kp) * kDim + d);
          out.push_back(s / std::sqrt(static_cast<double>(kDim)));
        }
  return out;
}

// attention (batch * heads, seq_q, seq_k) applied to value part `vp` of `parts` in v: (seq_q, batch, heads * dim).
std::vector<double> attend(const std::vector<double>& att, const Tensor3& v, int parts, int vp, std::int64_t seq_q, std::int64_t seq_k,
                           std::int64_t batch) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < seq_q; ++i)
    for (std::int64_t b = 0; b < batch; ++b)
      for (int h = 0; h < kHeads; ++h)
        for (std::int64_t d = 0; d < kDim; ++d) {
          double s = 0;
          for (std::int64_t j = 0; j < seq_k; ++j) {
            s += att[static_cast<std::size_t>(((b * kHeads + h) * seq_q + i) * seq_k + j)] * v(j, b, (h * parts + vp) * kDim + d);
          }
          out.push_back(s);
        }
  return out;
}

}  // namespace

TEST_CASE("interleaved self-attention products take each head's query, key and value from one projection") {
  const std::int64_t seq = 4, batch = 2, features = kHeads * 3 * kDim;
  const Tensor3 qkv{wave(seq * batch * features, 0.3), batch, features};
  const NDArray x = nd::array(qkv.v, Shape{seq, batch, features});
  const NDArray qk = nd::contrib::interleaved_matmul_selfatt_qk(x, kHeads);
  test::check_array(qk, {batch * kHeads, seq, seq}, scores(qkv, 3, 0, qkv, 3, 1, seq, seq, batch), 1e-5);
  const std::vector<double> att = wave(batch * kHeads * seq * seq, 1.1);
  const NDArray out = nd::contrib::interleaved_matmul_selfatt_valatt(x, nd::array(att, Shape{batch * kHeads, seq, seq}), kHeads);
  test::check_array(out, {seq, batch, kHeads * kDim}, attend(att, qkv, 3, 2, seq, seq, batch), 1e-5);
  test::check_array(nd::contrib::div_sqrt_dim(nd::array({4, 8, 12, 16}, Shape{1, 4})), {1, 4}, {2, 4, 6, 8});
}

TEST_CASE("interleaved encoder-decoder products take queries alone and keys and values together") {
  const std::int64_t seq_q = 3, seq_k = 5, batch = 2;
  const Tensor3 q{wave(seq_q * batch * kHeads * kDim, 0.2), batch, kHeads * kDim};
  const Tensor3 kv{wave(seq_k * batch * kHeads * 2 * kDim, 2.0), batch, kHeads * 2 * kDim};
  const NDArray queries = nd::array(q.v, Shape{seq_q, batch, kHeads * kDim});
  const NDArray keys_values = nd::array(kv.v, Shape{seq_k, batch, kHeads * 2 * kDim});
  test::check_array(nd::contrib::interleaved_matmul_encdec_qk(queries, keys_values, kHeads), {batch * kHeads, seq_q, seq_k},
                    scores(q, 1, 0, kv, 2, 0, seq_q, seq_k, batch), 1e-5);
  const std::vector<double> att = wave(batch * kHeads * seq_q * seq_k, 0.9);
  test::check_array(nd::contrib::interleaved_matmul_encdec_valatt(keys_values, nd::array(att, Shape{batch * kHeads, seq_q, seq_k}), kHeads),
                    {seq_q, batch, kHeads * kDim}, attend(att, kv, 2, 1, seq_q, seq_k, batch), 1e-5);
}

TEST_CASE("interleaved attention products run from MXNet's symbol nodes and refuse shapes that do not fit") {
  const NDArray x = nd::array(wave(2 * 1 * 12, 0.5), Shape{2, 1, 12});
  const auto qk = sym::invoke("_contrib_interleaved_matmul_selfatt_qk", {sym::var("qkv")}, {{"heads", "2"}});
  const auto att = sym::invoke("softmax", {qk}, {{"axis", "-1"}});
  const auto out = sym::invoke("_contrib_interleaved_matmul_selfatt_valatt", {sym::var("qkv"), att}, {{"heads", "2"}});
  const NDArray expected = nd::contrib::interleaved_matmul_selfatt_valatt(
      x, nd::softmax(nd::contrib::interleaved_matmul_selfatt_qk(x, 2), -1), 2);
  test::check_array(out.eval({{"qkv", x}}).front(), {2, 1, 4}, test::values(expected), 1e-6);
  CHECK(out.infer_shape({{"qkv", {7, 3, 24}}}).out_shapes == std::vector<Shape>{{7, 3, 8}});

  CHECK_THROWS_AS(nd::contrib::interleaved_matmul_selfatt_qk(nd::ones({2, 1, 10}), 2), ShapeError);
  CHECK_THROWS_WITH(nd::contrib::interleaved_matmul_selfatt_qk(nd::ones({2, 1, 10}), 2),
                    Contains("interleaved_matmul_selfatt_qk") && Contains("(2, 1, 10)"));
  CHECK_THROWS_WITH(nd::contrib::interleaved_matmul_selfatt_valatt(x, nd::ones({2, 2, 3}), 2),
                    Contains("attention") && Contains("(2, 2, 3)") && Contains("(2, 2, 2)"));
  CHECK_THROWS_WITH(nd::contrib::interleaved_matmul_encdec_qk(nd::ones({2, 1, 4}), nd::ones({3, 1, 4}), 2), Contains("twice"));
  CHECK_THROWS_WITH(nd::contrib::interleaved_matmul_selfatt_qk(x, 0), Contains("heads must be positive"));
}
