#pragma once
// The update rule chosen at run time as a compile-time constant: fn(std::integral_constant<UpdateRule, R>{}),
// so that the CPU loops (optimizer_updates.cc) and the CUDA launches (optimizer_updates.cu) are instantiated
// per rule through this one switch. C++17 (nvcc). Private to operators/.
#include <type_traits>

#include <mx/operators/update_rules.h>

namespace mx::nd {

template <class Fn>
void with_rule(UpdateRule rule, Fn&& fn) {
  using R = UpdateRule;
  switch (rule) {
    case R::kSGD: return fn(std::integral_constant<R, R::kSGD>{});
    case R::kSGDMomentum: return fn(std::integral_constant<R, R::kSGDMomentum>{});
    case R::kNAG: return fn(std::integral_constant<R, R::kNAG>{});
    case R::kAdam: return fn(std::integral_constant<R, R::kAdam>{});
    case R::kAdamW: return fn(std::integral_constant<R, R::kAdamW>{});
    case R::kRMSProp: return fn(std::integral_constant<R, R::kRMSProp>{});
    case R::kAdaGrad: return fn(std::integral_constant<R, R::kAdaGrad>{});
    case R::kAdaDelta: return fn(std::integral_constant<R, R::kAdaDelta>{});
    case R::kAdamax: return fn(std::integral_constant<R, R::kAdamax>{});
    case R::kLAMB: return fn(std::integral_constant<R, R::kLAMB>{});
    case R::kSignum: return fn(std::integral_constant<R, R::kSignum>{});
    case R::kFtrl: return fn(std::integral_constant<R, R::kFtrl>{});
    case R::kNadam: return fn(std::integral_constant<R, R::kNadam>{});
    case R::kRMSPropCentered: return fn(std::integral_constant<R, R::kRMSPropCentered>{});
    case R::kFTML: return fn(std::integral_constant<R, R::kFTML>{});
    case R::kDCASGD: return fn(std::integral_constant<R, R::kDCASGD>{});
  }
}

}  // namespace mx::nd
