// The engine's list of live variables: deletions from any thread without waiting, freed by the next make(),
// and everything freed with the list. And closures whose copies std::function keeps on the heap.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include <mx/engine/cross_thread_alloc.h>
#include <mx/engine/var.h>

namespace {

std::atomic<int> alive{0};
struct CountedVar : mx::engine::Var {
  CountedVar() { alive.fetch_add(1); }
  ~CountedVar() { alive.fetch_sub(1); }
};

}  // namespace

TEST_CASE("variables deleted on other threads are freed by the next make and the rest with the list",
          "[engine][lifetime]") {
  alive = 0;
  {
    mx::engine::detail::LiveVars<CountedVar> vars;
    std::vector<CountedVar*> made;
    for (int i = 0; i < 1000; ++i) made.push_back(vars.make());
    // Two threads delete all of them while this one makes 1000 more.
    std::thread first([&] { for (int i = 0; i < 500; ++i) vars.destroy(made[i]); });
    std::thread second([&] { for (int i = 500; i < 1000; ++i) vars.destroy(made[i]); });
    std::vector<CountedVar*> kept;
    for (int i = 0; i < 1000; ++i) kept.push_back(vars.make());
    first.join();
    second.join();
    CHECK(alive.load() >= 1000);  // deletions wait for a make()
    kept.push_back(vars.make());
    CHECK(alive.load() == 1001);
    // The list still links the survivors: deleting them one by one leaves exactly the last made.
    for (std::size_t i = 0; i + 1 < kept.size(); ++i) vars.destroy(kept[i]);
    vars.make();
    CHECK(alive.load() == 2);
  }
  CHECK(alive.load() == 0);
}

TEST_CASE("a closure wrapped for another thread runs and frees its captures", "[engine][lifetime]") {
  auto shared = std::make_shared<int>(41);
  std::vector<int> big(64, 1);  // a capture std::function keeps on the heap
  {
    std::function<int()> fn = mx::engine::cross_thread_fn([shared, big] { return *shared + big[0]; });
    CHECK(shared.use_count() == 2);
    int result = 0;
    std::thread other([&] { result = fn(); fn = nullptr; });  // called and destroyed on another thread
    other.join();
    CHECK(result == 42);
  }
  CHECK(shared.use_count() == 1);
}
