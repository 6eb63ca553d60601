#pragma once
// MXNet's gradient compression, the operators under kvstore's set_gradient_compression: a gradient is quantized
// to one or two bits an element, and what the codes leave out is kept on the sender (the residual) and added to
// the next gradient, so that nothing is lost, only delayed.
//
//   2bit: residual += grad; an element at or above +threshold is sent as +threshold, at or below -threshold as
//         -threshold (and that much taken off its residual), anything between as 0: 16 elements a 32-bit word.
//   1bit: residual += grad; an element above threshold is sent as +1, any other as -1 (and the residual moves
//         by 1 the other way): 32 elements a word.
//
// The codes are int32 words with MXNet's bit layout (element i of 2bit in byte i / 4, the first of a byte in its
// high bits), so that they travel between devices and processes as plain bytes. float32 gradients.
#include <cstdint>
#include <span>
#include <string>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

enum class CompressionType { kOneBit, kTwoBit };

// "1bit" or "2bit"; an mx::Error naming the type and the known ones otherwise.
CompressionType compression_type(const std::string& name);
const char* compression_name(CompressionType type);
// How many int32 words hold the codes of `elements` elements.
std::int64_t compressed_size(CompressionType type, std::int64_t elements);

// residual += grad, then codes = the residual quantized and residual -= what the codes stand for. `grad` and
// `residual` are float32 of one shape; `codes` is int32 of shape (compressed_size,). All on one context.
void quantize_gradient(CompressionType type, float threshold, const NDArray& grad, NDArray& residual, NDArray& codes);

// out = the sum of what the codes stand for, over every array of `codes` and every row of each (an array of codes
// is (compressed_size,) or (rows, compressed_size)): a device's or a worker's gradient per row. `out` is float32,
// of the gradient's shape, on the codes' context.
void dequantize_sum(CompressionType type, float threshold, std::span<const NDArray> codes, NDArray& out);

}  // namespace mx::nd
