#include <mx/ndarray/grad_req.h>

#include <string>

#include <mx/ndarray/error.h>

namespace mx {

GradReq grad_req_from_name(std::string_view name) {
  if (name == "null") return GradReq::kNull;
  if (name == "write") return GradReq::kWrite;
  if (name == "add") return GradReq::kAdd;
  throw Error("grad_req: \"" + std::string(name) + "\" is not one of null, write, add");
}

const char* grad_req_name(GradReq req) {
  switch (req) {
    case GradReq::kNull: return "null";
    case GradReq::kWrite: return "write";
    case GradReq::kAdd: return "add";
  }
  return "?";
}

}  // namespace mx
