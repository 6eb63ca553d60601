// Gradient compression's two operators: quantize (with the residual) and the sum of dequantized codes.
#include <mx/operators/gradient_compression.h>

#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

#include "gradient_codes.h"

namespace mx::nd {
namespace {

struct CompressionParams {
  CompressionType type = CompressionType::kTwoBit;
  float threshold = 0.5f;
  Shape shape;  // the gradient's (dequantize_sum's output)
};

std::int64_t per_byte(CompressionType type) {
  return type == CompressionType::kTwoBit ? codes::kPerByte2Bit : codes::kPerByte1Bit;
}

void check_float32(const char* op, const char* what, const op::ArrayInfo& info) {
  if (info.dtype != DType::kFloat32) {
    throw DTypeError(std::string(op) + ": " + what + " must be float32, got " + dtype_name(info.dtype) + " " + info.shape.str());
  }
}

// Inputs grad, residual; outputs residual (the same array), codes.
void infer_quantize(const CompressionParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const char* name = "_quantize_gradient";
  check_float32(name, "the gradient", in[0]);
  check_float32(name, "the residual", in[1]);
  if (in[1].shape != in[0].shape) {
    throw ShapeError(std::string(name) + ": the residual " + in[1].shape.str() + " does not match the gradient " + in[0].shape.str());
  }
  out[0] = in[1];
  out[1] = {Shape{compressed_size(p.type, in[0].shape.size())}, DType::kInt32};
}

void quantize_cpu(const CompressionParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const float* grad = in[0].ptr<const float>();
  float* residual = out[0].ptr<float>();
  auto* bytes = out[1].ptr<std::uint8_t>();
  const std::int64_t n = in[0].size(), step = per_byte(p.type), used = (n + step - 1) / step;
  const std::int64_t all_bytes = out[1].size() * 4;
  op::parallel_for(all_bytes, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      if (b >= used) {  // the last word's unused bytes
        bytes[b] = 0;
        continue;
      }
      const std::int64_t first = b * step, last = std::min(first + step, n);
      bytes[b] = p.type == CompressionType::kTwoBit ? codes::quantize_2bit(grad, residual, first, last, p.threshold)
                                                    : codes::quantize_1bit(grad, residual, first, last, p.threshold);
    }
  }, 1024);
}

// Inputs: arrays of codes, each (words,) or (rows, words); output: the gradient's shape.
void infer_dequantize(const CompressionParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const char* name = "_dequantize_sum";
  if (in.empty()) throw Error(std::string(name) + ": no codes given");
  const std::int64_t words = compressed_size(p.type, p.shape.size());
  for (const op::ArrayInfo& codes : in) {
    const bool fits = codes.dtype == DType::kInt32 && (codes.shape.ndim() == 1 || codes.shape.ndim() == 2) &&
                      codes.shape[codes.shape.ndim() - 1] == words;
    if (!fits) {
      throw ShapeError(std::string(name) + ": codes of a " + compression_name(p.type) + " gradient of shape " +
                       p.shape.str() + " are int32 (" + std::to_string(words) + ",) or (rows, " + std::to_string(words) +
                       "), got " + dtype_name(codes.dtype) + " " + codes.shape.str());
    }
  }
  out[0] = {p.shape, DType::kFloat32};
}

std::int64_t rows_of(const Blob& codes) { return codes.shape.ndim() == 2 ? codes.shape[0] : 1; }

void dequantize_cpu(const CompressionParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  float* sum = out[0].ptr<float>();
  const std::int64_t row_bytes = compressed_size(p.type, p.shape.size()) * 4;
  op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      float total = 0;
      for (const Blob& codes : in) {
        const auto* bytes = codes.ptr<const std::uint8_t>();
        for (std::int64_t r = 0; r < rows_of(codes); ++r) {
          const std::uint8_t* row = bytes + r * row_bytes;
          total += p.type == CompressionType::kTwoBit ? codes::decode_2bit(row, i, p.threshold) : codes::decode_1bit(row, i);
        }
      }
      sum[i] = total;
    }
  });
}

#if MXPP_USE_CUDA
void quantize_gpu(const CompressionParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  op::gpu::quantize_gradient(p.type == CompressionType::kTwoBit, p.threshold, in[0].ptr<const float>(), out[0].ptr<float>(),
                             out[1].data, in[0].size(), out[1].size() * 4, ctx.run.stream);
}

void dequantize_gpu(const CompressionParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const std::int64_t row_bytes = compressed_size(p.type, p.shape.size()) * 4;
  for (std::size_t k = 0; k < in.size(); ++k) {
    op::gpu::dequantize_sum(p.type == CompressionType::kTwoBit, p.threshold, in[k].data, rows_of(in[k]), row_bytes,
                            out[0].ptr<float>(), out[0].size(), /*accumulate=*/k > 0, ctx.run.stream);
  }
}
#endif

const op::Operator<CompressionParams> kQuantize = op::define<CompressionParams>({.name = "_quantize_gradient",
                                                                                .num_inputs = 2,
                                                                                .num_outputs = 2,
                                                                                .infer = &infer_quantize,
                                                                                .cpu = &quantize_cpu,
                                                                                .gpu = MX_GPU(&quantize_gpu)});
const op::Operator<CompressionParams> kDequantizeSum = op::define<CompressionParams>({.name = "_dequantize_sum",
                                                                                     .num_inputs = op::kVariadic,
                                                                                     .num_outputs = 1,
                                                                                     .infer = &infer_dequantize,
                                                                                     .cpu = &dequantize_cpu,
                                                                                     .gpu = MX_GPU(&dequantize_gpu)});

}  // namespace

CompressionType compression_type(const std::string& name) {
  if (name == "2bit") return CompressionType::kTwoBit;
  if (name == "1bit") return CompressionType::kOneBit;
  throw Error("gradient compression: unknown type \"" + name + "\"; known: 1bit, 2bit");
}

const char* compression_name(CompressionType type) { return type == CompressionType::kTwoBit ? "2bit" : "1bit"; }

std::int64_t compressed_size(CompressionType type, std::int64_t elements) {
  const std::int64_t per_word = per_byte(type) * 4;
  return (elements + per_word - 1) / per_word;
}

void quantize_gradient(CompressionType type, float threshold, const NDArray& grad, NDArray& residual, NDArray& codes) {
  const NDArray inputs[] = {grad, residual};
  NDArray outputs[] = {residual, codes};
  op::invoke(kQuantize, std::span<const NDArray>(inputs), CompressionParams{type, threshold, grad.shape()},
             std::span<NDArray>(outputs));
}

void dequantize_sum(CompressionType type, float threshold, std::span<const NDArray> codes, NDArray& out) {
  op::invoke(kDequantizeSum, codes, CompressionParams{type, threshold, out.shape()}, std::span<NDArray>(&out, 1));
}

}  // namespace mx::nd
