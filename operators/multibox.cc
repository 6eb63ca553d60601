// SSD's operators: MultiBoxPrior (the anchors), MultiBoxTarget (training targets) and MultiBoxDetection (decoded,
// suppressed detections).
#include <mx/operators/detection.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
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

// One image's anchor assignment for MultiBoxTarget: which ground truth each anchor matched (-1: none), and
// which anchors are negatives.
struct AnchorMatch {
  std::vector<std::int64_t> gt;     // per anchor
  std::vector<double> best_iou;     // per anchor: its best IoU with any ground truth
  std::vector<signed char> flag;    // 1 positive, 0 negative, -1 ignored
};

AnchorMatch match_anchors(const MultiBoxTargetOptions& o, const std::vector<double>& iou, std::int64_t anchors,
                          std::int64_t truths, const std::function<double(std::int64_t)>& background_prob) {
  AnchorMatch m{std::vector<std::int64_t>(anchors, -1), std::vector<double>(anchors, -1),
                std::vector<signed char>(anchors, -1)};
  for (std::int64_t j = 0; j < anchors; ++j) {
    for (std::int64_t k = 0; k < truths; ++k) m.best_iou[j] = std::max(m.best_iou[j], iou[j * truths + k]);
  }
  // Every ground truth takes the free anchor it overlaps most, the best remaining pair first.
  std::vector<bool> truth_done(truths, false);
  for (std::int64_t round = 0; round < truths; ++round) {
    std::int64_t best_anchor = -1, best_truth = -1;
    double best = 1e-6;
    for (std::int64_t j = 0; j < anchors; ++j) {
      if (m.flag[j] == 1) continue;
      for (std::int64_t k = 0; k < truths; ++k) {
        if (!truth_done[k] && iou[j * truths + k] > best) {
          best = iou[j * truths + k];
          best_anchor = j;
          best_truth = k;
        }
      }
    }
    if (best_anchor < 0) break;
    truth_done[best_truth] = true;
    m.flag[best_anchor] = 1;
    m.gt[best_anchor] = best_truth;
  }
  // Then every anchor overlapping some ground truth by more than the threshold, with its best one.
  std::int64_t positives = 0;
  for (std::int64_t j = 0; j < anchors; ++j) {
    if (m.flag[j] != 1 && o.overlap_threshold > 0 && m.best_iou[j] > o.overlap_threshold) {
      m.flag[j] = 1;
      m.gt[j] = std::max_element(iou.begin() + j * truths, iou.begin() + (j + 1) * truths) - (iou.begin() + j * truths);
    }
    positives += m.flag[j] == 1 ? 1 : 0;
  }
  if (o.negative_mining_ratio <= 0) {
    for (signed char& f : m.flag) f = f == 1 ? 1 : 0;
    return m;
  }
  // Hard negatives: the unmatched anchors clear of every ground truth that the network finds least like background.
  auto wanted = static_cast<std::int64_t>(static_cast<double>(positives) * o.negative_mining_ratio);
  wanted = std::min(std::max<std::int64_t>(wanted, o.minimum_negative_samples), anchors - positives);
  std::vector<std::pair<double, std::int64_t>> candidates;
  for (std::int64_t j = 0; j < anchors; ++j) {
    if (m.flag[j] != 1 && m.best_iou[j] < o.negative_mining_thresh) candidates.emplace_back(background_prob(j), j);
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::int64_t i = 0; i < std::min<std::int64_t>(wanted, static_cast<std::int64_t>(candidates.size())); ++i) {
    m.flag[candidates[i].second] = 0;
  }
  return m;
}

const op::Operator<MultiBoxTargetOptions> kMultiBoxTarget = op::define<MultiBoxTargetOptions>({
    .name = "_contrib_MultiBoxTarget",
    .num_inputs = 3,
    .num_outputs = 3,
    .infer = [](const MultiBoxTargetOptions&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape &anchors = in[0].shape, &labels = in[1].shape, &preds = in[2].shape;
      const bool fits = anchors.ndim() == 3 && anchors[0] == 1 && anchors[2] == 4 && labels.ndim() == 3 &&
                        labels[2] >= 5 && preds.ndim() == 3 && preds[0] == labels[0] && preds[2] == anchors[1] &&
                        preds[1] >= 1;
      if (!fits) {
        throw ShapeError("MultiBoxTarget: anchors (1, N, 4), labels (B, M, >= 5) and cls_preds (B, classes, N) do not "
                         "fit: " + anchors.str() + ", " + labels.str() + ", " + preds.str());
      }
      if (in[0].dtype != in[1].dtype || in[0].dtype != in[2].dtype ||
          (in[0].dtype != DType::kFloat32 && in[0].dtype != DType::kFloat64)) {
        throw DTypeError("MultiBoxTarget: inputs must be float32 or float64 alike");
      }
      out[0] = out[1] = {Shape{labels[0], anchors[1] * 4}, in[0].dtype};
      out[2] = {Shape{labels[0], anchors[1]}, in[0].dtype};
    },
    .cpu = [](const MultiBoxTargetOptions& o, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t n = in[0].shape[1], batches = in[1].shape[0], rows = in[1].shape[1], width = in[1].shape[2];
      const std::int64_t classes = in[2].shape[1];
      dispatch_float(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* anchors = in[0].ptr<T>();
        op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
          std::vector<double> iou;
          for (std::int64_t b = begin; b < end; ++b) {
            const T* label = in[1].ptr<T>() + b * rows * width;
            const T* pred = in[2].ptr<T>() + b * classes * n;
            T* loc = out[0].ptr<T>() + b * n * 4;
            T* mask = out[1].ptr<T>() + b * n * 4;
            T* cls = out[2].ptr<T>() + b * n;
            std::fill(loc, loc + n * 4, T(0));
            std::fill(mask, mask + n * 4, T(0));
            std::fill(cls, cls + n, static_cast<T>(o.ignore_label));
            std::int64_t truths = 0;
            while (truths < rows && static_cast<double>(label[truths * width]) != -1) ++truths;
            if (truths == 0) continue;
            iou.assign(static_cast<std::size_t>(n * truths), 0);
            for (std::int64_t j = 0; j < n; ++j) {
              const double a[4] = {double(anchors[j * 4]), double(anchors[j * 4 + 1]), double(anchors[j * 4 + 2]),
                                   double(anchors[j * 4 + 3])};
              for (std::int64_t k = 0; k < truths; ++k) {
                const T* g = label + k * width + 1;
                const double box[4] = {double(g[0]), double(g[1]), double(g[2]), double(g[3])};
                iou[j * truths + k] = iou_of(a, box, false);
              }
            }
            const auto background_prob = [&](std::int64_t j) {
              double top = static_cast<double>(pred[j]), sum = 0;
              for (std::int64_t c = 1; c < classes; ++c) top = std::max(top, static_cast<double>(pred[c * n + j]));
              for (std::int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(pred[c * n + j]) - top);
              return std::exp(static_cast<double>(pred[j]) - top) / sum;
            };
            const AnchorMatch m = match_anchors(o, iou, n, truths, background_prob);
            for (std::int64_t j = 0; j < n; ++j) {
              if (m.flag[j] == 0) cls[j] = T(0);
              if (m.flag[j] != 1) continue;
              const T* g = label + m.gt[j] * width;
              cls[j] = static_cast<T>(static_cast<double>(g[0]) + 1);
              const std::array<double, 4> a = center_of(anchors + j * 4), t = center_of(g + 1);
              const double target[4] = {(t[0] - a[0]) / a[2] / o.variances[0], (t[1] - a[1]) / a[3] / o.variances[1],
                                        std::log(t[2] / a[2]) / o.variances[2], std::log(t[3] / a[3]) / o.variances[3]};
              for (int k = 0; k < 4; ++k) {
                loc[j * 4 + k] = static_cast<T>(target[k]);
                mask[j * 4 + k] = T(1);
              }
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

MultiBoxTargets MultiBoxTarget(const NDArray& anchors, const NDArray& labels, const NDArray& cls_preds,
                               const MultiBoxTargetOptions& options) {
  if (options.variances.size() != 4) {
    throw Error("MultiBoxTarget: variances take four values, got " + std::to_string(options.variances.size()));
  }
  if (options.negative_mining_ratio > 0 && !(options.negative_mining_thresh > 0)) {
    throw Error("MultiBoxTarget: negative_mining_thresh must be positive when mining negatives");
  }
  std::vector<NDArray> outs(3);
  const NDArray in[] = {anchors, labels, cls_preds};
  op::invoke(kMultiBoxTarget, std::span<const NDArray>(in), options, std::span<NDArray>(outs), anchors.context());
  return {outs[0], outs[1], outs[2]};
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
