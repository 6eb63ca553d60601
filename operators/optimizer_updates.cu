// CUDA twin of optimizer_updates.cc: the same update_element per weight element, one thread each.
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/update_rules.h>

#include "gpu_common.cuh"

namespace mx::op::gpu {
namespace {

using nd::UpdateRule;

template <UpdateRule R, class T>
__global__ void update_kernel(nd::UpdateHyperParams h, T* w, const T* g, T* s0, T* s1, std::int64_t n) {
  const T rescale = static_cast<T>(h.rescale_grad), clip = nd::clip_bound<T>(h);
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    T unused0 = 0, unused1 = 0;
    T& state0 = nd::update_state_count(R) > 0 ? s0[i] : unused0;
    T& state1 = nd::update_state_count(R) > 1 ? s1[i] : unused1;
    nd::update_element<R>(h, w[i], nd::prepared(g[i], rescale, clip), state0, state1);
  }
}

template <UpdateRule R, class T>
void launch(const nd::UpdateHyperParams& h, void* w, const void* g, void* s0, void* s1, std::int64_t n,
            cudaStream_t stream) {
  update_kernel<R><<<blocks_for(n), kThreads, 0, stream>>>(h, static_cast<T*>(w), static_cast<const T*>(g),
                                                            static_cast<T*>(s0), static_cast<T*>(s1), n);
}

template <class T>
void update_typed(UpdateRule rule, const nd::UpdateHyperParams& h, void* w, const void* g, void* s0, void* s1,
                  std::int64_t n, cudaStream_t s) {
  switch (rule) {
    case UpdateRule::kSGD: return launch<UpdateRule::kSGD, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kSGDMomentum: return launch<UpdateRule::kSGDMomentum, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kNAG: return launch<UpdateRule::kNAG, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kAdam: return launch<UpdateRule::kAdam, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kAdamW: return launch<UpdateRule::kAdamW, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kRMSProp: return launch<UpdateRule::kRMSProp, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kAdaGrad: return launch<UpdateRule::kAdaGrad, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kAdaDelta: return launch<UpdateRule::kAdaDelta, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kAdamax: return launch<UpdateRule::kAdamax, T>(h, w, g, s0, s1, n, s);
    case UpdateRule::kLAMB: throw Error("lamb_update: no GPU kernel (its trust ratio needs two norms)");
  }
}

}  // namespace

void optimizer_update(nd::UpdateRule rule, const nd::UpdateHyperParams& hyper, int dtype, void* weight,
                      const void* grad, void* state0, void* state1, std::int64_t n, Stream stream) {
  if (n == 0) return;
  if (dtype == kF32) update_typed<float>(rule, hyper, weight, grad, state0, state1, n, as_stream(stream));
  else if (dtype == kF64) update_typed<double>(rule, hyper, weight, grad, state0, state1, n, as_stream(stream));
  else no_kernel("optimizer update", dtype);
  check_launch("optimizer update");
}

}  // namespace mx::op::gpu
