#pragma once
// The exception family of mxpp. Messages name the operator, the argument and the shapes.
#include <stdexcept>
#include <string>

namespace mx {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Misuse of the engine API (unknown engine type, unavailable device, waiting inside an operation...).
class EngineError : public Error {
 public:
  using Error::Error;
};

// An operation failed inside the engine. Rethrown at the sync point that needs its result; the exception the
// operation threw is nested (std::rethrow_if_nested gets it back).
class OperatorError : public Error {
 public:
  OperatorError(std::string op_name, const std::string& what)
      : Error("operator '" + op_name + "' failed: " + what), op_name_(std::move(op_name)) {}
  const std::string& op_name() const { return op_name_; }

 private:
  std::string op_name_;
};

}  // namespace mx
