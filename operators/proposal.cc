// Faster R-CNN's region proposal layer (MXNet's Proposal and MultiProposal): anchors laid over the feature map,
// moved by the RPN's offsets, clipped, filtered, sorted and suppressed. Arithmetic in float, as MXNet's.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/detection.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

namespace mx::nd::contrib {
namespace {

struct Box {
  float x1, y1, x2, y2, score;
};

// py-faster-rcnn's anchors at the origin: the stride's square reshaped to each ratio (rounded to whole pixels),
// then scaled; ratios outer, scales inner (the order of the RPN's channels).
std::vector<Box> base_anchors(const ProposalOptions& o) {
  const float side = static_cast<float>(o.feature_stride), centre = 0.5f * (side - 1.0f);
  std::vector<Box> out;
  for (double ratio : o.ratios) {
    for (double scale : o.scales) {
      const float size_ratios = std::floor(side * side / static_cast<float>(ratio));
      const float w = std::floor(std::sqrt(size_ratios) + 0.5f) * static_cast<float>(scale);
      const float h = std::floor(w / static_cast<float>(scale) * static_cast<float>(ratio) + 0.5f) * static_cast<float>(scale);
      out.push_back({centre - 0.5f * (w - 1), centre - 0.5f * (h - 1), centre + 0.5f * (w - 1), centre + 0.5f * (h - 1), 0});
    }
  }
  return out;
}

float area_of(const Box& b) { return (b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1); }

// One image: its proposals best first after suppression, at most `keep`.
std::vector<Box> propose(const ProposalOptions& o, const std::vector<Box>& anchors, const float* foreground,
                         const float* deltas, const float* info, std::int64_t height, std::int64_t width) {
  const auto count_anchors = static_cast<std::int64_t>(anchors.size());
  const float im_height = info[0], im_width = info[1], min_size = static_cast<float>(o.rpn_min_size) * info[2];
  const auto real_height = static_cast<std::int64_t>(im_height / static_cast<float>(o.feature_stride));
  const auto real_width = static_cast<std::int64_t>(im_width / static_cast<float>(o.feature_stride));
  if (real_height > height || real_width > width) {
    throw ShapeError("Proposal: im_info's image " + std::to_string(im_height) + " x " + std::to_string(im_width) +
                     " needs a feature map of at least " + std::to_string(real_height) + " x " +
                     std::to_string(real_width) + " at stride " + std::to_string(o.feature_stride) + ", got " +
                     std::to_string(height) + " x " + std::to_string(width));
  }
  const std::int64_t plane = height * width;
  std::vector<Box> boxes(static_cast<std::size_t>(plane * count_anchors));
  for (std::int64_t y = 0; y < height; ++y) {
    for (std::int64_t x = 0; x < width; ++x) {
      for (std::int64_t a = 0; a < count_anchors; ++a) {
        const Box& base = anchors[a];
        const float sx = static_cast<float>(x * o.feature_stride), sy = static_cast<float>(y * o.feature_stride);
        const Box anchor{base.x1 + sx, base.y1 + sy, base.x2 + sx, base.y2 + sy, 0};
        const std::int64_t at = y * width + x;
        const float d[4] = {deltas[(a * 4) * plane + at], deltas[(a * 4 + 1) * plane + at], deltas[(a * 4 + 2) * plane + at],
                            deltas[(a * 4 + 3) * plane + at]};
        Box p;
        if (o.iou_loss) {  // the offsets move the corners themselves
          p = {anchor.x1 + d[0], anchor.y1 + d[1], anchor.x2 + d[2], anchor.y2 + d[3], 0};
        } else {
          const float w = anchor.x2 - anchor.x1 + 1, h = anchor.y2 - anchor.y1 + 1;
          const float cx = anchor.x1 + 0.5f * (w - 1), cy = anchor.y1 + 0.5f * (h - 1);
          const float pcx = d[0] * w + cx, pcy = d[1] * h + cy, pw = std::exp(d[2]) * w, ph = std::exp(d[3]) * h;
          p = {pcx - 0.5f * (pw - 1), pcy - 0.5f * (ph - 1), pcx + 0.5f * (pw - 1), pcy + 0.5f * (ph - 1), 0};
        }
        p.x1 = std::max(std::min(p.x1, im_width - 1), 0.0f);
        p.y1 = std::max(std::min(p.y1, im_height - 1), 0.0f);
        p.x2 = std::max(std::min(p.x2, im_width - 1), 0.0f);
        p.y2 = std::max(std::min(p.y2, im_height - 1), 0.0f);
        // Positions past the image (padding) and boxes under the minimum size score -1; the small ones are
        // widened by it, as MXNet's.
        p.score = y >= real_height || x >= real_width ? -1.0f : foreground[a * plane + at];
        if (p.x2 - p.x1 + 1 < min_size || p.y2 - p.y1 + 1 < min_size) {
          p.x1 -= min_size / 2;
          p.y1 -= min_size / 2;
          p.x2 += min_size / 2;
          p.y2 += min_size / 2;
          p.score = -1.0f;
        }
        boxes[at * count_anchors + a] = p;
      }
    }
  }
  const auto count = static_cast<std::int64_t>(boxes.size());
  const std::int64_t pre = std::min(o.rpn_pre_nms_top_n > 0 ? o.rpn_pre_nms_top_n : count, count);
  const std::int64_t post = std::min<std::int64_t>(o.rpn_post_nms_top_n, pre);
  std::vector<std::int64_t> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) { return boxes[i].score > boxes[j].score; });
  std::vector<Box> sorted;
  for (std::int64_t i = 0; i < pre; ++i) sorted.push_back(boxes[order[i]]);
  std::vector<bool> suppressed(sorted.size(), false);
  std::vector<Box> kept;
  for (std::size_t i = 0; i < sorted.size() && static_cast<std::int64_t>(kept.size()) < post; ++i) {
    if (suppressed[i]) continue;
    const Box& b = sorted[i];
    kept.push_back(b);
    for (std::size_t j = i + 1; j < sorted.size(); ++j) {
      if (suppressed[j]) continue;
      const Box& c = sorted[j];
      const float w = std::max(0.0f, std::min(b.x2, c.x2) - std::max(b.x1, c.x1) + 1);
      const float h = std::max(0.0f, std::min(b.y2, c.y2) - std::max(b.y1, c.y1) + 1);
      const float inter = w * h;
      if (inter / (area_of(b) + area_of(c) - inter) > static_cast<float>(o.threshold)) suppressed[j] = true;
    }
  }
  return kept;
}

const op::Operator<ProposalOptions> kProposal = op::define<ProposalOptions>({
    .name = "_contrib_MultiProposal",
    .num_inputs = 3,
    .num_outputs = 2,
    .infer = [](const ProposalOptions& o, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape &prob = in[0].shape, &pred = in[1].shape, &info = in[2].shape;
      const auto anchors = static_cast<std::int64_t>(o.scales.size() * o.ratios.size());
      const bool fits = prob.ndim() == 4 && prob[1] == 2 * anchors && pred.ndim() == 4 && pred[0] == prob[0] &&
                        pred[1] == 4 * anchors && pred[2] == prob[2] && pred[3] == prob[3] && info.ndim() == 2 &&
                        info[0] == prob[0] && info[1] == 3;
      if (!fits) {
        throw ShapeError("Proposal: cls_prob (B, 2A, H, W), bbox_pred (B, 4A, H, W) and im_info (B, 3) with A = " +
                         std::to_string(anchors) + " anchors (scales x ratios) do not fit: " + prob.str() + ", " +
                         pred.str() + ", " + info.str());
      }
      for (int i = 0; i < 3; ++i) {
        if (in[i].dtype != DType::kFloat32) throw DTypeError("Proposal: inputs must be float32, as MXNet's");
      }
      out[0] = {Shape{prob[0] * o.rpn_post_nms_top_n, 5}, DType::kFloat32};
      out[1] = {Shape{prob[0] * o.rpn_post_nms_top_n, 1}, DType::kFloat32};
    },
    .cpu = [](const ProposalOptions& o, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t batches = in[0].shape[0], height = in[0].shape[2], width = in[0].shape[3];
      const std::vector<Box> anchors = base_anchors(o);
      const auto a = static_cast<std::int64_t>(anchors.size());
      const std::int64_t rows = o.rpn_post_nms_top_n;
      op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; ++b) {
          const float* foreground = in[0].ptr<float>() + (b * 2 * a + a) * height * width;  // the second A channels
          const std::vector<Box> kept = propose(o, anchors, foreground, in[1].ptr<float>() + b * 4 * a * height * width,
                                                in[2].ptr<float>() + b * 3, height, width);
          float* roi = out[0].ptr<float>() + b * rows * 5;
          float* score = out[1].ptr<float>() + b * rows;
          for (std::int64_t i = 0; i < rows; ++i) {  // short of proposals, the kept ones repeat in turn
            const Box& k = kept[static_cast<std::size_t>(i) % kept.size()];
            const float row[5] = {static_cast<float>(b), k.x1, k.y1, k.x2, k.y2};
            std::copy(row, row + 5, roi + i * 5);
            score[i] = k.score;
          }
        }
      }, 1);
    },
});

}  // namespace

Proposals MultiProposal(const NDArray& cls_prob, const NDArray& bbox_pred, const NDArray& im_info,
                        const ProposalOptions& options) {
  if (options.scales.empty() || options.ratios.empty()) throw Error("Proposal: scales and ratios must not be empty");
  for (double r : options.ratios) {
    if (!(r > 0)) throw Error("Proposal: ratios must be positive, got " + std::to_string(r));
  }
  if (options.feature_stride <= 0 || options.rpn_post_nms_top_n <= 0) {
    throw Error("Proposal: feature_stride and rpn_post_nms_top_n must be positive");
  }
  std::vector<NDArray> outs(2);
  const NDArray in[] = {cls_prob, bbox_pred, im_info};
  op::invoke(kProposal, std::span<const NDArray>(in), options, std::span<NDArray>(outs), cls_prob.context());
  return {outs[0], outs[1]};
}

Proposals Proposal(const NDArray& cls_prob, const NDArray& bbox_pred, const NDArray& im_info, const ProposalOptions& options) {
  if (cls_prob.ndim() == 4 && cls_prob.shape()[0] != 1) {
    throw ShapeError("Proposal: takes one image (MXNet's), got a batch of " + std::to_string(cls_prob.shape()[0]) +
                     "; MultiProposal takes several");
  }
  return MultiProposal(cls_prob, bbox_pred, im_info, options);
}

}  // namespace mx::nd::contrib
