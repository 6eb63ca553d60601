#include <mx/engine/context.h>

#include <ostream>

#include <mx/engine/cuda_stream.h>

namespace mx {

std::string Context::str() const {
  const char* kind = dev_type == DeviceType::kGPU         ? "gpu"
                     : dev_type == DeviceType::kCPUPinned ? "cpu_pinned"
                                                          : "cpu";
  return std::string(kind) + "(" + std::to_string(dev_id) + ")";
}

namespace {
thread_local Context t_current = cpu();
}

Context current_context() { return t_current; }

int num_gpus() { return engine::detail::cuda_device_count(); }

context_scope::context_scope(Context ctx) : previous_(t_current) { t_current = ctx; }
context_scope::~context_scope() { t_current = previous_; }

std::ostream& operator<<(std::ostream& os, const Context& ctx) { return os << ctx.str(); }

}  // namespace mx
