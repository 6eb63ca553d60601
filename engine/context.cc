#include <mx/engine/context.h>

#include <ostream>

namespace mx {

std::string Context::str() const {
  const char* kind = dev_type == DeviceType::kGPU         ? "gpu"
                     : dev_type == DeviceType::kCPUPinned ? "cpu_pinned"
                                                          : "cpu";
  return std::string(kind) + "(" + std::to_string(dev_id) + ")";
}

std::ostream& operator<<(std::ostream& os, const Context& ctx) { return os << ctx.str(); }

}  // namespace mx
