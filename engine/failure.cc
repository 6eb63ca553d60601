#include <mx/engine/failure.h>

#include <mx/engine/error.h>

namespace mx::engine::detail {

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

void Failure::rethrow() {
  reported.store(true, std::memory_order_relaxed);
  const std::string what = describe(error);
  try {
    std::rethrow_exception(error);
  } catch (...) {
    std::throw_with_nested(OperatorError(op_name, what));
  }
}

void FailureLog::add(FailurePtr failure) {
  std::lock_guard lock(mutex_);
  // Keep the log bounded for programs that never call wait_for_all: drop what wait_for_var already reported.
  if (failures_.size() >= 64) {
    std::erase_if(failures_, [](const FailurePtr& f) { return f->reported.load(std::memory_order_relaxed); });
  }
  failures_.push_back(std::move(failure));
}

void FailureLog::rethrow_first_unreported() {
  std::vector<FailurePtr> failures;
  {
    std::lock_guard lock(mutex_);
    failures.swap(failures_);
  }
  FailurePtr first;
  for (auto& failure : failures) {
    if (!failure->reported.exchange(true) && !first) first = failure;
  }
  if (first) first->rethrow();
}

std::vector<FailurePtr> FailureLog::take_unreported() {
  std::lock_guard lock(mutex_);
  std::vector<FailurePtr> unreported;
  for (auto& failure : failures_) {
    if (!failure->reported.load()) unreported.push_back(failure);
  }
  failures_.clear();
  return unreported;
}

}  // namespace mx::engine::detail
