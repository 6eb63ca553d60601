// The stores of one process: local and device over several CPU contexts, and dist_sync in a job of one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include <mx/mx.h>

#include "../engine/engine_test_util.h"

using namespace mx;

namespace {

std::vector<float> values_of(const NDArray& a) { return a.asnumpy<float>(); }

NDArray filled(const Shape& shape, std::vector<float> values, Context ctx) {
  return nd::array(values, shape, ctx);
}

std::string message_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

const std::vector<Context> kContexts = {cpu(0), cpu(1), cpu(2)};

}  // namespace

TEST_CASE("local and device stores sum pushes over contexts and pull the sum into every context") {
  for (const char* type : {"local", "device"}) {
    INFO(type);
    auto kv = kvstore::create(type);
    CHECK(kv->type() == type);
    CHECK(kv->rank() == 0);
    CHECK(kv->num_workers() == 1);
    kv->init(3, filled({2, 2}, {1, 1, 1, 1}, cpu(0)));
    kv->init("bias", filled({3}, {0, 0, 0}, cpu(1)));

    std::vector<NDArray> outs;
    for (Context ctx : kContexts) outs.push_back(nd::zeros({2, 2}, ctx));
    kv->pull(3, outs);  // the initial value everywhere
    for (const NDArray& out : outs) CHECK(values_of(out) == std::vector<float>{1, 1, 1, 1});

    // 1+2+3 = 6 times each context's pattern: hand-computed sums.
    std::vector<NDArray> grads;
    for (int i = 0; i < 3; ++i) grads.push_back(filled({2, 2}, {1.f * (i + 1), 2.f * (i + 1), 0, -1.f * (i + 1)}, kContexts[i]));
    kv->push(3, grads);
    kv->pull(3, outs);
    for (std::size_t i = 0; i < outs.size(); ++i) {
      CHECK(outs[i].context() == kContexts[i]);
      CHECK(values_of(outs[i]) == std::vector<float>{6, 12, 0, -6});
    }

    // pushpull in place: every gradient becomes the sum.
    std::vector<NDArray> biases = {filled({3}, {1, 2, 3}, cpu(0)), filled({3}, {10, 20, 30}, cpu(2))};
    kv->pushpull("bias", biases, biases);
    CHECK(values_of(biases[0]) == std::vector<float>{11, 22, 33});
    CHECK(values_of(biases[1]) == std::vector<float>{11, 22, 33});

    // broadcast: a new key, its value in every output.
    std::vector<NDArray> copies = {nd::zeros({2}, cpu(1)), nd::zeros({2}, cpu(2))};
    kv->broadcast(7, filled({2}, {4, 5}, cpu(0)), copies);
    CHECK(values_of(copies[0]) == std::vector<float>{4, 5});
    CHECK(values_of(copies[1]) == std::vector<float>{4, 5});
  }
}

TEST_CASE("the store sums every dtype it is given, and several keys in one call") {
  auto kv = kvstore::create("local");
  kv->init(0, nd::zeros({3}, cpu(0), DType::kFloat64));
  kv->init(1, nd::zeros({2}, cpu(0), DType::kInt32));
  std::vector<NDArray> doubles = {nd::array({0.5, 1e-9, -2}, Shape{3}, cpu(0), DType::kFloat64),
                                  nd::array({0.25, 1e-9, 2}, Shape{3}, cpu(1), DType::kFloat64)};
  std::vector<NDArray> ints = {nd::array({7, -3}, Shape{2}, cpu(0), DType::kInt32),
                               nd::array({5, 4}, Shape{2}, cpu(1), DType::kInt32)};
  kv->pushpull({0, 1}, {doubles, ints}, {doubles, ints}, {0, -1});
  CHECK(doubles[1].asnumpy<double>() == std::vector<double>{0.75, 2e-9, 0});
  CHECK(ints[0].asnumpy<std::int32_t>() == std::vector<std::int32_t>{12, 1});
}

TEST_CASE("an optimizer on the store updates the stored value with the pushed sum") {
  auto kv = kvstore::create("device");
  kv->set_optimizer(optimizer::create("sgd", {{"learning_rate", 0.1}, {"momentum", 0.5}}));
  REQUIRE(kv->optimizer() != nullptr);
  kv->init(0, filled({2}, {1, -1}, cpu(0)));
  std::vector<NDArray> grads = {filled({2}, {1, 2}, cpu(0)), filled({2}, {3, 4}, cpu(1))};
  std::vector<NDArray> weights = {nd::zeros({2}, cpu(0)), nd::zeros({2}, cpu(1))};
  // By hand, SGD with momentum (MXNet's rule): m = 0.5 m - 0.1 g; w += m. Sum g = (4, 6).
  // Step 1: m = (-0.4, -0.6), w = (0.6, -1.6). Step 2: m = (-0.2-0.4, -0.3-0.6) = (-0.6, -0.9), w = (0, -2.5).
  kv->push(0, grads);
  kv->pull(0, weights);
  CHECK(values_of(weights[0])[0] == Approx(0.6).epsilon(1e-6));
  CHECK(values_of(weights[1])[1] == Approx(-1.6).epsilon(1e-6));
  kv->pushpull(0, grads, weights);
  for (const NDArray& w : weights) {
    const std::vector<float> v = values_of(w);
    CHECK(v[0] == Approx(0.0).margin(1e-6));
    CHECK(v[1] == Approx(-2.5).epsilon(1e-6));
  }

  // The states round-trip through a file: a second store continues where the first left off.
  const std::string path = (std::filesystem::temp_directory_path() / "mxpp_kvstore_states.params").string();
  kv->save_optimizer_states(path);
  auto again = kvstore::create("device");
  again->set_optimizer(optimizer::create("sgd", {{"learning_rate", 0.1}, {"momentum", 0.5}}));
  again->init(0, weights[0]);
  again->load_optimizer_states(path);
  again->pushpull(0, grads, weights);
  kv->pushpull(0, grads, {nd::zeros({2}, cpu(0))});
  std::vector<NDArray> reference = {nd::zeros({2}, cpu(0))};
  kv->pull(0, reference);
  CHECK(values_of(weights[0]) == values_of(reference[0]));
  auto other = kvstore::create("local");
  other->set_optimizer(optimizer::create("sgd", {{"learning_rate", 0.1}, {"momentum", 0.5}}));
  other->init(0, nd::zeros({5}, cpu(0)));
  CHECK_THAT(message_of([&] { other->load_optimizer_states(path); }),
             Catch::Contains(path) && Catch::Contains("key 0") && Catch::Contains("(5,)"));
  std::filesystem::remove(path);
}

TEST_CASE("bad keys, shapes and dtypes are errors naming the key and both shapes") {
  auto kv = kvstore::create("local");
  CHECK_THAT(message_of([&] { kv->push(4, {nd::zeros({2}, cpu(0))}); }),
             Catch::Contains("push") && Catch::Contains("key 4") && Catch::Contains("never initialized"));
  CHECK_THAT(message_of([&] { kv->pull("w", {nd::zeros({2}, cpu(0))}); }), Catch::Contains("key 'w'"));
  kv->init(4, nd::zeros({2, 3}, cpu(0)));
  CHECK_THAT(message_of([&] { kv->init(4, nd::zeros({3}, cpu(0))); }),
             Catch::Contains("key 4 is already initialized") && Catch::Contains("(2, 3)") && Catch::Contains("(3,)"));
  CHECK_THAT(message_of([&] { kv->push(4, {nd::zeros({2, 3}, cpu(0)), nd::zeros({3, 2}, cpu(1))}); }),
             Catch::Contains("value 1 of key 4") && Catch::Contains("(3, 2)") && Catch::Contains("(2, 3)"));
  CHECK_THAT(message_of([&] { kv->pull(4, {nd::zeros({6}, cpu(0))}); }),
             Catch::Contains("output 0 of key 4") && Catch::Contains("(6,)") && Catch::Contains("(2, 3)"));
  CHECK_THAT(message_of([&] { kv->push(4, {nd::zeros({2, 3}, cpu(0), DType::kFloat64)}); }),
             Catch::Contains("key 4") && Catch::Contains("float64") && Catch::Contains("float32"));
  CHECK_THAT(message_of([&] { kv->init({5, 5}, {nd::zeros({1}, cpu(0)), nd::zeros({1}, cpu(0))}); }),
             Catch::Contains("key 5 is given twice"));
  CHECK_THAT(message_of([&] { kv->push(5, {nd::zeros({1}, cpu(0))}); }), Catch::Contains("never initialized"));
  CHECK_THAT(message_of([] { kvstore::create("dist_async"); }), Catch::Contains("dist_sync"));
  CHECK_THAT(message_of([] { kvstore::create("parameter_server"); }), Catch::Contains("unknown type 'parameter_server'"));
  // Nothing was lost: the key still works.
  std::vector<NDArray> g = {nd::ones({2, 3}, cpu(0))};
  kv->pushpull(4, g, g);
  CHECK(values_of(g[0]) == std::vector<float>(6, 1));
}

TEST_CASE("the nccl store refuses host values at the call, naming the key, and pulls its value anywhere") {
  auto kv = kvstore::create("nccl");
  CHECK(kv->type() == "nccl");
  kv->init({7, 8}, {nd::full({2}, 3, cpu(0)), nd::full({2}, 5, cpu(0))});
  CHECK_THAT(message_of([&] { kv->pushpull({7, 8}, {{nd::ones({2}, cpu(1))}, {nd::ones({2}, cpu(0))}},
                                           {{nd::ones({2}, cpu(1))}, {nd::ones({2}, cpu(0))}}); }),
             Catch::Contains("store 'nccl' sums GPU arrays") && Catch::Contains("value 0 of key 7") &&
                 Catch::Contains("cpu(1)") && Catch::Contains("'device'"));
  // Nothing of the refused call was done: the values are still init's, and a pull to host arrays copies them.
  std::vector<NDArray> outs = {nd::zeros({2}, cpu(0)), nd::zeros({2}, cpu(1))};
  kv->pull(7, outs);
  kv->pull(8, {outs[1]});
  CHECK(values_of(outs[0]) == std::vector<float>{3, 3});
  CHECK(values_of(outs[1]) == std::vector<float>{5, 5});
}

TEST_CASE("push and pull return before the work is done, outputs are ready at the sync point") {
  auto kv = kvstore::create("device");
  kv->init(0, nd::zeros({4}, cpu(0)));
  // A writer of the gradient held until the test opens the gate: the push must not wait for it.
  NDArray grad = nd::zeros({4}, cpu(1));
  test::Gate release_gradient;
  std::atomic<bool> gradient_written{false};
  engine::Engine::get().push_sync(
      [blob = grad.blob(), &release_gradient, &gradient_written](engine::RunContext) {
        release_gradient.wait();
        std::fill_n(blob.ptr<float>(), 4, 2.f);
        gradient_written = true;
      },
      cpu(1), {}, {grad.var()}, {.name = "held_gradient"});
  std::vector<NDArray> outs = {nd::zeros({4}, cpu(0)), nd::zeros({4}, cpu(2))};
  kv->pushpull(0, {grad, nd::ones({4}, cpu(2))}, outs);
  CHECK_FALSE(gradient_written);  // pushpull returned with its input still being written
  CHECK_FALSE(release_gradient.gave_up());
  release_gradient.open();
  CHECK(values_of(outs[1]) == std::vector<float>(4, 3));
}

TEST_CASE("among reductions ready at once, the larger priority runs first") {
  // One prioritized worker, held busy while the pushes queue up behind it, then free to pick by priority.
  auto kv = kvstore::create("local");
  const int keys = 6;
  std::vector<std::vector<NDArray>> grads;
  for (int k = 0; k < keys; ++k) {
    kv->init(k, nd::zeros({1000}, cpu(0)));
    grads.push_back({nd::ones({1000}, cpu(0)), nd::ones({1000}, cpu(1))});
  }
  engine::Engine::get().wait_for_all();
  engine::trace::clear();
  engine::trace::enable(engine::trace::kOperators);
  // Every prioritized worker held until the pushes are done. Host values are summed in place, with no copies
  // first, so each push makes its reduction ready at once: all of them are queued before a worker is free.
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  const int workers = engine::EngineConfig::from_env().cpu_priority_workers;
  for (int w = 0; w < workers; ++w) {
    engine::Engine::get().push_sync(
        [&started, &release](engine::RunContext) {
          ++started;
          while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        },
        cpu(0), {}, {}, {.prop = engine::FnProperty::kPrioritized, .priority = 1000, .name = "hold_priority_worker"});
  }
  while (started < workers) std::this_thread::yield();
  for (int k = keys - 1; k >= 0; --k) kv->push(k, grads[static_cast<std::size_t>(k)], -k);  // pushed last-first
  release = true;
  engine::Engine::get().wait_for_all();
  engine::trace::disable();
  std::vector<engine::trace::Event> reductions;
  for (const auto& e : engine::trace::take_events()) {
    if (e.name == "KVStoreReduce") reductions.push_back(e);
  }
  REQUIRE(reductions.size() == static_cast<std::size_t>(keys));
  std::sort(reductions.begin(), reductions.end(), [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; });
  // Pushed in id order keys-1 ... 0, all queued before the first is taken: each worker takes the highest priority
  // left, so every worker runs them in the opposite order, key 0 (priority 0) first. (Across workers, start
  // times can interleave either way: a worker preempted between taking one and starting it records it late.)
  std::map<int, std::vector<std::uint64_t>> ids_by_worker;
  for (const auto& e : reductions) ids_by_worker[e.worker].push_back(e.id);
  for (const auto& [worker, ids] : ids_by_worker) {
    INFO("worker " << worker);
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) CHECK(ids[i] > ids[i + 1]);
  }
}

TEST_CASE("row-sparse values sum over contexts into the union of their rows, and rows are pulled by number") {
  auto kv = kvstore::create("local");
  kv->init(7, nd::arange(0, 12, 1, 1, cpu(0)).reshape({6, 2}));
  std::vector<RowSparseNDArray> grads{nd::sparse::row_sparse_array({1, 2, 3, 4}, {1, 4}, Shape{6, 2}),
                                      nd::sparse::row_sparse_array({10, 20}, {4}, Shape{6, 2}, DType::kFloat32, cpu(1))};
  kv->pushpull(7, grads, grads);
  for (const RowSparseNDArray& g : grads) {
    CHECK(g.indices().asnumpy<std::int64_t>() == std::vector<std::int64_t>{1, 4});
    CHECK(g.data().asnumpy<float>() == std::vector<float>{1, 2, 13, 24});
  }
  std::vector<RowSparseNDArray> rows{nd::sparse::row_sparse_array(Shape{6, 2})};
  kv->row_sparse_pull(7, rows, nd::array({5, 0, 5}));
  CHECK(rows[0].indices().asnumpy<std::int64_t>() == std::vector<std::int64_t>{0, 5});
  CHECK(rows[0].data().asnumpy<float>() == std::vector<float>{0, 1, 10, 11});
  kv->row_sparse_pull(7, rows, nd::array({6}));
  CHECK_THROWS_WITH(rows[0].wait_to_read(), Catch::Contains("row 6 is out of range for 6 rows"));

  CHECK_THROWS_WITH(kv->pushpull(7, {nd::sparse::row_sparse_array(Shape{6, 3})}, grads),
                    Catch::Contains("key 7") && Catch::Contains("(6, 3)") && Catch::Contains("(6, 2)"));
  CHECK_THROWS_WITH(kv->pushpull(8, grads, grads), Catch::Contains("never initialized"));
  kv->set_optimizer(optimizer::create("sgd"));
  CHECK_THROWS_WITH(kv->pushpull(7, grads, grads), Catch::Contains("not updated on the store"));
}
