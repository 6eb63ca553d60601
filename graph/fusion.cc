#include <mx/graph/fusion.h>

#include <atomic>
#include <string_view>
#include <unordered_set>

#include <mx/engine/env.h>

namespace mx::graph {

bool is_elementwise(const char* op) {
  // Binary broadcast_* operators are elementwise when their inputs are of one size (checked by the caller).
  static const std::unordered_set<std::string_view> kElementwise = {
      "abs", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "cbrt", "ceil", "cos", "cosh",
      "degrees", "digamma", "erf", "erfinv", "exp", "expm1", "fix", "floor", "gamma", "gammaln", "log", "log10",
      "log1p", "log2", "negative", "radians", "rcbrt", "reciprocal", "relu", "rint", "round", "rsqrt", "sigmoid",
      "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh", "trigamma", "trunc", "_copy", "clip",
      "_backward_relu", "_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
      "_rdiv_scalar", "_power_scalar", "_rpower_scalar", "_mod_scalar", "_rmod_scalar", "_maximum_scalar",
      "_minimum_scalar", "_equal_scalar", "_not_equal_scalar", "_greater_scalar", "_greater_equal_scalar",
      "_lesser_scalar", "_lesser_equal_scalar", "broadcast_add", "broadcast_sub", "broadcast_mul",
      "broadcast_div", "broadcast_maximum", "broadcast_minimum", "broadcast_power", "broadcast_hypot",
      "broadcast_mod", "broadcast_equal", "broadcast_not_equal", "broadcast_greater", "broadcast_greater_equal",
      "broadcast_lesser", "broadcast_lesser_equal", "atan2", "fmod", "where"};
  return op != nullptr && kElementwise.count(op) != 0;
}

namespace {
std::atomic<bool>& fusion_flag() {
  static std::atomic<bool> enabled{engine::detail::env_int("MX_USE_FUSION", 1, 0) != 0};
  return enabled;
}
}  // namespace

bool fusion_enabled() { return fusion_flag().load(std::memory_order_relaxed); }
void set_fusion_enabled(bool enabled) { fusion_flag().store(enabled, std::memory_order_relaxed); }

}  // namespace mx::graph
