#include <mx/operators/upsampling.h>

#include <mx/ndarray/error.h>
#include <mx/operators/convolution.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/layout.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/symbolic.h>

namespace mx::nd {

NDArray UpSampling(const std::vector<NDArray>& inputs, std::int64_t scale, const std::string& mode) {
  if (inputs.empty()) throw Error("UpSampling: needs at least one input");
  if (scale < 1) throw Error("UpSampling: scale must be positive, got " + std::to_string(scale));
  if (mode != "concat" && mode != "sum") throw Error("UpSampling: multi_input_mode must be \"concat\" or \"sum\", got \"" + mode + "\"");
  for (const NDArray& x : inputs) {
    if (x.ndim() != 4) throw ShapeError("UpSampling: expects (N, C, H, W) inputs, got " + x.shape().str());
  }
  std::int64_t height = 0, width = 0;
  if (__builtin_mul_overflow(inputs[0].shape()[2], scale, &height) || __builtin_mul_overflow(inputs[0].shape()[3], scale, &width)) {
    throw ShapeError("UpSampling: " + inputs[0].shape().str() + " times scale " + std::to_string(scale) + " is too large");
  }
  op::Composite node("UpSampling", inputs);
  std::vector<NDArray> scaled;
  for (const NDArray& x : inputs) {
    const std::int64_t h = x.shape()[2], w = x.shape()[3];
    if (h == 0 || w == 0 || height % h != 0 || width % w != 0 || height / h != width / w) {
      throw ShapeError("UpSampling: input " + x.shape().str() + " does not scale evenly to " + std::to_string(height) +
                       " x " + std::to_string(width) + " (the first input " + inputs[0].shape().str() + " times " +
                       std::to_string(scale) + ")");
    }
    const std::int64_t s = height / h;
    scaled.push_back(s == 1 ? x : repeat(repeat(x, s, 2), s, 3));
  }
  NDArray out = scaled[0];
  if (scaled.size() > 1) {
    if (mode == "concat") {
      out = concat(scaled, 1);
    } else {
      for (std::size_t i = 1; i < scaled.size(); ++i) out = out + scaled[i];
    }
  }
  if (!node.active()) return out;
  return node.finish({{"scale", op::attr_string(scale)},
                      {"sample_type", "nearest"},
                      {"num_args", op::attr_string(static_cast<std::int64_t>(inputs.size()))},
                      {"multi_input_mode", mode}},
                     out);
}

NDArray UpSamplingBilinear(const NDArray& data, const NDArray& weight, std::int64_t scale) {
  if (scale < 1) throw Error("UpSampling: scale must be positive, got " + std::to_string(scale));
  if (data.ndim() != 4) throw ShapeError("UpSampling: expects (N, C, H, W) data, got " + data.shape().str());
  const std::int64_t channels = data.shape()[1], kernel = 2 * scale - scale % 2, pad = scale / 2;  // ceil((s - 1) / 2)
  if (weight.shape() != Shape{channels, 1, kernel, kernel}) {
    throw ShapeError("UpSampling: bilinear with scale " + std::to_string(scale) + " takes a weight (" +
                     std::to_string(channels) + ", 1, " + std::to_string(kernel) + ", " + std::to_string(kernel) +
                     ") for data " + data.shape().str() + ", got " + weight.shape().str());
  }
  op::Composite node("UpSampling", {data, weight});
  const NDArray out = Deconvolution(data, weight, std::nullopt, {.kernel = {kernel, kernel}, .stride = {scale, scale}, .pad = {pad, pad}},
                                    channels, channels);
  if (!node.active()) return out;
  return node.finish({{"scale", op::attr_string(scale)},
                      {"sample_type", "bilinear"},
                      {"num_filter", op::attr_string(channels)},
                      {"num_args", "2"}},
                     out);
}

}  // namespace mx::nd
