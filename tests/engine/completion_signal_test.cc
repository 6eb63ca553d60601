// The signal wait_for_var waits on: the outcome crosses threads whether the waiter spins or sleeps.
#include <mx/engine/completion_signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

using mx::engine::detail::CompletionSignal;
using mx::engine::detail::Failure;

namespace {

// Sets the signal from another thread after `delay`, then waits on it here; returns what the wait returned.
std::shared_ptr<Failure> wait_for_set_after(std::chrono::microseconds delay, std::shared_ptr<Failure> outcome) {
  auto signal = std::make_shared<CompletionSignal>();
  std::thread worker([signal, delay, outcome] {
    std::this_thread::sleep_for(delay);
    signal->set(outcome);
  });
  auto got = signal->wait();
  worker.join();
  return got;
}

}  // namespace

TEST_CASE("a completion signal set before the wait returns at once", "[engine][signal]") {
  CompletionSignal signal;
  signal.set(nullptr);
  CHECK(signal.wait() == nullptr);
}

TEST_CASE("a completion signal reaches a waiter that is still spinning", "[engine][signal]") {
  auto failure = std::make_shared<Failure>(std::make_exception_ptr(std::runtime_error("boom")), "op");
  CHECK(wait_for_set_after(std::chrono::microseconds(5), failure) == failure);
}

TEST_CASE("a completion signal wakes a waiter that went to sleep", "[engine][signal]") {
  auto failure = std::make_shared<Failure>(std::make_exception_ptr(std::runtime_error("boom")), "op");
  CHECK(wait_for_set_after(std::chrono::milliseconds(20), failure) == failure);  // 400 times the spin
  CHECK(wait_for_set_after(std::chrono::milliseconds(20), nullptr) == nullptr);
}
