#pragma once
// What the operators' .cu files share: element types on the device, dtype dispatch, launch shapes and the
// launch check. 16-bit floats are stored as CUDA's __half and __nv_bfloat16 (the bits of mx::float16 and
// mx::bfloat16) and computed in float, as on the CPU.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <climits>
#include <limits>
#include <string>
#include <type_traits>

#include <mx/engine/error.h>
#include <mx/ndarray/float_to_integer.h>

namespace mx::op::gpu {

// Storage type -> compute type, and the conversions between them (and from double, for scalars).
template <class T> struct Elem {
  using C = std::conditional_t<std::is_same_v<T, bool>, std::int32_t, T>;
  __device__ static C load(T v) { return static_cast<C>(v); }
  __device__ static T store(C v) { return static_cast<T>(v); }
  __host__ __device__ static C from_double(double v) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return static_cast<C>(float_to_integer<T>(v));  // as the CPU's (on the host, a plain cast is undefined)
    } else {
      return static_cast<C>(static_cast<T>(v));
    }
  }
};
template <> struct Elem<__half> {
  using C = float;
  __device__ static C load(__half v) { return __half2float(v); }
  __device__ static __half store(C v) { return __float2half_rn(v); }
  // Through float, as the CPU rounds a double to 16 bits (rounding once, directly, can differ from rounding twice).
  __device__ static C from_double(double v) { return __half2float(__float2half_rn(static_cast<float>(v))); }
};
template <> struct Elem<__nv_bfloat16> {
  using C = float;
  __device__ static C load(__nv_bfloat16 v) { return __bfloat162float(v); }
  __device__ static __nv_bfloat16 store(C v) { return __float2bfloat16_rn(v); }
  __device__ static C from_double(double v) { return __bfloat162float(__float2bfloat16_rn(static_cast<float>(v))); }
};

// MXNet's dtype codes (mx::DType), as the host passes them.
enum Code : int { kF32 = 0, kF64 = 1, kF16 = 2, kU8 = 3, kI32 = 4, kI8 = 5, kI64 = 6, kBool = 7, kBF16 = 12 };

inline const char* code_name(int dtype) {
  switch (dtype) {
    case kF32: return "float32";
    case kF64: return "float64";
    case kF16: return "float16";
    case kU8: return "uint8";
    case kI32: return "int32";
    case kI8: return "int8";
    case kI64: return "int64";
    case kBool: return "bool";
    case kBF16: return "bfloat16";
  }
  return "an unknown dtype";
}

[[noreturn]] inline void no_kernel(const char* what, int dtype) {
  throw Error(std::string(what) + ": no GPU kernel for " + code_name(dtype));
}

// fn(T{}) for the floating storage types.
template <class Fn>
void dispatch_floating(int dtype, const char* what, Fn&& fn) {
  switch (dtype) {
    case kF32: fn(float{}); return;
    case kF64: fn(double{}); return;
    case kF16: fn(__half{}); return;
    case kBF16: fn(__nv_bfloat16{}); return;
    default: no_kernel(what, dtype);
  }
}
// fn(T{}) for the floating types and the integers elementwise arithmetic serves.
template <class Fn>
void dispatch_arithmetic(int dtype, const char* what, Fn&& fn) {
  switch (dtype) {
    case kU8: fn(std::uint8_t{}); return;
    case kI32: fn(std::int32_t{}); return;
    case kI64: fn(std::int64_t{}); return;
    default: dispatch_floating(dtype, what, fn);
  }
}
// fn(T{}) for every dtype (copies, casts, fills, indices).
template <class Fn>
void dispatch_all(int dtype, const char* what, Fn&& fn) {
  switch (dtype) {
    case kI8: fn(std::int8_t{}); return;
    case kBool: fn(bool{}); return;
    default: dispatch_arithmetic(dtype, what, fn);
  }
}

// A value of any dtype read as double (labels and indices).
__device__ inline double load_as_double(int dtype, const void* p, std::int64_t i) {
  switch (dtype) {
    case kF32: return static_cast<const float*>(p)[i];
    case kF64: return static_cast<const double*>(p)[i];
    case kF16: return __half2float(static_cast<const __half*>(p)[i]);
    case kBF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    case kU8: return static_cast<const std::uint8_t*>(p)[i];
    case kI32: return static_cast<const std::int32_t*>(p)[i];
    case kI8: return static_cast<const std::int8_t*>(p)[i];
    case kI64: return static_cast<double>(static_cast<const std::int64_t*>(p)[i]);
    case kBool: return static_cast<const bool*>(p)[i] ? 1.0 : 0.0;
  }
  return 0;
}

inline constexpr int kThreads = 256;
// Blocks for a grid-stride loop over n elements: enough to fill the device, never more than needed.
inline unsigned blocks_for(std::int64_t n, int threads = kThreads) {
  const std::int64_t wanted = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::clamp<std::int64_t>(wanted, 1, 65535));
}

inline void check_launch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) {
    throw Error(std::string("CUDA kernel ") + kernel + ": " + cudaGetErrorName(status) + ": " +
                cudaGetErrorString(status));
  }
}

inline cudaStream_t as_stream(void* stream) { return static_cast<cudaStream_t>(stream); }

}  // namespace mx::op::gpu
