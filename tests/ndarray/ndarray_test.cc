// NDArray handles: lazy evaluation through the engine, sync points, views and aliasing, printing, host copies.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include <mx/mx.h>

using namespace mx;
using Catch::Matchers::Contains;

namespace {

// Holds `array`'s variable with a write that blocks until release() (or destruction).
class BlockedWriter {
 public:
  explicit BlockedWriter(const NDArray& array) {
    engine::Engine::get().push_sync([opened = opened_.get_future().share()](engine::RunContext) { opened.wait(); },
                                    array.context(), {}, {array.var()}, {.name = "blocked_writer"});
  }
  ~BlockedWriter() { release(); }
  void release() {
    if (!released_.exchange(true)) opened_.set_value();
  }

 private:
  std::promise<void> opened_;
  std::atomic<bool> released_{false};
};

std::string text(const NDArray& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}

}  // namespace

TEST_CASE("an operation returns before it runs, and the sync points wait for it", "[ndarray][lazy]") {
  NDArray x = nd::ones({4});
  x.wait_to_read();
  BlockedWriter blocker(x);
  NDArray y = x + 1;  // queued behind the blocked writer: must return at once
  std::atomic<bool> read{false};
  auto reader = std::async(std::launch::async, [&] {
    auto values = y.asnumpy<float>();
    read = true;
    return values;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(read.load());  // asnumpy is still waiting on y's writer
  blocker.release();
  CHECK(reader.get() == std::vector<float>{2, 2, 2, 2});
}

TEST_CASE("wait_to_write waits for pending readers too", "[ndarray][lazy]") {
  NDArray x = nd::ones({2});
  NDArray gate = nd::zeros({1});
  gate.wait_to_read();
  BlockedWriter blocker(gate);
  NDArray sum = x + gate.reshape({1});  // reads x, queued behind the gate
  std::atomic<bool> done{false};
  auto waiter = std::async(std::launch::async, [&] {
    x.wait_to_write();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(done.load());
  blocker.release();
  waiter.get();
  CHECK(sum.asnumpy<float>() == std::vector<float>{1, 1});
}

TEST_CASE("an operator's error surfaces at the sync point that needs it, and the engine keeps working",
          "[ndarray][errors]") {
  NDArray logits = nd::zeros({2, 3});
  NDArray labels = nd::array({0, 7});  // 7 is no class: only the compute function can see it
  NDArray loss = nd::softmax_cross_entropy(logits, labels);
  NDArray later = loss + 1;  // depends on the failed result
  CHECK_THROWS_AS(later.wait_to_read(), OperatorError);
  CHECK_THROWS_WITH(loss.asscalar<float>(), Contains("softmax_cross_entropy") && Contains("label 7"));
  CHECK_NOTHROW(nd::waitall());  // already reported at a sync point above
  NDArray unwatched = nd::softmax_cross_entropy(logits, nd::array({-1, 0}));
  CHECK_THROWS_WITH(nd::waitall(), Contains("label -1"));
  NDArray fine = nd::ones({2}) * 3;
  CHECK(fine.asnumpy<float>() == std::vector<float>{3, 3});
  CHECK_NOTHROW(nd::waitall());
}

TEST_CASE("copies of a handle share data, views share storage and are ordered with their base",
          "[ndarray][views]") {
  NDArray base = nd::arange(12).reshape({3, 4});
  NDArray alias = base;
  alias += 1;  // writes the shared storage, as `b = a; b += 1` does in MXNet
  CHECK(base.asnumpy<float>()[0] == 1);

  NDArray row = base.at(1);
  CHECK(row.shape() == Shape{4});
  CHECK(row.shares_storage_with(base));
  row *= 10;  // in place through the view
  CHECK(base.asnumpy<float>() == std::vector<float>{1, 2, 3, 4, 50, 60, 70, 80, 9, 10, 11, 12});

  NDArray rows = base.slice(1, 3);
  CHECK(rows.shape() == Shape{2, 4});
  CHECK(rows.asnumpy<float>() == std::vector<float>{50, 60, 70, 80, 9, 10, 11, 12});
  CHECK(base.slice(-1, 3).asnumpy<float>() == std::vector<float>{9, 10, 11, 12});

  NDArray flat = base.reshape({-1});
  CHECK(flat.shape() == Shape{12});
  CHECK(base.reshape({0, 2, -1}).shape() == Shape{3, 2, 2});
  NDArray before = flat + 0;  // pushed before the write below: must see the old values
  flat += 100;
  CHECK(before.asnumpy<float>()[0] == 1);
  CHECK(base.asnumpy<float>()[0] == 101);
}

TEST_CASE("views check their bounds at the call", "[ndarray][views][errors]") {
  NDArray x = nd::zeros({3, 2});
  CHECK_THROWS_AS(x.slice(2, 4), ShapeError);
  CHECK_THROWS_WITH(x.at(3), Contains("index 3") && Contains("(3, 2)"));
  CHECK_THROWS_AS(x.reshape({4, 2}), ShapeError);
  CHECK_THROWS_AS(nd::zeros({}).at(0), ShapeError);
}

TEST_CASE("asnumpy and asscalar convert dtypes, asscalar needs one element", "[ndarray][host]") {
  NDArray x = nd::array({1.5, -2.5, 3});
  CHECK(x.asnumpy<double>() == std::vector<double>{1.5, -2.5, 3});
  CHECK(x.asnumpy<std::int32_t>() == std::vector<std::int32_t>{1, -2, 3});  // truncation, as NumPy's astype
  CHECK(x.asnumpy<bool>() == std::vector<bool>{true, true, true});
  CHECK(nd::array({0.25, 0, -0.5}).asnumpy<bool>() == std::vector<bool>{true, false, true});  // not through bytes
  CHECK(x.sum().asscalar<float>() == 2.0f);
  CHECK_THROWS_WITH(x.asscalar<float>(), Contains("asscalar") && Contains("(3,)"));
  CHECK_THROWS_AS(nd::array({1, 2, 3}, Shape{2, 2}), ShapeError);
}

TEST_CASE("arrays print as MXNet prints them", "[ndarray][print]") {
  CHECK(text(nd::ones({2, 3}) + 1) == "[[2. 2. 2.]\n [2. 2. 2.]]\n<NDArray 2x3 @cpu(0)>");
  CHECK(text(nd::array({1.5, 2, -3})) == "[ 1.5  2.  -3. ]\n<NDArray 3 @cpu(0)>");
  CHECK(text(nd::array(std::vector<std::int32_t>{1, 20, 3})) == "[ 1 20  3]\n<NDArray 3 @cpu(0)>");
  CHECK(text(nd::array({0.1f, 1.0f / 3})) == "[0.1        0.33333334]\n<NDArray 2 @cpu(0)>");
  CHECK(text(nd::ones({2}, cpu(), DType::kBool)) == "[ True  True]\n<NDArray 2 @cpu(0)>");
  CHECK(text(nd::arange(2000)) == "[   0.    1.    2. ... 1997. 1998. 1999.]\n<NDArray 2000 @cpu(0)>");
  CHECK(text(nd::zeros({2, 1, 2})) == "[[[0. 0.]]\n\n [[0. 0.]]]\n<NDArray 2x1x2 @cpu(0)>");
  CHECK(text(nd::full({}, 7)) == "7.\n<NDArray () @cpu(0)>");
  CHECK(text(NDArray()) == "<NDArray none>");
}

TEST_CASE("storage returns to the pool once the last handle and operation are done", "[ndarray][storage]") {
  nd::waitall();
  storage::Pool& pool = storage::pool(cpu());
  const std::size_t live_before = pool.stats().live_bytes;
  {
    NDArray a = nd::ones({1000});
    NDArray view = a.slice(0, 10);
    a = NDArray();
    view += 1;  // the view alone keeps the storage alive
    CHECK(view.asnumpy<float>()[0] == 2);
  }
  nd::waitall();
  CHECK(pool.stats().live_bytes == live_before);
  for (int i = 0; i < 100; ++i) NDArray temp = nd::ones({1000}) * 2;
  nd::waitall();
  CHECK(pool.stats().live_bytes == live_before);
}

TEST_CASE("an array made with empty reserves no storage until used", "[ndarray][storage]") {
  nd::waitall();
  storage::Pool& pool = storage::pool(cpu());
  const std::uint64_t allocations = pool.stats().allocations;
  NDArray e = nd::empty({1 << 20});
  CHECK(pool.stats().allocations == allocations);
  nd::copyto(nd::ones({1 << 20}), e);
  CHECK(e.sum().asscalar<float>() == float(1 << 20));
}

TEST_CASE("an operation reserves its host output as it runs and not at the push", "[ndarray][storage]") {
  // A caller running far ahead would otherwise hold one block per operation in flight, a working set that
  // outgrows the caches; reserved as they run, a chain reuses the blocks its finished steps gave back.
  NDArray x = nd::ones({1 << 16});
  nd::waitall();
  storage::Pool& pool = storage::pool(cpu());
  const storage::PoolStats before = pool.stats();
  NDArray y = x;
  {
    BlockedWriter blocker(x);
    for (int i = 0; i < 50; ++i) y = y + 1;  // 50 operations waiting behind the blocked write
    CHECK(pool.stats().live_bytes == before.live_bytes);
  }
  CHECK(y.sum().asscalar<float>() == 51.0f * (1 << 16));
  const storage::PoolStats after = pool.stats();
  const std::uint64_t new_blocks = (after.allocations - before.allocations) - (after.reuses - before.reuses);
  CHECK(new_blocks <= 3);  // the chain's blocks come back from the pool, not from the system
}
