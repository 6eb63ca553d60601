// Embedding with sparse_grad: a row-sparse gradient that the Trainer sums over contexts and applies to the
// batch's rows only (lazy_update), checked by hand and against the same training with a dense gradient.
#include <catch2/catch.hpp>

#include <mx/mx.h>

using namespace mx;
namespace nn = gluon::nn;

namespace {

// Embedding(6, 2, sparse_grad) -> Dense(1), the same initial values every time.
struct Model {
  explicit Model(bool sparse_grad, const std::vector<Context>& ctx = {cpu()})
      : embedding(6, 2, {}, DType::kFloat32, sparse_grad) {
    net.add(embedding, nn::Flatten(), nn::Dense(1));
    random::seed(3);
    net.initialize(init::Uniform(0.5), ctx);
    net(nd::zeros({1, 2}, ctx[0]));
  }
  nn::Sequential net;
  nn::Embedding embedding;
};

NDArray tokens() { return nd::array({0, 2, 2, 5, 3, 0, 2, 3}, Shape{4, 2}); }
NDArray targets() { return nd::array({1, -1, 0.5, 2}, Shape{4, 1}); }

void step(Model& m, gluon::Trainer& trainer, const std::vector<Context>& ctx = {cpu()}) {
  gluon::loss::L2Loss loss_fn;
  const auto xs = gluon::utils::split_and_load(tokens(), ctx);
  const auto ys = gluon::utils::split_and_load(targets(), ctx);
  std::vector<NDArray> losses;
  {
    autograd::record r;
    for (std::size_t i = 0; i < ctx.size(); ++i) losses.push_back(loss_fn(m.net(xs[i]), ys[i]));
  }
  autograd::backward(losses);
  trainer.step(4);
}

std::vector<float> values(const NDArray& a) { return a.asnumpy<float>(); }

}  // namespace

TEST_CASE("Embedding with sparse_grad keeps a row-sparse gradient of the batch's rows") {
  Model m(true);
  gluon::Parameter weight = m.embedding.weight();
  CHECK(weight.grad_stype() == StorageType::kRowSparse);
  CHECK(m.embedding.repr() == "Embedding(6 -> 2, sparse_grad)");
  CHECK_THROWS_WITH(weight.grad(), Catch::Contains("row sparse") && Catch::Contains("row_sparse_grad()"));
  NDArray out;
  {
    autograd::record r;
    out = m.net(tokens()).sum();
  }
  out.backward();
  const RowSparseNDArray g = weight.row_sparse_grad();
  CHECK(g.indices().asnumpy<std::int64_t>() == std::vector<std::int64_t>{0, 2, 3, 5});
  // d sum / d embedding row = the Dense weight's entries for that token's position, summed over its uses.
  const std::vector<float> dense_w = values(m.net.collect_params()["2.weight"].data());  // (1, 4)
  const std::vector<float> rows = values(g.data());
  // Row 0 appears at positions 0 (sample 0) and 1 (sample 2): columns 0-1 and 2-3 of the Dense weight.
  CHECK(rows[0] == Approx(dense_w[0] + dense_w[2]));
  CHECK(rows[1] == Approx(dense_w[1] + dense_w[3]));
  CHECK_THROWS_AS(gluon::Parameter("w", {2, 2}, {.grad_stype = StorageType::kCSR}), Error);
  weight.zero_grad();
  CHECK(weight.row_sparse_grad().indices().size() == 0);
}

TEST_CASE("a lazy step changes only the batch's rows, and without lazy_update every row decays") {
  for (const bool lazy : {true, false}) {
    INFO("lazy_update " << lazy);
    Model m(true);
    const std::vector<float> before = values(m.embedding.weight().data());
    gluon::Trainer trainer(m.net.collect_params(), "sgd",
                           {{"learning_rate", 0.1}, {"wd", 0.5}, {"lazy_update", lazy ? 1.0 : 0.0}});
    step(m, trainer);
    const std::vector<float> after = values(m.embedding.weight().data());
    // Row 1 and row 4 are not in the batch: untouched lazily, else decayed by lr * wd.
    for (const int row : {1, 4}) {
      for (int j = 0; j < 2; ++j) {
        const float w = before[static_cast<std::size_t>(row * 2 + j)];
        CHECK(after[static_cast<std::size_t>(row * 2 + j)] == Approx(lazy ? w : w * (1 - 0.1 * 0.5)));
      }
    }
    for (const int row : {0, 2, 3, 5}) CHECK(after[static_cast<std::size_t>(row * 2)] != before[static_cast<std::size_t>(row * 2)]);
  }
}

TEST_CASE("training with a sparse gradient matches training with a dense one where the rules agree") {
  // Plain SGD without decay updates a row only through its gradient, so lazy and dense steps are the same.
  Model sparse(true), dense(false);
  gluon::Trainer ts(sparse.net.collect_params(), "sgd", {{"learning_rate", 0.2}});
  gluon::Trainer td(dense.net.collect_params(), "sgd", {{"learning_rate", 0.2}});
  for (int i = 0; i < 3; ++i) {
    step(sparse, ts);
    step(dense, td);
  }
  for (const auto& [name, p] : dense.net.collect_params()) {
    INFO(name);
    const std::vector<float> want = values(p.data()), got = values(sparse.net.collect_params()[name].data());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-5).margin(1e-6));
  }
}

TEST_CASE("row-sparse gradients are summed over contexts, every copy taking the same step") {
  const std::vector<Context> two{cpu(0), cpu(1)};
  Model one(true), split(true, two);
  gluon::Trainer t1(one.net.collect_params(), "adam", {{"learning_rate", 0.05}});
  gluon::Trainer t2(split.net.collect_params(), "adam", {{"learning_rate", 0.05}}, "device");
  for (int i = 0; i < 2; ++i) {
    step(one, t1);
    step(split, t2, two);
  }
  const std::vector<float> want = values(one.embedding.weight().data());
  for (const Context c : two) {
    const std::vector<float> got = values(split.embedding.weight().data(c));
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-5).margin(1e-6));
  }
  CHECK(values(split.embedding.weight().data(cpu(0))) == values(split.embedding.weight().data(cpu(1))));

  Model on_store(true, two);
  CHECK_THROWS_WITH(gluon::Trainer(on_store.net.collect_params(), "sgd", {}, "device", std::nullopt, true),
                    Catch::Contains("row-sparse gradient") && Catch::Contains("update_on_kvstore"));
}

TEST_CASE("a row-sparse gradient that backward did not write is stale") {
  Model m(true);
  gluon::Trainer trainer(m.net.collect_params(), "sgd");
  CHECK_THROWS_WITH(trainer.step(4), Catch::Contains("was not written by backward"));
  step(m, trainer);
  CHECK_THROWS_WITH(trainer.step(4), Catch::Contains("was not written by backward"));
}
