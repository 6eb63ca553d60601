#pragma once
// MXNet's contrib operators for object detection (GluonCV's SSD and R-CNN use them): box overlaps, non-maximum
// suppression, boolean masks, region pooling (ROIAlign, ROIPooling) and SSD's anchors, training targets and
// detections (MultiBoxPrior, MultiBoxTarget, MultiBoxDetection), Faster R-CNN's region proposals (Proposal).
#include <cstdint>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::contrib {

// Intersection over union of every box of lhs (..., 4) with every box of rhs (..., 4): the output is
// lhs.shape[:-1] + rhs.shape[:-1]. format "corner" (xmin, ymin, xmax, ymax) or "center" (x, y, width, height);
// disjoint boxes give 0, as do two empty ones. Composed of recorded operators: differentiable.
NDArray box_iou(const NDArray& lhs, const NDArray& rhs, const std::string& format = "corner");

// MXNet's box_nms options: each row of data (..., N, K) is one box: its score at score_index, its class at
// id_index (-1: no class), its coordinates at coord_start .. coord_start + 3.
struct BoxNmsOptions {
  double overlap_thresh = 0.5;  // a box overlapping a kept one by more (IoU) is suppressed
  double valid_thresh = 0;      // boxes scoring at most this are dropped first
  int topk = -1;                // only the topk best boxes take part (-1: all)
  int coord_start = 2, score_index = 1, id_index = -1;
  int background_id = -1;       // boxes of this class are dropped (-1: none)
  bool force_suppress = false;  // suppress across classes too (always when id_index is -1)
  std::string in_format = "corner", out_format = "corner";
};
// Non-maximum suppression per batch: the boxes kept, best score first, then rows of -1 for the rest; the output
// has data's shape (MXNet's box_nms, alias box_non_maximum_suppression). Not differentiable.
NDArray box_nms(const NDArray& data, const BoxNmsOptions& options = {});

// The slices of data along `axis` where index (data.shape[axis],) is nonzero, in order (MXNet's boolean_mask).
// The output's shape depends on index's values, so this reads them (a sync point, and an error while hybridize
// traces). Differentiable in data (through take).
NDArray boolean_mask(const NDArray& data, const NDArray& index, int axis = 0);

// MXNet's ROIAlign (He et al., Mask R-CNN): each region of interest, rois (R, 5) rows [batch index, x1, y1, x2,
// y2] in input pixels before spatial_scale, pooled to pooled_size (PH, PW) bins, each the mean of bilinear
// samples (sample_ratio per bin and axis, or ceil(region / bins) when <= 0). aligned shifts the region by half a
// pixel (Detectron2's); position_sensitive (R-FCN's) takes bin (i, j) of output channel c from input channel
// (c * PH + i) * PW + j, so C must divide by PH * PW. data (N, C, H, W) float32 or float64; the output
// (R, C or C / (PH * PW), PH, PW). Differentiable in data (not in rois, as MXNet's). CPU only.
struct ROIAlignOptions {
  std::vector<std::int64_t> pooled_size;
  double spatial_scale = 1;
  int sample_ratio = -1;
  bool position_sensitive = false;
  bool aligned = false;
};
NDArray ROIAlign(const NDArray& data, const NDArray& rois, const ROIAlignOptions& options);

// MXNet's ROIPooling (Fast R-CNN): each region, rounded to whole pixels after spatial_scale, cut into pooled_size
// (PH, PW) bins of whole pixels and each bin's maximum taken (0 for a bin that falls outside the map). rois
// (R, 5) rows [batch index, x1, y1, x2, y2]; data (N, C, H, W) float32 or float64; the output (R, C, PH, PW).
// Differentiable in data: the gradient goes to each bin's maximum. CPU only.
NDArray ROIPooling(const NDArray& data, const NDArray& rois, std::vector<std::int64_t> pooled_size, double spatial_scale);

// MXNet's MultiBoxPrior (SSD's anchors) for a feature map data (N, C, H, W): at each position, centred at
// ((x + offsets[1]) * steps[1], (y + offsets[0]) * steps[0]) (steps default to 1 / W and 1 / H), one box per
// size at ratio 1 and one per further ratio at sizes[0]: len(sizes) + len(ratios) - 1 boxes, corners
// (xmin, ymin, xmax, ymax) in [0, 1] units (clipped there with clip). Output (1, H * W * boxes, 4).
struct MultiBoxPriorOptions {
  std::vector<double> sizes = {1};
  std::vector<double> ratios = {1};
  bool clip = false;
  std::vector<double> steps = {-1, -1};  // (y, x); -1: 1 / H and 1 / W
  std::vector<double> offsets = {0.5, 0.5};
};
NDArray MultiBoxPrior(const NDArray& data, const MultiBoxPriorOptions& options = {});

// MXNet's MultiBoxDetection (SSD's output): per anchor, the best class but the background (class 0 of cls_prob
// (B, C, N)) and its probability, ignored below threshold; its box, loc_pred (B, N * 4) offsets decoded with
// `variances` on anchors (1, N, 4) (corners, clipped to [0, 1] with clip). Rows (B, N, 6) [class - 1, score,
// xmin, ymin, xmax, ymax]: the detections best first (the nms_topk best, when nms_topk > 0), those suppressed
// by a better one of their class (any class with force_suppress) overlapping it by nms_threshold or more keep
// their row with class -1, then rows of -1. With nms_threshold outside (0, 1] the detections stay in anchor
// order, unsuppressed. Not differentiable. CPU only.
struct MultiBoxDetectionOptions {
  bool clip = true;
  double threshold = 0.01;
  double nms_threshold = 0.5;
  bool force_suppress = false;
  std::vector<double> variances = {0.1, 0.1, 0.2, 0.2};
  int nms_topk = -1;
};
NDArray MultiBoxDetection(const NDArray& cls_prob, const NDArray& loc_pred, const NDArray& anchors,
                          const MultiBoxDetectionOptions& options = {});

// MXNet's MultiBoxTarget (SSD's training targets) for anchors (1, N, 4) (corners), labels (B, M, >= 5) rows
// [class, xmin, ymin, xmax, ymax] (the rows from the first of class -1 on are padding) and cls_preds (B, C, N)
// (read only for negative mining). Each ground truth first takes the free anchor overlapping it most (greedily,
// best pair first, IoU above 1e-6); then every other anchor whose best IoU with a ground truth exceeds
// overlap_threshold is matched to that one. Matched anchors get class + 1 in cls_target (B, N), ones in loc_mask
// (B, N * 4) and in loc_target (B, N * 4) the offsets ((gx - ax) / aw, (gy - ay) / ah, log(gw / aw),
// log(gh / ah)) of centres and sizes, each over its variance. The others are background (0), or, with
// negative_mining_ratio > 0, only the max(ratio * positives, minimum_negative_samples) of them with best IoU
// below negative_mining_thresh whose background probability (softmax of cls_preds) is lowest are, the rest
// ignore_label; in an image without ground truth every anchor is ignore_label. Not differentiable. CPU only.
struct MultiBoxTargetOptions {
  double overlap_threshold = 0.5;
  double ignore_label = -1;
  double negative_mining_ratio = -1;  // <= 0: every unmatched anchor is a negative
  double negative_mining_thresh = 0.5;
  int minimum_negative_samples = 0;
  std::vector<double> variances = {0.1, 0.1, 0.2, 0.2};
};
struct MultiBoxTargets {
  NDArray loc_target, loc_mask, cls_target;
};
MultiBoxTargets MultiBoxTarget(const NDArray& anchors, const NDArray& labels, const NDArray& cls_preds,
                               const MultiBoxTargetOptions& options = {});

// MXNet's Proposal (Faster R-CNN's region proposal layer) for one image, and MultiProposal for a batch: at every
// position of the feature map (H, W), py-faster-rcnn's A = ratios x scales anchors of a feature_stride square,
// moved by bbox_pred (B, 4A, H, W) (centre offsets and log sizes; corner offsets with iou_loss), clipped to
// the image im_info (B, 3) rows (height, width, scale); boxes narrower or shorter than rpn_min_size * scale, or
// at positions past the image, score -1; the rpn_pre_nms_top_n best by foreground score (cls_prob (B, 2A, H,
// W), its second A channels) are suppressed at IoU above threshold (boxes counted in whole pixels, + 1). Rows
// rois (B * rpn_post_nms_top_n, 5) [image, x1, y1, x2, y2] best first, the kept boxes repeating in turn when
// fewer survive, and their scores (B * rpn_post_nms_top_n, 1). float32, as MXNet's. Not differentiable. CPU only.
struct ProposalOptions {
  std::int64_t rpn_pre_nms_top_n = 6000;  // <= 0: every box
  std::int64_t rpn_post_nms_top_n = 300;
  double threshold = 0.7;
  int rpn_min_size = 16;
  std::vector<double> scales = {4, 8, 16, 32};
  std::vector<double> ratios = {0.5, 1, 2};
  int feature_stride = 16;
  bool iou_loss = false;
};
struct Proposals {
  NDArray rois, scores;
};
Proposals Proposal(const NDArray& cls_prob, const NDArray& bbox_pred, const NDArray& im_info,
                   const ProposalOptions& options = {});
Proposals MultiProposal(const NDArray& cls_prob, const NDArray& bbox_pred, const NDArray& im_info,
                        const ProposalOptions& options = {});

// MXNet's bipartite_matching: greedy one-to-one matching of rows to columns by score, data (..., N, M). Pairs are
// taken best first (highest, or lowest with is_ascend), skipping a row or column already matched and scores
// below threshold (above it with is_ascend), at most topk pairs (-1: any number). Returns each row's column
// (..., N) and each column's row (..., M), -1 where unmatched, in data's dtype. Not differentiable.
struct MatchResult {
  NDArray row_match, col_match;
};
MatchResult bipartite_matching(const NDArray& data, double threshold, bool is_ascend = false, int topk = -1);

// MXNet's box_encode, box_decode's inverse for training targets: for anchor i of anchors (B, N, 4) (corners)
// with samples[i] > 0.5 (a positive) matched to refs[matches[i]] (refs (B, M, 4), corners), the target
// ((gx - ax) / aw, (gy - ay) / ah, log(gw / aw), log(gh / ah)) of centres and sizes, less `means` and over
// `stds`, with a mask of ones; zeros for the others. samples and matches (B, N). Returns {targets, masks}.
struct EncodedBoxes {
  NDArray targets, masks;
};
EncodedBoxes box_encode(const NDArray& samples, const NDArray& matches, const NDArray& anchors, const NDArray& refs,
                        std::vector<double> means = {0, 0, 0, 0}, std::vector<double> stds = {0.1, 0.1, 0.2, 0.2});

// MXNet's box_decode: offsets data (B, N, 4) (dx, dy, dw, dh) applied to anchors (1, N, 4) ("corner" or
// "center"): centre += d * std * anchor size, size *= exp(d * std) (dw, dh capped at clip when clip > 0).
// Returns corner boxes (B, N, 4). Composed of recorded operators: differentiable.
NDArray box_decode(const NDArray& data, const NDArray& anchors, std::vector<double> stds = {1, 1, 1, 1}, double clip = -1,
                   const std::string& format = "center");

}  // namespace mx::nd::contrib
