// CUDA twin of optimizer_updates.cc: the same update_element per weight element, one thread each.
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/update_rules.h>

#include <cmath>
#include <string>

#include "gpu_common.cuh"
#include "rule_dispatch.h"

namespace mx::op::gpu {
namespace {

using nd::UpdateRule;

template <UpdateRule R, class T>
__global__ void update_kernel(nd::UpdateHyperParams h, T* w, const T* g, T* s0, T* s1, T* s2, std::int64_t n) {
  const T rescale = static_cast<T>(h.rescale_grad), clip = nd::clip_bound<T>(h);
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    T unused0 = 0, unused1 = 0, unused2 = 0;
    T& state0 = nd::update_state_count(R) > 0 ? s0[i] : unused0;
    T& state1 = nd::update_state_count(R) > 1 ? s1[i] : unused1;
    T& state2 = nd::update_state_count(R) > 2 ? s2[i] : unused2;
    nd::update_element<R>(h, w[i], nd::prepared_for<R>(g[i], rescale, clip), state0, state1, state2);
  }
}

// LAMB, first pass: the moments, the Adam direction r (kept), and the squared norms of w and r (block sums, then
// one atomic add per block).
template <class T>
__global__ void lamb_direction(nd::UpdateHyperParams h, const T* w, const T* g, T* m, T* v, double* r,
                               double* norms, std::int64_t n, double correction1, double correction2) {
  __shared__ double weight_sq[kThreads], direction_sq[kThreads];
  double ws = 0, rs = 0;
  const T clip = nd::clip_bound<T>(h);
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const double grad = nd::prepared(g[i], static_cast<T>(h.rescale_grad), clip);
    m[i] = static_cast<T>(h.beta1 * m[i] + (1 - h.beta1) * grad);
    v[i] = static_cast<T>(h.beta2 * v[i] + (1 - h.beta2) * grad * grad);
    const double direction = (m[i] / correction1) / (sqrt(v[i] / correction2) + h.epsilon) + h.wd * w[i];
    r[i] = direction;
    ws += static_cast<double>(w[i]) * w[i];
    rs += direction * direction;
  }
  weight_sq[threadIdx.x] = ws;
  direction_sq[threadIdx.x] = rs;
  __syncthreads();
  for (int width = blockDim.x / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) {
      weight_sq[threadIdx.x] += weight_sq[threadIdx.x + width];
      direction_sq[threadIdx.x] += direction_sq[threadIdx.x + width];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(norms, weight_sq[0]);
    atomicAdd(norms + 1, direction_sq[0]);
  }
}

// LAMB, second pass: w -= lr * (|w| / |r|) * r (a ratio of 1 where either norm is 0).
template <class T>
__global__ void lamb_apply(double lr, T* w, const double* r, const double* norms, std::int64_t n) {
  const double weight_norm = sqrt(norms[0]), direction_norm = sqrt(norms[1]);
  const double ratio = weight_norm > 0 && direction_norm > 0 ? weight_norm / direction_norm : 1.0;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    w[i] = static_cast<T>(w[i] - lr * ratio * r[i]);
  }
}

template <class T>
void lamb(const nd::UpdateHyperParams& h, void* w, const void* g, void* m, void* v, std::int64_t n, cudaStream_t s) {
  double* scratch = nullptr;  // n directions, then the two squared norms; in the stream's order
  const std::size_t bytes = sizeof(double) * static_cast<std::size_t>(n + 2);
  if (cudaMallocAsync(reinterpret_cast<void**>(&scratch), bytes, s) != cudaSuccess) {
    throw Error("lamb_update: cannot reserve " + std::to_string(bytes) + " bytes of GPU scratch");
  }
  double* norms = scratch + n;
  cudaMemsetAsync(norms, 0, 2 * sizeof(double), s);
  const double correction1 = 1 - pow(h.beta1, h.step), correction2 = 1 - pow(h.beta2, h.step);
  lamb_direction<<<blocks_for(n), kThreads, 0, s>>>(h, static_cast<const T*>(w), static_cast<const T*>(g),
                                                    static_cast<T*>(m), static_cast<T*>(v), scratch, norms, n,
                                                    correction1, correction2);
  lamb_apply<<<blocks_for(n), kThreads, 0, s>>>(h.lr, static_cast<T*>(w), scratch, norms, n);
  cudaFreeAsync(scratch, s);
}

template <UpdateRule R, class T>
void launch(const nd::UpdateHyperParams& h, void* w, const void* g, void* s0, void* s1, void* s2, std::int64_t n,
            cudaStream_t stream) {
  update_kernel<R><<<blocks_for(n), kThreads, 0, stream>>>(h, static_cast<T*>(w), static_cast<const T*>(g),
                                                            static_cast<T*>(s0), static_cast<T*>(s1),
                                                            static_cast<T*>(s2), n);
}

template <class T>
void update_typed(UpdateRule rule, const nd::UpdateHyperParams& h, void* w, const void* g, void* s0, void* s1,
                  void* s2, std::int64_t n, cudaStream_t s) {
  nd::with_rule(rule, [&](auto tag) {
    constexpr UpdateRule R = decltype(tag)::value;
    if constexpr (R == UpdateRule::kLAMB) {
      lamb<T>(h, w, g, s0, s1, n, s);
    } else {
      launch<R, T>(h, w, g, s0, s1, s2, n, s);
    }
  });
}

}  // namespace

void optimizer_update(nd::UpdateRule rule, const nd::UpdateHyperParams& hyper, int dtype, void* weight,
                      const void* grad, void* state0, void* state1, void* state2, std::int64_t n, Stream stream) {
  if (n == 0) return;
  if (dtype == kF32) update_typed<float>(rule, hyper, weight, grad, state0, state1, state2, n, as_stream(stream));
  else if (dtype == kF64) update_typed<double>(rule, hyper, weight, grad, state0, state1, state2, n, as_stream(stream));
  else no_kernel("optimizer update", dtype);
  check_launch("optimizer update");
}

}  // namespace mx::op::gpu
