#include <mx/operators/amp.h>

#include <algorithm>
#include <atomic>
#include <span>
#include <string_view>
#include <unordered_map>

#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/invoke.h>

namespace mx::amp {
namespace {

std::atomic<int> g_target{-1};  // the DType's code; -1: off
thread_local std::optional<std::optional<DType>> t_scope;

const std::unordered_map<std::string_view, OpClass>& classes() {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string_view, OpClass>;
    // Products: where 16 bits pay (tensor cores on the GPU, half the memory traffic).
    for (const char* op : {"dot", "batch_dot", "FullyConnected", "linalg_gemm", "linalg_gemm2", "_cudnn_convolution"}) {
      (*t)[op] = OpClass::kTarget;
    }
    // Where 16 bits lose too much: exponentials, logarithms, powers, reductions, normalizations, losses.
    for (const char* op : {"softmax", "log_softmax", "SoftmaxOutput", "softmax_cross_entropy", "exp", "expm1", "log",
                           "log1p", "log2", "log10", "sqrt", "rsqrt", "cbrt", "rcbrt", "reciprocal", "square",
                           "broadcast_power", "_power_scalar", "_rpower_scalar", "erf", "erfinv", "gamma", "gammaln",
                           "digamma", "sum", "mean", "norm", "prod", "nansum", "nanprod", "cumsum", "cumprod",
                           "_div_scalar", "_rdiv_scalar", "broadcast_hypot", "arccos", "arcsin", "arccosh", "arcsinh",
                           "cosh", "sinh", "tan", "_scale_shift_channels", "linalg_potrf", "linalg_potri", "linalg_trsm",
                           "linalg_trmm", "linalg_syrk", "linalg_gelqf", "linalg_syevd", "linalg_inverse", "linalg_det",
                           "linalg_slogdet", "linalg_lstsq"}) {
      (*t)[op] = OpClass::kFloat32;
    }
    // Between arrays: in the widest of the inputs' dtypes, so float32 meets float32.
    for (const char* op : {"broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div", "broadcast_mod",
                           "broadcast_maximum", "broadcast_minimum", "Concat", "where", "atan2", "fmod"}) {
      (*t)[op] = OpClass::kWidest;
    }
    return t;
  }();
  return *table;
}

bool is_half(DType d) { return d == DType::kFloat16 || d == DType::kBFloat16; }

}  // namespace

void init(DType target) {
  if (!is_half(target)) {
    throw DTypeError(std::string("amp::init: the target must be float16 or bfloat16, got ") + dtype_name(target));
  }
  g_target.store(static_cast<int>(target), std::memory_order_relaxed);
}

void disable() { g_target.store(-1, std::memory_order_relaxed); }

std::optional<DType> active_target() {
  if (t_scope) return *t_scope;
  const int code = g_target.load(std::memory_order_relaxed);
  if (code < 0) return std::nullopt;
  return static_cast<DType>(code);
}

scope::scope(std::optional<DType> target) : saved_(t_scope) {
  if (target && !is_half(*target)) {
    throw DTypeError(std::string("amp::scope: the target must be float16 or bfloat16, got ") + dtype_name(*target));
  }
  t_scope = target;
}

scope::~scope() { t_scope = saved_; }

OpClass op_class(const std::string& op) {
  const auto it = classes().find(op);
  return it == classes().end() ? OpClass::kAny : it->second;
}

std::vector<std::string> list_ops(OpClass op_class) {
  std::vector<std::string> names;
  for (const auto& [name, c] : classes()) {
    if (c == op_class) names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace mx::amp

namespace mx::op::detail {

std::span<const NDArray> amp_cast(const char* op, std::span<const NDArray> inputs, std::vector<NDArray>& casts) {
  const std::optional<DType> target = amp::active_target();
  if (!target || inputs.empty()) return inputs;
  const amp::OpClass c = amp::op_class(op);
  if (c == amp::OpClass::kAny) return inputs;
  DType wanted = *target;
  if (c == amp::OpClass::kFloat32) {
    wanted = DType::kFloat32;
  } else if (c == amp::OpClass::kWidest) {
    bool any_half = false, mixed = false;
    std::optional<DType> first;
    for (const NDArray& in : inputs) {
      if (in.is_none() || (!amp::is_half(in.dtype()) && in.dtype() != DType::kFloat32)) continue;
      any_half = any_half || amp::is_half(in.dtype());
      if (first && *first != in.dtype()) mixed = true;
      if (!first) first = in.dtype();
    }
    if (!any_half || !mixed) return inputs;
    wanted = DType::kFloat32;
  }
  // Casts float32 to a 16-bit target and 16-bit types to float32; other dtypes (float64, integers) stay.
  auto needs_cast = [&](const NDArray& in) {
    if (in.is_none() || in.dtype() == wanted) return false;
    return wanted == DType::kFloat32 ? amp::is_half(in.dtype()) : in.dtype() == DType::kFloat32;
  };
  if (std::none_of(inputs.begin(), inputs.end(), needs_cast)) return inputs;
  casts.assign(inputs.begin(), inputs.end());
  for (NDArray& in : casts) {
    if (needs_cast(in)) in = nd::astype(in, wanted);
  }
  return casts;
}

}  // namespace mx::op::detail
