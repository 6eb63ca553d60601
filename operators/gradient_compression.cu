// CUDA twin of gradient_compression.cc: one thread per byte of codes to quantize, one per element to decode.
#include <mx/operators/gpu_kernels.h>

#include "gpu_common.cuh"
#include "gradient_codes.h"

namespace mx::op::gpu {
namespace {

__global__ void quantize_kernel(bool two_bit, float threshold, const float* grad, float* residual, std::uint8_t* bytes,
                                std::int64_t n, std::int64_t code_bytes) {
  const std::int64_t step = two_bit ? nd::codes::kPerByte2Bit : nd::codes::kPerByte1Bit;
  for (std::int64_t b = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; b < code_bytes;
       b += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t first = b * step, last = first + step < n ? first + step : n;
    if (first >= n) {
      bytes[b] = 0;
    } else {
      bytes[b] = two_bit ? nd::codes::quantize_2bit(grad, residual, first, last, threshold)
                         : nd::codes::quantize_1bit(grad, residual, first, last, threshold);
    }
  }
}

__global__ void dequantize_kernel(bool two_bit, float threshold, const std::uint8_t* bytes, std::int64_t rows,
                                  std::int64_t row_bytes, float* out, std::int64_t n, bool accumulate) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    float total = accumulate ? out[i] : 0.0f;
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::uint8_t* row = bytes + r * row_bytes;
      total += two_bit ? nd::codes::decode_2bit(row, i, threshold) : nd::codes::decode_1bit(row, i);
    }
    out[i] = total;
  }
}

}  // namespace

void quantize_gradient(bool two_bit, float threshold, const float* grad, float* residual, void* codes, std::int64_t n,
                       std::int64_t code_bytes, Stream stream) {
  quantize_kernel<<<blocks_for(code_bytes), kThreads, 0, as_stream(stream)>>>(
      two_bit, threshold, grad, residual, static_cast<std::uint8_t*>(codes), n, code_bytes);
  check_launch("quantize_gradient");
}

void dequantize_sum(bool two_bit, float threshold, const void* codes, std::int64_t rows, std::int64_t row_bytes, float* out,
                    std::int64_t n, bool accumulate, Stream stream) {
  dequantize_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(
      two_bit, threshold, static_cast<const std::uint8_t*>(codes), rows, row_bytes, out, n, accumulate);
  check_launch("dequantize_sum");
}

}  // namespace mx::op::gpu
