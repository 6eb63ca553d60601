#pragma once
// Automatic mixed precision (MXNet's contrib.amp): while enabled, each operator call casts its floating inputs
// by the operator's class before it runs. Matrix products (dot, batch_dot, FullyConnected, and so the products
// inside Convolution) run in the target dtype; operators that lose accuracy in 16 bits (softmax, exp, log,
// reductions, losses) run in float32; arithmetic between arrays runs in the widest dtype of its inputs; the rest
// run in the dtype they are given. The casts are ordinary Cast calls, recorded by autograd and traced by
// hybridize, so parameters stay float32 (master weights) and their gradients come back in float32.
//
//   amp::init(DType::kBFloat16);       // every thread, from now on
//   { amp::scope on(DType::kBFloat16); y = net(x); }   // this thread, for the scope
#include <optional>
#include <string>
#include <vector>

#include <mx/ndarray/dtype.h>

namespace mx::amp {

enum class OpClass { kTarget, kFloat32, kWidest, kAny };

// Enables AMP for the process (MXNet's amp.init); target is float16 or bfloat16, else mx::DTypeError.
void init(DType target = DType::kFloat16);
// Turns the process-wide setting off again (mxpp's addition, for tests and benchmarks).
void disable();
// The target on this thread: a scope's, else init's; nullopt when AMP is off.
std::optional<DType> active_target();

// AMP on this thread for its lifetime (target), or off (nullopt), whatever init said; nestable.
class scope {
 public:
  explicit scope(std::optional<DType> target);
  ~scope();
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;

 private:
  std::optional<std::optional<DType>> saved_;
};

// The lists, by operator name (MXNet's FP16_FUNCS, FP32_FUNCS and WIDEST_TYPE_CASTS for mxpp's operators).
OpClass op_class(const std::string& op);
std::vector<std::string> list_ops(OpClass op_class);

}  // namespace mx::amp
