// SSD's operators: MultiBoxPrior (the anchors) and MultiBoxDetection (decoded, suppressed detections).
#include <mx/operators/detection.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

#include "detection_util.h"

namespace mx::nd::contrib {

using detail::center_of;
using detail::corners_of;
using detail::dispatch_float;
using detail::iou_of;

namespace {

const op::Operator<MultiBoxPriorOptions> kMultiBoxPrior = op::define<MultiBoxPriorOptions>({
    .name = "_contrib_MultiBoxPrior",
    .infer = [](const MultiBoxPriorOptions& o, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      if (in[0].shape.ndim() != 4) throw ShapeError("MultiBoxPrior: data must be (N, C, H, W), got " + in[0].shape.str());
      const auto boxes = static_cast<std::int64_t>(o.sizes.size() + o.ratios.size() - 1);
      out[0] = {Shape{1, in[0].shape[2] * in[0].shape[3] * boxes, 4}, in[0].dtype};
    },
    .cpu = [](const MultiBoxPriorOptions& o, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t height = in[0].shape[2], width = in[0].shape[3];
      const double step_y = o.steps[0] > 0 ? o.steps[0] : 1.0 / static_cast<double>(height);
      const double step_x = o.steps[1] > 0 ? o.steps[1] : 1.0 / static_cast<double>(width);
      const double aspect = static_cast<double>(height) / static_cast<double>(width);
      std::vector<std::pair<double, double>> halves;  // (w / 2, h / 2) of each box at a position
      const double first = std::sqrt(o.ratios[0]);
      for (double size : o.sizes) halves.emplace_back(size * aspect * first / 2, size / first / 2);
      for (std::size_t j = 1; j < o.ratios.size(); ++j) {
        const double ratio = std::sqrt(o.ratios[j]);
        halves.emplace_back(o.sizes[0] * aspect * ratio / 2, o.sizes[0] / ratio / 2);
      }
      dispatch_dtype(out[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        T* y = out[0].ptr<T>();
        auto put = [&](double v) { *y++ = static_cast<T>(o.clip ? std::clamp(v, 0.0, 1.0) : v); };
        for (std::int64_t r = 0; r < height; ++r) {
          const double cy = (static_cast<double>(r) + o.offsets[0]) * step_y;
          for (std::int64_t c = 0; c < width; ++c) {
            const double cx = (static_cast<double>(c) + o.offsets[1]) * step_x;
            for (const auto& [hw, hh] : halves) {
              put(cx - hw);
              put(cy - hh);
              put(cx + hw);
              put(cy + hh);
            }
          }
        }
      });
    },
});

const op::Operator<MultiBoxDetectionOptions> kMultiBoxDetection = op::define<MultiBoxDetectionOptions>({
    .name = "_contrib_MultiBoxDetection",
    .num_inputs = 3,
    .infer = [](const MultiBoxDetectionOptions&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape &cls = in[0].shape, &loc = in[1].shape, &anchors = in[2].shape;
      const bool fits = cls.ndim() == 3 && cls[1] >= 2 && loc.ndim() == 2 && loc[0] == cls[0] && loc[1] == cls[2] * 4 &&
                        anchors.ndim() == 3 && anchors[0] == 1 && anchors[1] == cls[2] && anchors[2] == 4;
      if (!fits) {
        throw ShapeError("MultiBoxDetection: cls_prob (B, classes, N), loc_pred (B, N * 4) and anchors (1, N, 4) do not "
                         "fit: " + cls.str() + ", " + loc.str() + ", " + anchors.str());
      }
      if (in[0].dtype != in[1].dtype || in[0].dtype != in[2].dtype ||
          (in[0].dtype != DType::kFloat32 && in[0].dtype != DType::kFloat64)) {
        throw DTypeError("MultiBoxDetection: inputs must be float32 or float64 alike");
      }
      out[0] = {Shape{cls[0], cls[2], 6}, in[0].dtype};
    },
    .cpu = [](const MultiBoxDetectionOptions& o, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t batches = in[0].shape[0], classes = in[0].shape[1], n = in[0].shape[2];
      dispatch_float(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* prob = in[0].ptr<T>();
        const T* loc = in[1].ptr<T>();
        const T* anchors = in[2].ptr<T>();
        T* y = out[0].ptr<T>();
        op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
          std::vector<std::array<double, 6>> found;
          for (std::int64_t b = begin; b < end; ++b) {
            found.clear();
            for (std::int64_t i = 0; i < n; ++i) {
              double score = -1;
              std::int64_t id = 0;
              for (std::int64_t c = 1; c < classes; ++c) {
                const double p = static_cast<double>(prob[(b * classes + c) * n + i]);
                if (p > score) {
                  score = p;
                  id = c;
                }
              }
              if (score < o.threshold) continue;
              const std::array<double, 4> a = center_of(anchors + i * 4);
              const T* d = loc + (b * n + i) * 4;
              const double decoded[4] = {d[0] * o.variances[0] * a[2] + a[0], d[1] * o.variances[1] * a[3] + a[1],
                                         std::exp(d[2] * o.variances[2]) * a[2], std::exp(d[3] * o.variances[3]) * a[3]};
              std::array<double, 6> row{static_cast<double>(id - 1), score};
              const std::array<double, 4> box = corners_of(decoded);
              for (std::size_t k = 0; k < 4; ++k) row[k + 2] = o.clip ? std::clamp(box[k], 0.0, 1.0) : box[k];
              found.push_back(row);
            }
            if (o.nms_threshold > 0 && o.nms_threshold <= 1) {
              std::stable_sort(found.begin(), found.end(), [](const auto& u, const auto& v) { return u[1] > v[1]; });
              const std::size_t keep = o.nms_topk > 0 ? std::min(found.size(), static_cast<std::size_t>(o.nms_topk)) : found.size();
              for (std::size_t i = keep; i < found.size(); ++i) found[i][0] = -1;
              for (std::size_t i = 0; i < keep; ++i) {
                if (found[i][0] < 0) continue;
                for (std::size_t j = i + 1; j < keep; ++j) {
                  if (found[j][0] < 0 || !(o.force_suppress || found[i][0] == found[j][0])) continue;
                  if (iou_of(found[i].data() + 2, found[j].data() + 2, false) >= o.nms_threshold) found[j][0] = -1;
                }
              }
            }
            T* dst = y + b * n * 6;
            std::fill(dst, dst + n * 6, static_cast<T>(-1));
            for (std::size_t i = 0; i < found.size(); ++i) {
              for (std::size_t k = 0; k < 6; ++k) dst[i * 6 + k] = static_cast<T>(found[i][k]);
            }
          }
        }, 1);
      });
    },
});

}  // namespace

NDArray MultiBoxDetection(const NDArray& cls_prob, const NDArray& loc_pred, const NDArray& anchors,
                          const MultiBoxDetectionOptions& options) {
  if (options.variances.size() != 4) {
    throw Error("MultiBoxDetection: variances take four values, got " + std::to_string(options.variances.size()));
  }
  return op::invoke1(kMultiBoxDetection, {cls_prob, loc_pred, anchors}, options, cls_prob.context());
}

NDArray MultiBoxPrior(const NDArray& data, const MultiBoxPriorOptions& options) {
  if (options.sizes.empty() || options.ratios.empty()) throw Error("MultiBoxPrior: sizes and ratios must not be empty");
  for (double v : options.sizes) {
    if (!(v > 0)) throw Error("MultiBoxPrior: sizes must be positive, got " + std::to_string(v));
  }
  for (double v : options.ratios) {
    if (!(v > 0)) throw Error("MultiBoxPrior: ratios must be positive, got " + std::to_string(v));
  }
  if (options.steps.size() != 2 || options.offsets.size() != 2) {
    throw Error("MultiBoxPrior: steps and offsets take two values each, (y, x)");
  }
  return op::invoke1(kMultiBoxPrior, {data}, options, data.context());
}

}  // namespace mx::nd::contrib
