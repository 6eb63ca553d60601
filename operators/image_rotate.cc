// _image_imrotate: MXNet's image.imrotate, a rotation about the image center sampled bilinearly.
#include <cmath>
#include <string>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/image.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

namespace mx::nd::image {
namespace {

struct RotateParams {
  double degrees = 0;
  bool zoom_in = false, zoom_out = false;
};

void infer_rotate(const RotateParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Shape& s = in[0].shape;
  if (s.ndim() != 3 && s.ndim() != 4) throw ShapeError("imrotate: expects an image (C, H, W) or a batch of them, got " + s.str());
  if (!is_floating(in[0].dtype)) throw DTypeError(std::string("imrotate: expects a floating image, got ") + dtype_name(in[0].dtype));
  if (!std::isfinite(p.degrees)) throw Error("imrotate: the angle must be finite");
  if (p.zoom_in && p.zoom_out) throw Error("imrotate: zoom_in and zoom_out cannot both be set");
  out[0] = in[0];
}

// MXNet's scale of the sampling grid: zoom_in shrinks it until no corner samples outside the image, zoom_out
// grows it until the whole image fits (the corners of the rotated h x w frame, as MXNet computes them).
double grid_scale(const RotateParams& p, double radians, double h, double w) {
  if (!p.zoom_in && !p.zoom_out) return 1;
  const double rho = std::sqrt(h * h + w * w), corner = std::atan(h / w), a = std::abs(radians);
  const double max_x = std::max(std::abs(rho * std::cos(corner + a)), std::abs(rho * std::cos(corner - a)));
  const double max_y = std::max(std::abs(rho * std::sin(corner + a)), std::abs(rho * std::sin(corner - a)));
  return p.zoom_out ? std::max(max_x / w, max_y / h) : std::min(w / max_x, h / max_y);
}

void rotate_cpu(const RotateParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Shape& s = in[0].shape;
  const int o = s.ndim() - 3;
  const std::int64_t planes = (o ? s[0] : 1) * s[o], h = s[o + 1], w = s[o + 2];
  std::vector<double> src(static_cast<std::size_t>(in[0].size())), dst(src.size());
  convert_values(in[0].data, in[0].dtype, src.data(), DType::kFloat64, src.size());
  const double radians = p.degrees * M_PI / 180, c = std::cos(radians), sn = std::sin(radians);
  const double hs = static_cast<double>(h - 1) / 2, ws = static_cast<double>(w - 1) / 2;
  const double g = grid_scale(p, radians, static_cast<double>(h), static_cast<double>(w));
  op::parallel_for(planes * h, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t plane = row / h, i = row % h;
      const double* image = src.data() + plane * h * w;
      for (std::int64_t j = 0; j < w; ++j) {
        // The source point of output (i, j), as MXNet's grid and BilinearSampler place it; neighbours outside
        // the image count as zero.
        const double dx = static_cast<double>(j) - ws, dy = static_cast<double>(i) - hs;
        const double x = ws + g * (dx * c - dy * sn), y = hs + g * (dx * sn + dy * c);
        const double x0 = std::floor(x), y0 = std::floor(y), fx = x - x0, fy = y - y0;
        const auto at = [&](double yy, double xx) {
          if (yy < 0 || xx < 0 || yy > static_cast<double>(h - 1) || xx > static_cast<double>(w - 1)) return 0.0;
          return image[static_cast<std::int64_t>(yy) * w + static_cast<std::int64_t>(xx)];
        };
        dst[static_cast<std::size_t>(row * w + j)] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                                                     fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      }
    }
  }, 1);
  convert_values(dst.data(), DType::kFloat64, out[0].data, out[0].dtype, dst.size());
}

const op::Operator<RotateParams> kRotate =
    op::define<RotateParams>({.name = "_image_imrotate", .infer = &infer_rotate, .cpu = &rotate_cpu});

}  // namespace

NDArray imrotate(const NDArray& x, double degrees, bool zoom_in, bool zoom_out) {
  return op::invoke1(kRotate, {x}, RotateParams{degrees, zoom_in, zoom_out}, x.context());
}

}  // namespace mx::nd::image
