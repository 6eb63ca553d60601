#pragma once
// The bit layout of gradient compression (gradient_compression.h), one byte of codes at a time: shared by the
// CPU loops and the CUDA kernels, so that both write the same bits. C++17 (nvcc). Private to operators/.
#include <cstdint>

#include <mx/operators/host_device.h>

namespace mx::nd::codes {

// Elements a byte holds.
inline constexpr int kPerByte2Bit = 4, kPerByte1Bit = 8;

// Elements [first, end) (at most 4) into one byte: 11 = +threshold, 10 = -threshold, 00 = 0, the first element in
// the high bits. Adds each gradient to its residual and takes off what is sent.
MX_HOST_DEVICE inline std::uint8_t quantize_2bit(const float* grad, float* residual, std::int64_t first,
                                                 std::int64_t end, float threshold) {
  std::uint8_t byte = 0;
  for (std::int64_t i = first; i < end; ++i) {
    const int shift = 6 - 2 * static_cast<int>(i - first);
    residual[i] += grad[i];
    if (residual[i] >= threshold) {
      byte |= static_cast<std::uint8_t>(0x3 << shift);
      residual[i] -= threshold;
    } else if (residual[i] <= -threshold) {
      byte |= static_cast<std::uint8_t>(0x2 << shift);
      residual[i] += threshold;
    }
  }
  return byte;
}

MX_HOST_DEVICE inline float decode_2bit(const std::uint8_t* bytes, std::int64_t i, float threshold) {
  const int bits = (bytes[i / kPerByte2Bit] >> (6 - 2 * static_cast<int>(i % kPerByte2Bit))) & 0x3;
  return bits == 0x3 ? threshold : bits == 0x2 ? -threshold : 0.0f;
}

// Elements [first, end) (at most 8) into one byte: 1 = +1 (the residual above threshold), 0 = -1, the first
// element in the high bit.
MX_HOST_DEVICE inline std::uint8_t quantize_1bit(const float* grad, float* residual, std::int64_t first,
                                                 std::int64_t end, float threshold) {
  std::uint8_t byte = 0;
  for (std::int64_t i = first; i < end; ++i) {
    residual[i] += grad[i];
    if (residual[i] > threshold) {
      byte |= static_cast<std::uint8_t>(0x80 >> (i - first));
      residual[i] -= 1.0f;
    } else {
      residual[i] += 1.0f;
    }
  }
  return byte;
}

MX_HOST_DEVICE inline float decode_1bit(const std::uint8_t* bytes, std::int64_t i) {
  return (bytes[i / kPerByte1Bit] >> (7 - static_cast<int>(i % kPerByte1Bit))) & 0x1 ? 1.0f : -1.0f;
}

}  // namespace mx::nd::codes
