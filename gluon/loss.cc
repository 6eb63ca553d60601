#include <mx/gluon/loss.h>

#include <cmath>

#include <mx/ndarray/error.h>
#include <mx/operators/activations.h>
#include <mx/operators/creation.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/ctc.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/layout.h>
#include <mx/operators/nn.h>
#include <mx/operators/reduce.h>
#include <mx/operators/select.h>

namespace mx::gluon::loss {
namespace {

// log(1 + exp(-|x|)), the stable tail of the logistic losses.
NDArray soft_tail(const NDArray& x) { return nd::Activation(-nd::abs(x), "softrelu"); }

// Every axis but `batch_axis`.
std::vector<int> sample_axes(const NDArray& loss, int batch_axis) {
  const int keep = normalize_axis(batch_axis, loss.ndim(), "loss");
  std::vector<int> axes;
  for (int a = 0; a < loss.ndim(); ++a) {
    if (a != keep) axes.push_back(a);
  }
  return axes;
}

// The mean, or the sum, over every axis but `batch_axis`.
NDArray per_sample_mean(const NDArray& loss, int batch_axis) {
  return loss.ndim() <= 1 ? loss : nd::mean(loss, sample_axes(loss, batch_axis));
}
NDArray per_sample_sum(const NDArray& loss, int batch_axis) {
  return loss.ndim() <= 1 ? loss : nd::sum(loss, sample_axes(loss, batch_axis));
}

NDArray label_like(const NDArray& label, const NDArray& pred, const char* loss) {
  if (label.size() != pred.size()) {
    throw ShapeError(std::string(loss) + ": label " + label.shape().str() + " does not match pred " + pred.shape().str());
  }
  return label.reshape(pred.shape());
}

}  // namespace

NDArray Loss::operator()(const NDArray& pred, const NDArray& label, const NDArray& sample_weight) const {
  return finish(elementwise(pred, label), sample_weight);
}

NDArray Loss::finish(NDArray loss, const NDArray& sample_weight) const {
  if (!sample_weight.is_none()) {
    // A per-sample loss meets weights given per sample as (batch, 1) or (batch,).
    const bool per_sample = loss.ndim() == 1 && sample_weight.size() == loss.size();
    loss = loss * (per_sample ? sample_weight.reshape(loss.shape()) : sample_weight);
  }
  if (options_.weight != 1) loss = loss * options_.weight;
  return per_sample_mean(loss, options_.batch_axis);
}

SoftmaxCrossEntropyLoss::SoftmaxCrossEntropyLoss(SoftmaxCrossEntropyOptions options)
    : Loss({options.weight, options.batch_axis}), options_(options) {}

NDArray SoftmaxCrossEntropyLoss::elementwise(const NDArray& pred, const NDArray& label) const {
  // The common case, (batch, classes) scores and class labels, is one fused operator (and one for its gradient).
  const bool class_axis_last = options_.axis == -1 || options_.axis == pred.ndim() - 1;
  if (options_.sparse_label && !options_.from_logits && pred.ndim() == 2 && class_axis_last &&
      label.size() == pred.shape()[0]) {
    return nd::softmax_cross_entropy(pred, label.reshape({pred.shape()[0]}), /*per_sample=*/true);
  }
  const NDArray log_p = options_.from_logits ? pred : nd::log_softmax(pred, options_.axis);
  if (options_.sparse_label) return -nd::pick(log_p, label, options_.axis, true);
  return -nd::sum(log_p * label_like(label, pred, "SoftmaxCrossEntropyLoss"), {options_.axis}, true);
}

NDArray L2Loss::elementwise(const NDArray& pred, const NDArray& label) const {
  return nd::square(label_like(label, pred, "L2Loss") - pred) * 0.5;
}

NDArray L1Loss::elementwise(const NDArray& pred, const NDArray& label) const {
  return nd::abs(label_like(label, pred, "L1Loss") - pred);
}

NDArray SigmoidBinaryCrossEntropyLoss::elementwise(const NDArray& pred, const NDArray& label) const {
  const NDArray y = label_like(label, pred, "SigmoidBinaryCrossEntropyLoss");
  if (!from_sigmoid_) return nd::relu(pred) - pred * y + soft_tail(pred);
  constexpr double kEps = 1e-12;
  return -(nd::log(pred + kEps) * y + nd::log(1.0 - pred + kEps) * (1.0 - y));
}

NDArray KLDivLoss::elementwise(const NDArray& pred, const NDArray& label) const {
  const NDArray log_p = from_logits_ ? pred : nd::log_softmax(pred, axis_);
  const NDArray y = label_like(label, pred, "KLDivLoss");
  return y * (nd::log(y + 1e-12) - log_p);
}

NDArray HuberLoss::elementwise(const NDArray& pred, const NDArray& label) const {
  const NDArray d = nd::abs(label_like(label, pred, "HuberLoss") - pred);
  return nd::where(d > rho_, d - 0.5 * rho_, nd::square(d) * (0.5 / rho_));
}

NDArray HingeLoss::elementwise(const NDArray& pred, const NDArray& label) const {
  return nd::relu(margin_ - pred * label_like(label, pred, "HingeLoss"));
}

NDArray SquaredHingeLoss::elementwise(const NDArray& pred, const NDArray& label) const {
  return nd::square(HingeLoss::elementwise(pred, label));
}

LogisticLoss::LogisticLoss(std::string label_format, LossOptions options) : Loss(options) {
  if (label_format != "signed" && label_format != "binary") {
    throw Error("LogisticLoss: label_format must be \"signed\" or \"binary\", got \"" + label_format + "\"");
  }
  signed_ = label_format == "signed";
}

NDArray LogisticLoss::elementwise(const NDArray& pred, const NDArray& label) const {
  NDArray y = label_like(label, pred, "LogisticLoss");
  if (signed_) y = (y + 1.0) * 0.5;  // to 0 or 1
  return nd::relu(pred) - pred * y + soft_tail(pred);
}

NDArray CosineEmbeddingLoss::operator()(const NDArray& input1, const NDArray& input2, const NDArray& label,
                                        const NDArray& sample_weight) const {
  if (input1.shape() != input2.shape()) {
    throw ShapeError("CosineEmbeddingLoss: inputs " + input1.shape().str() + " and " + input2.shape().str() + " differ");
  }
  const int last = input1.ndim() - 1;
  const NDArray dot = nd::sum(input1 * input2, {last});
  const NDArray norms = nd::norm(input1, 2, {last}) * nd::norm(input2, 2, {last});
  const NDArray cos = dot / nd::maximum(norms, 1e-12);
  const NDArray y = label.reshape(cos.shape());
  NDArray loss = nd::where(y == 1.0, 1.0 - cos, nd::relu(cos - margin_));
  if (!sample_weight.is_none()) loss = loss * sample_weight;
  if (options_.weight != 1) loss = loss * options_.weight;
  return per_sample_mean(loss, options_.batch_axis);
}

NDArray TripletLoss::operator()(const NDArray& pred, const NDArray& positive, const NDArray& negative,
                                const NDArray& sample_weight) const {
  const NDArray pos = label_like(positive, pred, "TripletLoss"), neg = label_like(negative, pred, "TripletLoss");
  const NDArray gap = nd::square(pos - pred) - nd::square(neg - pred);
  NDArray loss = nd::relu(per_sample_sum(gap, options_.batch_axis) + margin_);
  if (!sample_weight.is_none()) loss = loss * sample_weight.reshape(loss.shape());
  if (options_.weight != 1) loss = loss * options_.weight;
  return loss;
}

NDArray PoissonNLLLoss::operator()(const NDArray& pred, const NDArray& target, const NDArray& sample_weight) const {
  const NDArray t = label_like(target, pred, "PoissonNLLLoss");
  NDArray loss = options_.from_logits ? nd::exp(pred) - t * pred : pred - t * nd::log(pred + options_.epsilon);
  if (options_.compute_full) {
    const NDArray stirling = t * nd::log(t) - t + 0.5 * nd::log(2 * M_PI * t);
    loss = loss + nd::where(t > 1.0, stirling, nd::zeros_like(t));
  }
  if (!sample_weight.is_none()) loss = loss * sample_weight;
  if (options_.weight != 1) loss = loss * options_.weight;
  return nd::mean(loss).reshape({1});
}

CTCLoss::CTCLoss(CTCLossOptions options) : options_(std::move(options)) {
  if (options_.layout != "NTC" && options_.layout != "TNC") {
    throw Error("CTCLoss: layout must be \"NTC\" or \"TNC\", got \"" + options_.layout + "\"");
  }
  if (options_.label_layout != "NT" && options_.label_layout != "TN") {
    throw Error("CTCLoss: label_layout must be \"NT\" or \"TN\", got \"" + options_.label_layout + "\"");
  }
}

NDArray CTCLoss::operator()(const NDArray& pred, const NDArray& label, const NDArray& pred_lengths,
                            const NDArray& label_lengths, const NDArray& sample_weight) const {
  if (pred.ndim() != 3 || label.ndim() != 2) {
    throw ShapeError("CTCLoss: pred must be (" + options_.layout + ") and label (" + options_.label_layout + "), got " +
                     pred.shape().str() + " and " + label.shape().str());
  }
  const NDArray scores = options_.layout == "NTC" ? nd::swapaxes(pred, 0, 1) : pred;
  const NDArray labels = options_.label_layout == "TN" ? nd::swapaxes(label, 0, 1) : label;
  NDArray loss = nd::CTCLoss(scores, labels, pred_lengths, label_lengths);
  if (!sample_weight.is_none()) loss = loss * sample_weight.reshape(loss.shape());
  if (options_.weight != 1) loss = loss * options_.weight;
  return loss;
}

SDMLLoss::SDMLLoss(double smoothing_parameter, LossOptions options) : smoothing_(smoothing_parameter), options_(options) {
  if (!(smoothing_parameter >= 0 && smoothing_parameter < 1)) {
    throw Error("SDMLLoss: smoothing_parameter must be in [0, 1), got " + std::to_string(smoothing_parameter));
  }
}

NDArray SDMLLoss::operator()(const NDArray& x1, const NDArray& x2, const NDArray& sample_weight) const {
  if (x1.ndim() != 2 || x1.shape() != x2.shape() || x1.shape()[0] < 2) {
    throw ShapeError("SDMLLoss: x1 and x2 must be (N, D) pairs of one shape with N >= 2, got " + x1.shape().str() +
                     " and " + x2.shape().str());
  }
  const std::int64_t n = x1.shape()[0];
  // distances[i, j] = |x1_i - x2_j|^2
  const NDArray distances = nd::sum(nd::square(nd::expand_dims(x1, 1) - nd::expand_dims(x2, 0)), {2});
  const NDArray log_p = nd::log_softmax(-distances, 1);
  const NDArray gold = nd::eye(n, 0, 0, x1.context(), x1.dtype());
  const NDArray labels = gold * (1 - smoothing_) + (1.0 - gold) * (smoothing_ / static_cast<double>(n - 1));
  // KL(labels || p) summed over j, as MXNet's (KLDivLoss of log-probabilities, its 1e-12 included).
  NDArray loss = nd::sum(labels * (nd::log(labels + 1e-12) - log_p), {1});
  if (!sample_weight.is_none()) loss = loss * sample_weight.reshape(loss.shape());
  if (options_.weight != 1) loss = loss * options_.weight;
  return loss;
}

}  // namespace mx::gluon::loss
