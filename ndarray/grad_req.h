#pragma once
// How backward writes a variable's gradient (MXNet's grad_req).
#include <string_view>

namespace mx {

enum class GradReq {
  kNull,   // no gradient
  kWrite,  // each backward overwrites the gradient
  kAdd,    // each backward adds to it, as PyTorch does; clear it with zero_grad
};

// "null", "write" or "add"; throws mx::Error for other text.
GradReq grad_req_from_name(std::string_view name);
const char* grad_req_name(GradReq req);

}  // namespace mx
