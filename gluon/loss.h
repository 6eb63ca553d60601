#pragma once
// Gluon's losses: loss(pred, label[, sample_weight]) gives one value per sample (shape (N,) with batch_axis 0),
// the mean over every other axis of the elementwise loss, scaled by `weight` and by sample_weight (broadcast
// to the elementwise loss) when given.
#include <string>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::loss {

struct LossOptions {
  double weight = 1;
  int batch_axis = 0;
};

class Loss {
 public:
  explicit Loss(LossOptions options) : options_(options) {}
  virtual ~Loss() = default;
  NDArray operator()(const NDArray& pred, const NDArray& label, const NDArray& sample_weight = {}) const;

 protected:
  // The elementwise loss (before weighting and the mean).
  virtual NDArray elementwise(const NDArray& pred, const NDArray& label) const = 0;
  // Weighting and the mean over every axis but the batch axis.
  NDArray finish(NDArray loss, const NDArray& sample_weight) const;

 private:
  LossOptions options_;
};

struct SoftmaxCrossEntropyOptions {
  int axis = -1;
  bool sparse_label = true;  // labels are class indices (else distributions over the axis)
  bool from_logits = false;  // pred is log-probabilities already
  double weight = 1;
  int batch_axis = 0;
};
// -log softmax(pred)[label] along `axis`.
class SoftmaxCrossEntropyLoss : public Loss {
 public:
  explicit SoftmaxCrossEntropyLoss(SoftmaxCrossEntropyOptions options = {});

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;

 private:
  SoftmaxCrossEntropyOptions options_;
};

// (pred - label)^2 / 2.
class L2Loss : public Loss {
 public:
  explicit L2Loss(LossOptions options = {}) : Loss(options) {}

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;
};

// |pred - label|.
class L1Loss : public Loss {
 public:
  explicit L1Loss(LossOptions options = {}) : Loss(options) {}

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;
};

// Binary cross-entropy of labels in [0, 1]; pred are logits (computed stably) unless from_sigmoid.
class SigmoidBinaryCrossEntropyLoss : public Loss {
 public:
  explicit SigmoidBinaryCrossEntropyLoss(bool from_sigmoid = false, LossOptions options = {})
      : Loss(options), from_sigmoid_(from_sigmoid) {}

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;

 private:
  bool from_sigmoid_;
};

// label (log label - pred), pred log-probabilities (from_logits) or scores put through log_softmax on `axis`.
class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(bool from_logits = true, int axis = -1, LossOptions options = {})
      : Loss(options), from_logits_(from_logits), axis_(axis) {}

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;

 private:
  bool from_logits_;
  int axis_;
};

// |d| - rho / 2 where |d| > rho, d^2 / (2 rho) elsewhere (d = pred - label).
class HuberLoss : public Loss {
 public:
  explicit HuberLoss(double rho = 1, LossOptions options = {}) : Loss(options), rho_(rho) {}

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;

 private:
  double rho_;
};

// max(0, margin - pred * label), labels -1 or 1; SquaredHingeLoss squares it.
class HingeLoss : public Loss {
 public:
  explicit HingeLoss(double margin = 1, LossOptions options = {}) : Loss(options), margin_(margin) {}

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;
  double margin_;
};
class SquaredHingeLoss : public HingeLoss {
 public:
  explicit SquaredHingeLoss(double margin = 1, LossOptions options = {}) : HingeLoss(margin, options) {}

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;
};

// log(1 + exp(-pred * label)) for labels -1 or 1 ("signed") or 0 or 1 ("binary").
class LogisticLoss : public Loss {
 public:
  explicit LogisticLoss(std::string label_format = "signed", LossOptions options = {});

 protected:
  NDArray elementwise(const NDArray& pred, const NDArray& label) const override;

 private:
  bool signed_;
};

// For pairs (input1, input2) with label 1 (similar) or -1: 1 - cos where similar, max(0, cos - margin)
// elsewhere; cos is taken along the last axis.
class CosineEmbeddingLoss {
 public:
  explicit CosineEmbeddingLoss(double margin = 0, LossOptions options = {}) : margin_(margin), options_(options) {}
  NDArray operator()(const NDArray& input1, const NDArray& input2, const NDArray& label,
                     const NDArray& sample_weight = {}) const;

 private:
  double margin_;
  LossOptions options_;
};

// For anchors `pred` and their `positive` and `negative` examples (each pred's shape): per sample,
// max(0, sum over every other axis of (positive - pred)^2 - (negative - pred)^2 + margin).
class TripletLoss {
 public:
  explicit TripletLoss(double margin = 1, LossOptions options = {}) : margin_(margin), options_(options) {}
  NDArray operator()(const NDArray& pred, const NDArray& positive, const NDArray& negative,
                     const NDArray& sample_weight = {}) const;

 private:
  double margin_;
  LossOptions options_;
};

struct PoissonNLLOptions {
  bool from_logits = true;    // pred is log(rate): exp(pred) - target pred; else pred - target log(pred + epsilon)
  bool compute_full = false;  // adds Stirling's term target log(target) - target + log(2 pi target) / 2 where target > 1
  double epsilon = 1e-8;
  double weight = 1;
};
// The negative log-likelihood of `target` counts under Poisson rates `pred`, weighted, and (as MXNet 1.x's)
// averaged over every element: a one-element array.
class PoissonNLLLoss {
 public:
  explicit PoissonNLLLoss(PoissonNLLOptions options = {}) : options_(options) {}
  NDArray operator()(const NDArray& pred, const NDArray& target, const NDArray& sample_weight = {}) const;

 private:
  PoissonNLLOptions options_;
};

struct CTCLossOptions {
  std::string layout = "NTC";       // pred (N, T, C), or "TNC"
  std::string label_layout = "NT";  // label (N, L), or "TN"
  double weight = 1;
};
// MXNet's CTCLoss (nd::CTCLoss): pred unnormalized scores over C classes, the last of which (C - 1) is the
// blank; labels padded with -1 unless label_lengths are given; pred_lengths default to T. One loss per
// sequence, (N,).
class CTCLoss {
 public:
  explicit CTCLoss(CTCLossOptions options = {});
  NDArray operator()(const NDArray& pred, const NDArray& label, const NDArray& pred_lengths = {},
                     const NDArray& label_lengths = {}, const NDArray& sample_weight = {}) const;

 private:
  CTCLossOptions options_;
};

// Smoothed deep metric learning (Bonadiman et al., MXNet's SDMLLoss): x1 and x2 (N, D) hold N matching pairs,
// row i of x1 with row i of x2. Each x1 row's softmax over -|x1_i - x2_j|^2 (j over the batch) is pulled towards
// its own pair, with `smoothing_parameter` of the mass spread evenly over the others (KL divergence, summed
// over j). One loss per pair, (N,); the other pairs of the batch are the negatives.
class SDMLLoss {
 public:
  explicit SDMLLoss(double smoothing_parameter = 0.3, LossOptions options = {});
  NDArray operator()(const NDArray& x1, const NDArray& x2, const NDArray& sample_weight = {}) const;

 private:
  double smoothing_;
  LossOptions options_;
};

}  // namespace mx::gluon::loss
