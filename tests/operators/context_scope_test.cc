// mx::context_scope: the default context of creation functions, per thread and nested.
#include <stdexcept>
#include <thread>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;

TEST_CASE("context_scope sets the default context and restores it, nested", "[operators][context]") {
  CHECK(current_context() == cpu(0));
  {
    context_scope outer(cpu(1));
    CHECK(current_context() == cpu(1));
    CHECK(nd::ones({3, 5}).context() == cpu(1));
    {
      context_scope inner(cpu(2));
      CHECK(nd::zeros({2}).context() == cpu(2));
    }
    CHECK(current_context() == cpu(1));
    CHECK(nd::arange(3).context() == cpu(1));
  }
  CHECK(current_context() == cpu(0));
  CHECK(nd::ones({1}).context() == cpu(0));
}

TEST_CASE("context_scope is restored when an exception leaves it", "[operators][context]") {
  try {
    context_scope scope(cpu(3));
    throw std::runtime_error("leaving");
  } catch (const std::runtime_error&) {
  }
  CHECK(current_context() == cpu(0));
}

TEST_CASE("each thread has its own default context", "[operators][context]") {
  context_scope here(cpu(1));
  Context seen_there{};
  std::thread other([&] { seen_there = nd::ones({2}).context(); });
  other.join();
  CHECK(seen_there == cpu(0));
  CHECK(current_context() == cpu(1));
}

TEST_CASE("every creation function honours the scope, an explicit context wins", "[operators][context]") {
  context_scope scope(cpu(1));
  CHECK(NDArray(Shape{2}).context() == cpu(1));
  CHECK(nd::empty({2}).context() == cpu(1));
  CHECK(nd::full({2}, 3.0).context() == cpu(1));
  CHECK(nd::eye(2).context() == cpu(1));
  CHECK(nd::linspace(0, 1, 3).context() == cpu(1));
  CHECK(nd::array({1.0, 2.0}).context() == cpu(1));
  CHECK(nd::array(std::vector<float>{1, 2}).context() == cpu(1));
  CHECK(nd::random::uniform(0, 1, {2}).context() == cpu(1));
  CHECK(nd::random::normal(0, 1, {2}).context() == cpu(1));
  CHECK(nd::random::randint(0, 5, {2}).context() == cpu(1));
  CHECK(nd::ones({2}, cpu(0)).context() == cpu(0));
  test::check_array(nd::full({2}, 3.0) * 2, {2}, {6, 6});
}

TEST_CASE("operators run where their inputs are, and refuse mixed contexts naming both", "[operators][context]") {
  NDArray on_two = nd::ones({2}, cpu(2));
  context_scope scope(cpu(1));
  CHECK((on_two + 1).context() == cpu(2));
  CHECK(nd::exp(on_two).context() == cpu(2));
  NDArray on_one = nd::ones({2});
  CHECK_THROWS_WITH(on_two + on_one, Contains("cpu(2)") && Contains("cpu(1)"));
}
