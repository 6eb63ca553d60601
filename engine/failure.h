#pragma once
// A failed operation, shared by every variable it poisoned and every operation skipped because of it.
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mx::engine::detail {

struct Failure {
  Failure(std::exception_ptr error, std::string op_name) : error(std::move(error)), op_name(std::move(op_name)) {}

  // Throws mx::OperatorError naming the operation, with the original exception nested; marks it reported.
  [[noreturn]] void rethrow();

  const std::exception_ptr error;
  const std::string op_name;
  std::atomic<bool> reported{false};
};

using FailurePtr = std::shared_ptr<Failure>;

// The failures not yet reported at a sync point, so that wait_for_all can rethrow the first.
class FailureLog {
 public:
  void add(FailurePtr failure);
  // Forgets every failure; rethrows the first one nobody has seen yet, if any.
  void rethrow_first_unreported();
  // Failures still unreported (for the engine's destructor to log).
  std::vector<FailurePtr> take_unreported();

 private:
  std::mutex mutex_;
  std::vector<FailurePtr> failures_;  // guarded by mutex_
};

// The message of an exception_ptr: what() of a std::exception, or a placeholder.
std::string describe(const std::exception_ptr& error);

}  // namespace mx::engine::detail
