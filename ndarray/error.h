#pragma once
// The array layer's errors, raised at the call that caused them. Messages name the operator, the argument
// and the shapes: "add: shapes (2, 3) and (4,) cannot be broadcast together".
#include <mx/engine/error.h>

namespace mx {

class ShapeError : public Error {
 public:
  using Error::Error;
};

class DTypeError : public Error {
 public:
  using Error::Error;
};

// An index out of range for the axis it addresses (gather_nd, scatter_nd).
class IndexError : public Error {
 public:
  using Error::Error;
};

}  // namespace mx
