#pragma once
// Where data lives and where an operation runs: cpu(i), gpu(i), cpu_pinned(i).
#include <cstdint>
#include <iosfwd>
#include <string>

namespace mx {

enum class DeviceType : std::int8_t { kCPU = 1, kGPU = 2, kCPUPinned = 3 };

struct Context {
  DeviceType dev_type = DeviceType::kCPU;
  int dev_id = 0;

  bool is_gpu() const { return dev_type == DeviceType::kGPU; }
  bool operator==(const Context&) const = default;
  // MXNet's spelling: "cpu(0)", "gpu(1)", "cpu_pinned(0)".
  std::string str() const;
};

inline Context cpu(int dev_id = 0) { return {DeviceType::kCPU, dev_id}; }
inline Context gpu(int dev_id = 0) { return {DeviceType::kGPU, dev_id}; }
inline Context cpu_pinned(int dev_id = 0) { return {DeviceType::kCPUPinned, dev_id}; }

std::ostream& operator<<(std::ostream& os, const Context& ctx);

// Usable CUDA devices, as MXNet's mx.context.num_gpus(): 0 without CUDA support, a driver or a device.
int num_gpus();

// The context creation functions, initializers and data loaders use when given none: cpu(0) unless a
// context_scope on this thread says otherwise.
Context current_context();

// MXNet's `with mx.gpu(1):` as an RAII scope. Nestable and per thread; leaving it (also by an exception)
// restores the context that was current before. Operators on existing arrays keep running where their inputs are.
//
//   { mx::context_scope on_gpu(gpu(1)); auto y = nd::ones({3, 5}); }  // y lives on gpu(1)
class context_scope {
 public:
  explicit context_scope(Context ctx);
  ~context_scope();
  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;

 private:
  Context previous_;
};

}  // namespace mx
