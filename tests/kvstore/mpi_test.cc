// The distributed store across the processes of `mpirun -np 2`: every rank runs these same cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <mx/mx.h>

using namespace mx;
namespace nn = gluon::nn;

namespace {

std::shared_ptr<kvstore::KVStore> dist_store() {
  static const auto store = kvstore::create("dist_sync");  // one store for the cases: keys are unique per case
  return store;
}

}  // namespace

TEST_CASE("two ranks: push sums over every rank's contexts, init keeps rank 0's value") {
  auto kv = dist_store();
  REQUIRE(kv->num_workers() == 2);
  const int r = kv->rank();
  kv->init("w", nd::full({3}, 10.0 + r, cpu(0)));  // rank 1's value is dropped
  std::vector<NDArray> start = {nd::zeros({3}, cpu(0))};
  kv->pull("w", start);
  CHECK(start[0].asnumpy<float>() == std::vector<float>(3, 10));

  // Rank r pushes (r+1) * (1, 2, 3) from cpu(0) and 100 * (r+1) from cpu(1): by hand the sum is
  // (1+2) * (1, 2, 3) + 100 * (1+2) = (303, 306, 309).
  std::vector<NDArray> grads = {nd::array({1.0 * (r + 1), 2.0 * (r + 1), 3.0 * (r + 1)}, Shape{3}, cpu(0)),
                                nd::full({3}, 100.0 * (r + 1), cpu(1))};
  kv->pushpull("w", grads, grads);
  CHECK(grads[0].asnumpy<float>() == std::vector<float>{303, 306, 309});
  CHECK(grads[1].asnumpy<float>() == std::vector<float>{303, 306, 309});

  // One value that is also the output: summed where it is, with no copy. A pull reads the sum from that array;
  // once the array is written again the sum is gone, and a pull says so.
  std::vector<NDArray> one = {nd::full({3}, r + 1.0, cpu(0))};
  kv->pushpull("w", one, one);
  std::vector<NDArray> later = {nd::zeros({3}, cpu(1))};
  kv->pull("w", later);
  one[0] += 100;
  CHECK(later[0].asnumpy<float>() == std::vector<float>(3, 3));
  kv->pull("w", later);  // the key kept the sum at the first pull
  CHECK(later[0].asnumpy<float>() == std::vector<float>(3, 3));
  kv->pushpull("w", one, one);
  one[0] += 1;
  CHECK_THROWS_WITH(kv->pull("w", later), Catch::Contains("key 'w'") && Catch::Contains("written since"));
  kv->barrier();
}

TEST_CASE("two ranks: dist_device_sync sums each key on one of its devices, then across the ranks") {
  const auto kv = kvstore::create("dist_device_sync");
  REQUIRE(kv->type() == "dist_device_sync");
  REQUIRE(kv->num_workers() == 2);
  const int r = kv->rank();
  kv->init(7, nd::full({2, 2}, 5.0 + r, cpu(1)));  // rank 1's value is dropped
  std::vector<NDArray> start = {nd::zeros({2, 2}, cpu(0)), nd::zeros({2, 2}, cpu(1))};
  kv->pull(7, start);
  for (const NDArray& s : start) CHECK(s.asnumpy<float>() == std::vector<float>(4, 5));
  // Rank r pushes r + 1 from cpu(0) and 10 (r + 1) from cpu(1): by hand (1 + 2) + 10 (1 + 2) = 33.
  std::vector<NDArray> grads = {nd::full({2, 2}, r + 1.0, cpu(0)), nd::full({2, 2}, 10.0 * (r + 1), cpu(1))};
  kv->pushpull(7, grads, grads);
  for (const NDArray& g : grads) CHECK(g.asnumpy<float>() == std::vector<float>(4, 33));
  // With an optimizer on the store: every rank applies the same update to the same value.
  kv->set_optimizer(optimizer::create("sgd", {{"learning_rate", 0.1}}));
  kv->push(7, grads);  // the sum over devices and ranks: 2 * 2 * 33 = 132; the value 33 - 0.1 * 132
  std::vector<NDArray> weight = {nd::zeros({2, 2}, cpu(0))};
  kv->pull(7, weight);
  for (float v : weight[0].asnumpy<float>()) CHECK(v == Approx(33 - 13.2));
  kv->barrier();
}

TEST_CASE("two ranks: several keys in buckets, of several dtypes") {
  auto kv = dist_store();
  const int r = kv->rank();
  std::vector<kvstore::Key> keys;
  std::vector<std::vector<NDArray>> values;
  for (int k = 0; k < 5; ++k) {
    keys.push_back(100 + k);
    const DType dtype = k == 3 ? DType::kFloat64 : k == 4 ? DType::kFloat16 : DType::kFloat32;
    kv->init(100 + k, nd::zeros({k + 1}, cpu(0), dtype));
    values.push_back({nd::full({k + 1}, (k + 1) * (r + 1), cpu(0), dtype)});
  }
  kv->pushpull(keys, values, values);
  for (int k = 0; k < 5; ++k) {
    INFO("key " << 100 + k);
    const std::vector<double> got = values[static_cast<std::size_t>(k)][0].astype(DType::kFloat64).asnumpy<double>();
    CHECK(got == std::vector<double>(static_cast<std::size_t>(k + 1), 3.0 * (k + 1)));  // (k+1) * (1 + 2)
  }
}

TEST_CASE("two ranks: 2bit compression sums every rank's quantized sum, the residuals staying on each rank") {
  const auto kv = kvstore::create("dist_sync");
  kv->set_gradient_compression({.type = "2bit", .threshold = 0.5});
  const int r = kv->rank();
  kv->init("c", nd::zeros({4}, cpu(0)));
  kv->init("d", nd::zeros({40}, cpu(0)));  // three words of codes, after "c"'s one in the bucket
  // Rank 0 sums (0.75, -0.25, 0.25, 0) of cpu(0) and (0, 0, 0.5, 0) of cpu(1) uncompressed, then sends
  // (0.5, 0, 0.5, 0) keeping (0.25, -0.25, 0.25, 0). Rank 1's one array, summed in place, (0.5, -0.5, 0.25, 1),
  // sends (0.5, -0.5, 0, 0.5) keeping (0, 0, 0.25, 0.5). "d": element j of rank r is (j % 3 - 1) (r + 1) / 2,
  // sent as (j % 3 - 1) / 2 by both.
  std::vector<NDArray> c = r == 0 ? std::vector<NDArray>{nd::array({0.75f, -0.25f, 0.25f, 0.0f}, Shape{4}, cpu(0)),
                                                         nd::array({0.0f, 0.0f, 0.5f, 0.0f}, Shape{4}, cpu(1))}
                                  : std::vector<NDArray>{nd::array({0.5f, -0.5f, 0.25f, 1.0f}, Shape{4}, cpu(0))};
  std::vector<float> d_values, d_sum;
  for (int j = 0; j < 40; ++j) {
    d_values.push_back(static_cast<float>((j % 3 - 1) * (r + 1)) * 0.5f);
    d_sum.push_back(static_cast<float>(j % 3 - 1));
  }
  const NDArray d = nd::array(d_values, Shape{40}, cpu(0));
  for (const std::vector<float>& expected : {std::vector<float>{1.0f, -0.5f, 0.5f, 0.5f},
                                             // Again, with the residuals: rank 0 (1, -0.5, 1, 0) sends
                                             // (0.5, -0.5, 0.5, 0), rank 1 (0.5, -0.5, 0.5, 1.5) (0.5, -0.5, 0.5, 0.5).
                                             std::vector<float>{1.0f, -1.0f, 1.0f, 0.5f}}) {
    std::vector<NDArray> c_in = {c[0].copy()};
    if (r == 0) c_in.push_back(c[1].copy());
    std::vector<NDArray> d_in = {d.copy()};
    kv->pushpull(std::vector<kvstore::Key>{"c", "d"}, {c_in, d_in}, {c_in, d_in});
    for (const NDArray& out : c_in) CHECK(out.asnumpy<float>() == expected);
    CHECK(d_in[0].asnumpy<float>() == d_sum);
  }
  kv->barrier();
}

TEST_CASE("two ranks: keys that disagree in shape are an error on every rank naming both shapes") {
  auto kv = dist_store();
  const Shape mine = kv->rank() == 0 ? Shape{2, 3} : Shape{3, 2};
  try {
    kv->init("mismatch", nd::zeros(mine, cpu(0)));
    FAIL("init accepted different shapes");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("'mismatch'") && Catch::Contains("(2, 3)") && Catch::Contains("(3, 2)") &&
                             Catch::Contains("rank 1"));
  }
  // The store goes on working.
  kv->init("after", nd::zeros({1}, cpu(0)));
  std::vector<NDArray> one = {nd::ones({1}, cpu(0))};
  kv->pushpull("after", one, one);
  CHECK(one[0].asscalar<float>() == 2);
}

TEST_CASE("two ranks with half the batch each: the same step as one process with the whole batch") {
  random::seed(11);  // the same data and initial values on both ranks
  const NDArray x = nd::random::uniform(-1, 1, {8, 5});
  const NDArray y = nd::array({0, 1, 2, 1, 0, 2, 2, 1});
  auto make = [] {
    auto net = std::make_unique<nn::Sequential>();
    net->add(nn::Dense(6, "relu"), nn::Dense(3));
    random::seed(5);
    net->initialize(init::Xavier(), {cpu(0)});
    (*net)(nd::zeros({1, 5}, cpu(0)));
    return net;
  };
  auto reference = make(), parallel = make();
  if (dist_store()->rank() == 1) {  // rank 1 starts elsewhere: the first step takes rank 0's values
    for (auto [name, p] : parallel->collect_params()) p.set_data(nd::zeros(p.shape(), cpu(0)));
  }
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  gluon::Trainer ref_trainer(reference->collect_params(), "adam", {{"learning_rate", 0.05}});
  gluon::Trainer par_trainer(parallel->collect_params(), "adam", {{"learning_rate", 0.05}}, "dist_sync");
  const int r = dist_store()->rank();
  const NDArray my_x = gluon::utils::split_data(x, 2)[static_cast<std::size_t>(r)];
  const NDArray my_y = gluon::utils::split_data(y, 2)[static_cast<std::size_t>(r)];
  for (int step = 0; step < 3; ++step) {
    NDArray ref_loss, par_loss;
    {
      autograd::record rec;
      ref_loss = loss_fn((*reference)(x), y);
      par_loss = loss_fn((*parallel)(my_x), my_y);
    }
    ref_loss.backward();
    par_loss.backward();
    ref_trainer.step(8);
    par_trainer.step(8);
  }
  REQUIRE(par_trainer.kvstore() != nullptr);
  CHECK(par_trainer.kvstore()->type() == "dist_sync");
  auto ref = reference->collect_params();
  for (const auto& [name, p] : parallel->collect_params()) {
    INFO(name);
    const std::vector<float> got = p.data().asnumpy<float>(), expected = ref[name].data().asnumpy<float>();
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).margin(1e-6).epsilon(1e-5));
  }
}

TEST_CASE("two ranks: row-sparse sums gather every rank's rows, the same bits on every rank") {
  auto kv = dist_store();
  const int r = kv->rank();
  kv->init("table", nd::zeros({6, 2}, cpu(0)));
  // Rank 0 holds rows 1 and 4 on cpu(0) and row 4 on cpu(1); rank 1 holds rows 0 and 4.
  std::vector<RowSparseNDArray> grads =
      r == 0 ? std::vector<RowSparseNDArray>{nd::sparse::row_sparse_array({1, 2, 3, 4}, {1, 4}, Shape{6, 2}),
                                             nd::sparse::row_sparse_array({10, 20}, {4}, Shape{6, 2}, DType::kFloat32,
                                                                          cpu(1))}
             : std::vector<RowSparseNDArray>{nd::sparse::row_sparse_array({100, 200, 300, 400}, {0, 4}, Shape{6, 2})};
  kv->pushpull("table", grads, grads);
  for (const RowSparseNDArray& g : grads) {
    CHECK(g.indices().asnumpy<std::int64_t>() == std::vector<std::int64_t>{0, 1, 4});
    CHECK(g.data().asnumpy<float>() == std::vector<float>{100, 200, 1, 2, 3 + 10 + 300, 4 + 20 + 400});
  }
  // A rank whose rows failed (its error reported at a sync point) sends none and says so; the other still gets
  // its own rows.
  const RowSparseNDArray broken = r == 1 ? nd::sparse::row_sparse_array(nd::ones({1, 2}), nd::array({9}), Shape{6, 2})
                                         : nd::sparse::row_sparse_array({5, 6}, {2}, Shape{6, 2});
  if (r == 1) CHECK_THROWS_WITH(broken.wait_to_read(), Catch::Contains("row index 9"));
  std::vector<RowSparseNDArray> out{nd::sparse::row_sparse_array(Shape{6, 2})};
  kv->pushpull("table", {broken}, out);
  if (r == 1) {
    CHECK_THROWS_WITH(out[0].wait_to_read(), Catch::Contains("failed on rank 1"));
  } else {
    CHECK(out[0].data().asnumpy<float>() == std::vector<float>{5, 6});
  }
  kv->barrier();
}

TEST_CASE("two ranks: an embedding with a row-sparse gradient takes the whole batch's step") {
  const NDArray tokens = nd::array({0, 2, 2, 5, 3, 0, 2, 3}, Shape{4, 2});
  const NDArray targets = nd::array({1, -1, 0.5, 2}, Shape{4, 1});
  auto make = [] {
    auto net = std::make_unique<nn::Sequential>();
    net->add(nn::Embedding(6, 2, {}, DType::kFloat32, /*sparse_grad=*/true), nn::Flatten(), nn::Dense(1));
    random::seed(3);
    net->initialize(init::Uniform(0.5), {cpu(0)});
    (*net)(nd::zeros({1, 2}, cpu(0)));
    return net;
  };
  auto reference = make(), parallel = make();
  gluon::loss::L2Loss loss_fn;
  gluon::Trainer ref_trainer(reference->collect_params(), "adam", {{"learning_rate", 0.05}});
  gluon::Trainer par_trainer(parallel->collect_params(), "adam", {{"learning_rate", 0.05}}, "dist_sync");
  const auto r = static_cast<std::size_t>(dist_store()->rank());
  const NDArray my_x = gluon::utils::split_data(tokens, 2)[r], my_y = gluon::utils::split_data(targets, 2)[r];
  for (int step = 0; step < 3; ++step) {
    NDArray ref_loss, par_loss;
    {
      autograd::record rec;
      ref_loss = loss_fn((*reference)(tokens), targets);
      par_loss = loss_fn((*parallel)(my_x), my_y);
    }
    ref_loss.backward();
    par_loss.backward();
    ref_trainer.step(4);
    par_trainer.step(4);
  }
  auto ref = reference->collect_params();
  for (const auto& [name, p] : parallel->collect_params()) {
    INFO(name);
    const std::vector<float> got = p.data().asnumpy<float>(), expected = ref[name].data().asnumpy<float>();
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).margin(1e-6).epsilon(1e-5));
  }
}

TEST_CASE("two ranks: the last layer's all-reduce starts before backward of the first layer ends") {
  // An ordering the test sets up, not one it hopes for from sizes and timing: after the forward, an operation that
  // declares a write of the input (and changes nothing) holds back what reads the input next, the first layer's
  // backward, until the test completes it. The last layer's gradient does not read the input, so its all-reduce
  // across both ranks, and its update after it, must finish while the first layer's backward is held.
  constexpr int kRows = 256;
  auto net = std::make_unique<nn::Sequential>();
  net->add(nn::Dense(64, "relu"), nn::Dense(10));
  random::seed(1);
  net->initialize(init::Xavier(), {cpu(0)});
  const NDArray x = nd::random::uniform(0, 1, {kRows, 784});
  const NDArray y = nd::zeros({kRows});
  // Each key in a message of its own: a bucket that also held the first layer's bias would wait for it (its
  // gradient comes with the weight's, from one operation). The store is made at the first step, once the
  // deferred parameters have their shapes, and reads the setting then.
  setenv("MX_KVSTORE_BUCKET_BYTES", "0", 1);
  gluon::Trainer trainer(net->collect_params(), "sgd", {{"learning_rate", 0.01}}, "dist_sync");
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  auto forward = [&] {
    autograd::record rec;
    return loss_fn((*net)(x), y);
  };
  forward().backward();  // shapes, store and buffers in place
  trainer.step(2 * kRows);
  unsetenv("MX_KVSTORE_BUCKET_BYTES");
  engine::Engine& engine = engine::Engine::get();
  engine.wait_for_all();
  NDArray last_weight;
  for (const auto& [name, p] : net->collect_params()) {
    if (p.shape() == Shape{10, 64}) last_weight = p.data();
  }
  REQUIRE(!last_weight.is_none());

  engine::trace::clear();
  engine::trace::enable(engine::trace::kOperators);
  NDArray loss = forward();
  std::promise<engine::OnComplete> held;
  engine.push_async([&held](engine::RunContext, engine::OnComplete release) { held.set_value(release); }, cpu(0), {},
                    {x.var()}, {.name = "hold the input"});
  loss.backward();
  trainer.step(2 * kRows);
  std::atomic<bool> last_layer_updated{false};
  engine.push_sync([&](engine::RunContext) { last_layer_updated = true; }, cpu(0), {last_weight.var()}, {},
                   {.name = "last layer updated"});
  // A store that waited for the whole backward would never get there: give up after a minute instead of hanging.
  for (int i = 0; i < 6000 && !last_layer_updated; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const bool updated_while_held = last_layer_updated;
  held.get_future().get()();
  engine.wait_for_all();
  engine::trace::disable();
  CHECK(updated_while_held);

  // The trace agrees: the last keys' all-reduce started before the first layer's backward ended. Each key's
  // all-reduce first waits for its gradient (KVStoreSumFormed reads it): the one that waited longest waited for
  // the first layer's weight gradient, and its writer's end is the end of that layer's backward.
  const std::vector<engine::trace::Event> events = engine::trace::take_events();
  const engine::trace::Event* last_key_allreduce = nullptr;
  std::vector<const engine::trace::Event*> formed;
  for (const auto& e : events) {
    if (e.name == "KVStoreAllreduce" && (last_key_allreduce == nullptr || e.start_ns < last_key_allreduce->start_ns)) {
      last_key_allreduce = &e;  // the first one of the step holds the last keys (pushed last-first)
    }
    if (e.name == "KVStoreSumFormed") formed.push_back(&e);
  }
  REQUIRE(last_key_allreduce != nullptr);
  REQUIRE(formed.size() == 4);
  const auto latest = *std::max_element(formed.begin(), formed.end(),
                                        [](auto* a, auto* b) { return a->start_ns < b->start_ns; });
  std::int64_t first_layer_backward_end = 0;
  for (const auto& e : events) {
    if (std::find(latest->waited_on.begin(), latest->waited_on.end(), e.id) != latest->waited_on.end()) {
      first_layer_backward_end = std::max(first_layer_backward_end, e.end_ns);
    }
  }
  REQUIRE(first_layer_backward_end > 0);
  INFO("all-reduce of the last keys starts at " << last_key_allreduce->start_ns << " ns, backward of the first layer ends at " << first_layer_backward_end);
  CHECK(last_key_allreduce->start_ns < first_layer_backward_end);
}

// Run without mpirun (its own CTest case): MPI starts as a job of one.
TEST_CASE("dist_sync in a job of one process: rank 0 of 1, sums as local", "[.single]") {
  auto kv = dist_store();
  CHECK(kv->type() == "dist_sync");
  CHECK(kv->rank() == 0);
  CHECK(kv->num_workers() == 1);
  kv->init("w", nd::ones({3}, cpu(0)));
  std::vector<NDArray> g = {nd::array({1, 2, 3}, Shape{3}, cpu(0)), nd::ones({3}, cpu(1))};
  kv->pushpull("w", g, g);
  CHECK(g[1].asnumpy<float>() == std::vector<float>{2, 3, 4});
  kv->barrier();
  CHECK(kvstore::create("dist")->type() == "dist_sync");
}

// A user's profile or debugger tells the store's threads by name.
TEST_CASE("dist_sync's threads are named for top, perf and gdb", "[.single]") {
  auto kv = dist_store();
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.push_back(name);
  }
  // The threads MPI starts from the store's MPI thread (OpenMPI's progress threads) inherit its name.
  for (const char* expected : {"mx-mpi", "mx-mpi-done", "mx-mpi-watchdog"}) {
    INFO(expected);
    CHECK(std::count(names.begin(), names.end(), expected) >= 1);
  }
}
