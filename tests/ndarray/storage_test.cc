// The pooled CPU storage: size classes, reuse, accounting, and use from several threads.
#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>
#include <vector>

#include <mx/engine/error.h>
#include <mx/ndarray/storage.h>

using namespace mx;

TEST_CASE("requests round up to size classes that waste under a quarter", "[ndarray][storage]") {
  CHECK(storage::size_class(0) == 64);
  CHECK(storage::size_class(1) == 64);
  CHECK(storage::size_class(65) == 128);
  CHECK(storage::size_class(512) == 512);
  CHECK(storage::size_class(513) == 640);
  CHECK(storage::size_class(600) == 640);
  CHECK(storage::size_class(1024) == 1024);
  CHECK(storage::size_class(1025) == 1280);
  CHECK(storage::size_class(40'000'000) == 41'943'040);  // 5 x 2^23
  for (std::size_t bytes = 513; bytes < 300'000; bytes += 997) {
    const std::size_t size = storage::size_class(bytes);
    REQUIRE(size >= bytes);
    REQUIRE(size - bytes < size / 4);
    REQUIRE(size % 64 == 0);
  }
}

TEST_CASE("released blocks are reused and accounted for", "[ndarray][storage]") {
  storage::Pool& pool = storage::pool(cpu(5));  // a context no other test uses
  pool.release_all();
  const auto before = pool.stats();
  storage::Handle a = pool.allocate(1000);
  CHECK(a.size == 1024);
  CHECK(a.ctx == cpu(5));
  CHECK(reinterpret_cast<std::uintptr_t>(a.ptr) % 64 == 0);
  CHECK(pool.stats().live_bytes == before.live_bytes + 1024);
  void* first = a.ptr;
  pool.release(a);
  CHECK(pool.stats().cached_bytes == 1024);
  storage::Handle b = pool.allocate(1020);  // the same class: the same block
  CHECK(b.ptr == first);
  CHECK(pool.stats().reuses == before.reuses + 1);
  CHECK(pool.stats().cached_bytes == 0);
  pool.release(b);
  pool.release_all();
  CHECK(pool.stats().cached_bytes == 0);
  CHECK(pool.stats().live_bytes == before.live_bytes);
}

TEST_CASE("a request the machine cannot hold is an error naming it", "[ndarray][storage]") {
  storage::Pool& pool = storage::pool(cpu(6));
  CHECK_THROWS_WITH(pool.allocate(std::size_t{1} << 60),
                    Catch::Matchers::Contains("cpu(6): out of memory") && Catch::Matchers::Contains("1152921504606846976"));
  CHECK(pool.stats().live_bytes == 0);
  CHECK_THROWS_AS(storage::pool(gpu(0)), Error);
}

TEST_CASE("the pool serves several threads at once", "[ndarray][storage]") {
  storage::Pool& pool = storage::pool(cpu(7));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 2000; ++i) {
        storage::Handle h = pool.allocate(64 * (1 + (i + t) % 7));
        static_cast<volatile char*>(h.ptr)[0] = static_cast<char>(i);
        pool.release(h);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto stats = pool.stats();
  CHECK(stats.live_bytes == 0);
  CHECK(stats.allocations == 8000);
  CHECK(stats.reuses > 0);
}
