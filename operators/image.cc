// _image_to_tensor and _image_normalize.
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/image.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

namespace mx::nd::image {
namespace {

struct NoParams {};

// (batch, height, width, channels) of an image or a batch of them.
struct Layout {
  std::int64_t batch, height, width, channels;
};

Layout image_layout(const char* op, const Shape& s, bool channels_last) {
  if (s.ndim() != 3 && s.ndim() != 4) {
    throw ShapeError(std::string(op) + ": expects an image " + (channels_last ? "(H, W, C)" : "(C, H, W)") +
                     " or a batch of them, got " + s.str());
  }
  const int o = s.ndim() - 3;
  const std::int64_t batch = o ? s[0] : 1;
  return channels_last ? Layout{batch, s[o], s[o + 1], s[o + 2]} : Layout{batch, s[o + 1], s[o + 2], s[o]};
}

// to_tensor, optionally followed by normalize in the same pass (a pipeline's ToTensor + Normalize).
struct ToTensorParams {
  std::vector<double> mean, std;  // empty: no normalization
};

// mean and std, one per channel (a single value broadcasting).
double channel_value(const std::vector<double>& v, std::int64_t c) { return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(c)]; }

void check_normalization(const char* op, const std::vector<double>& mean, const std::vector<double>& std,
                         std::int64_t channels, const Shape& shape) {
  for (const std::vector<double>* v : {&mean, &std}) {
    if (v->size() != 1 && static_cast<std::int64_t>(v->size()) != channels) {
      throw ShapeError(std::string(op) + ": mean and std need 1 or " + std::to_string(channels) + " values for " +
                       shape.str() + ", got " + std::to_string(v->size()));
    }
  }
  for (double s : std) {
    if (s == 0) throw Error(std::string(op) + ": std must not be 0");
  }
}

void infer_to_tensor(const ToTensorParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Layout l = image_layout("to_tensor", in[0].shape, true);
  if (!p.mean.empty()) check_normalization("to_tensor", p.mean, p.std, l.channels, in[0].shape);
  out[0] = {in[0].shape.ndim() == 4 ? Shape{l.batch, l.channels, l.height, l.width} : Shape{l.channels, l.height, l.width},
            DType::kFloat32};
}

template <class T>
float to_float(T value) {
  return static_cast<float>(static_cast<op::compute_t<T>>(value));
}

void to_tensor_cpu(const ToTensorParams& p, std::span<const Blob> in, std::span<const Blob> out,
                   const op::ComputeContext&) {
  const Layout l = image_layout("to_tensor", in[0].shape, true);
  const std::int64_t plane = l.height * l.width, image = plane * l.channels;
  // Per channel: y = x * scale + shift (1 / 255, then the normalization).
  std::vector<float> scale(static_cast<std::size_t>(l.channels), 1.0f / 255), shift(scale.size(), 0.0f);
  if (!p.mean.empty()) {
    for (std::int64_t c = 0; c < l.channels; ++c) {
      const double s = channel_value(p.std, c);
      scale[static_cast<std::size_t>(c)] = static_cast<float>(1.0 / (255 * s));
      shift[static_cast<std::size_t>(c)] = static_cast<float>(-channel_value(p.mean, c) / s);
    }
  }
  float* y = out[0].ptr<float>();
  // Whole images per piece, read in their own dtype: no widened copy, no division per pixel.
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].ptr<T>();
    op::parallel_for(
        l.batch,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t b = begin; b < end; ++b) {
            const T* src = x + b * image;
            float* dst = y + b * image;
            if (l.channels == 1) {
              for (std::int64_t i = 0; i < plane; ++i) dst[i] = to_float(src[i]) * scale[0] + shift[0];
              continue;
            }
            for (std::int64_t at = 0; at < plane; ++at) {  // pixel `at`: its channels scatter to the planes
              for (std::int64_t c = 0; c < l.channels; ++c) {
                const auto ci = static_cast<std::size_t>(c);
                dst[c * plane + at] = to_float(src[at * l.channels + c]) * scale[ci] + shift[ci];
              }
            }
          }
        },
        std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(image, 1)));
  });
}

const op::Operator<ToTensorParams> kToTensor =
    op::define<ToTensorParams>({.name = "_image_to_tensor", .infer = &infer_to_tensor, .cpu = &to_tensor_cpu});

struct NormalizeParams {
  std::vector<double> mean, std;
};

void infer_normalize(const NormalizeParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Layout l = image_layout("normalize", in[0].shape, false);
  check_normalization("normalize", p.mean, p.std, l.channels, in[0].shape);
  if (!is_floating(in[0].dtype)) throw DTypeError("normalize: needs a floating image (apply to_tensor first)");
  out[0] = in[0];
}

void normalize_cpu(const NormalizeParams& p, std::span<const Blob> in, std::span<const Blob> out,
                   const op::ComputeContext&) {
  const Layout l = image_layout("normalize", in[0].shape, false);
  const std::int64_t plane = l.height * l.width;
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].ptr<T>();
    T* y = out[0].ptr<T>();
    op::parallel_for(l.batch * l.channels, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t bc = begin; bc < end; ++bc) {
        const std::int64_t c = bc % l.channels;
        const double mean = channel_value(p.mean, c), scale = 1 / channel_value(p.std, c);
        for (std::int64_t i = bc * plane; i < (bc + 1) * plane; ++i) {
          y[i] = convert_value<T>((static_cast<double>(x[i]) - mean) * scale);
        }
      }
    }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(plane, 1)));
  });
}

// The gradient is g / std[c]: normalize with mean 0 applies exactly that.
const op::Operator<NormalizeParams> kNormalize = op::define<NormalizeParams>({
    .name = "_image_normalize",
    .infer = &infer_normalize,
    .cpu = &normalize_cpu,
    .gradient = [](const NormalizeParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {op::invoke1(kNormalize, {args.output_grads[0]}, NormalizeParams{{0.0}, p.std})};
    },
});

struct ResizeParams {
  std::int64_t width = 0, height = 0;
};

void infer_resize(const ResizeParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Layout l = image_layout("resize", in[0].shape, true);
  if (p.width < 1 || p.height < 1) {
    throw ShapeError("resize: size must be positive, got " + std::to_string(p.width) + "x" + std::to_string(p.height));
  }
  out[0] = {in[0].shape.ndim() == 4 ? Shape{l.batch, p.height, p.width, l.channels} : Shape{p.height, p.width, l.channels},
            in[0].dtype};
}

// Bilinear interpolation of `images` images (height, width, channels) into (out_height, out_width): the source
// coordinate of each output pixel's center, clamped to the image, and its two neighbours on each axis. Rows go
// to `for_rows` (parallel in the operator, serial on a pipeline's own thread).
template <class Src, class Dst, class ForRows>
void bilinear(const Src* src, Dst* dst, std::int64_t images, std::int64_t height, std::int64_t width, std::int64_t channels,
              std::int64_t out_height, std::int64_t out_width, bool round, ForRows for_rows) {
  const double sy = static_cast<double>(height) / static_cast<double>(out_height);
  const double sx = static_cast<double>(width) / static_cast<double>(out_width);
  auto taps = [](std::int64_t o, double scale, std::int64_t extent) {
    const double at = std::clamp((static_cast<double>(o) + 0.5) * scale - 0.5, 0.0, static_cast<double>(extent - 1));
    const auto low = static_cast<std::int64_t>(at);
    return std::tuple{low, std::min(low + 1, extent - 1), at - static_cast<double>(low)};
  };
  for_rows(images * out_height, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t b = row / out_height, y = row % out_height;
      const auto [y0, y1, fy] = taps(y, sy, height);
      for (std::int64_t x = 0; x < out_width; ++x) {
        const auto [x0, x1, fx] = taps(x, sx, width);
        for (std::int64_t c = 0; c < channels; ++c) {
          auto at = [&](std::int64_t yy, std::int64_t xx) {
            return static_cast<double>(src[((b * height + yy) * width + xx) * channels + c]);
          };
          double v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
          if (round) v = std::round(v);
          dst[((b * out_height + y) * out_width + x) * channels + c] = static_cast<Dst>(v);
        }
      }
    }
  });
}

void resize_cpu(const ResizeParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Layout l = image_layout("resize", in[0].shape, true);
  std::vector<double> src(static_cast<std::size_t>(in[0].size()));
  convert_values(in[0].data, in[0].dtype, src.data(), DType::kFloat64, src.size());
  std::vector<double> dst(static_cast<std::size_t>(out[0].size()));
  bilinear(src.data(), dst.data(), l.batch, l.height, l.width, l.channels, p.height, p.width, !is_floating(in[0].dtype),
           [](std::int64_t rows, const auto& body) { op::parallel_for(rows, body, 1); });
  convert_values(dst.data(), DType::kFloat64, out[0].data, out[0].dtype, dst.size());
}

const op::Operator<ResizeParams> kResize =
    op::define<ResizeParams>({.name = "_image_resize", .infer = &infer_resize, .cpu = &resize_cpu});

}  // namespace

NDArray resize(const NDArray& x, std::int64_t width, std::int64_t height) {
  return op::invoke1(kResize, {x}, ResizeParams{width, height});
}

void resize_pixels(const std::uint8_t* src, std::int64_t height, std::int64_t width, std::int64_t channels, std::uint8_t* dst,
                   std::int64_t out_height, std::int64_t out_width) {
  bilinear(src, dst, 1, height, width, channels, out_height, out_width, true,
           [](std::int64_t rows, const auto& body) { body(0, rows); });
}

NDArray to_tensor(const NDArray& x) { return op::invoke1(kToTensor, {x}); }

NDArray to_tensor_normalized(const NDArray& x, std::vector<double> mean, std::vector<double> std) {
  if (mean.empty() || std.empty()) throw Error("to_tensor: mean and std need at least one value each");
  return op::invoke1(kToTensor, {x}, ToTensorParams{std::move(mean), std::move(std)});
}

NDArray normalize(const NDArray& x, std::vector<double> mean, std::vector<double> std) {
  return op::invoke1(kNormalize, {x}, NormalizeParams{std::move(mean), std::move(std)});
}

}  // namespace mx::nd::image
