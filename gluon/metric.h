#pragma once
// Evaluation metrics, as MXNet's mx.metric: update(labels, preds) accumulates (a sync point: it reads the
// values), get() gives (name, value), reset() starts over. Values average over every sample seen since reset.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::metric {

class EvalMetric;
// A copy of `metric` with its sums reset.
template <class M>
std::shared_ptr<EvalMetric> fresh(const M& metric);

class EvalMetric {
 public:
  explicit EvalMetric(std::string name) : name_(std::move(name)) {}
  virtual ~EvalMetric() = default;
  // One label and prediction array per device (or per output); they must pair up.
  void update(const std::vector<NDArray>& labels, const std::vector<NDArray>& preds);
  void update(const NDArray& label, const NDArray& pred) { update_one(label, pred); }
  virtual void reset();
  // (name, value); NaN before any update.
  virtual std::pair<std::string, double> get() const;
  // Every (name, value) the metric reports (CompositeEvalMetric reports one per member).
  virtual std::vector<std::pair<std::string, double>> get_name_value() const { return {get()}; }
  const std::string& name() const { return name_; }
  // A fresh metric of the same kind and options, for validation beside training (the Estimator's); nullptr for
  // a metric that cannot be copied (a user's that does not override it).
  virtual std::shared_ptr<EvalMetric> clone() const { return nullptr; }

 protected:
  virtual void update_one(const NDArray& label, const NDArray& pred) = 0;
  double sum_metric_ = 0, num_inst_ = 0;

 private:
  std::string name_;
};

// The fraction of samples whose class (pred's argmax along `axis`, or pred itself when it has label's shape)
// equals the label.
class Accuracy : public EvalMetric {
 public:
  explicit Accuracy(int axis = 1) : EvalMetric("accuracy"), axis_(axis) {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<Accuracy>(*this); }

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;

 private:
  int axis_;
};

// The fraction of samples whose label is among the top_k classes of pred (N, classes).
class TopKAccuracy : public EvalMetric {
 public:
  explicit TopKAccuracy(int top_k = 1);
  std::shared_ptr<EvalMetric> clone() const override { return fresh<TopKAccuracy>(*this); }

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;

 private:
  int top_k_;
};

// Binary classification: pred (N, 2) scores or (N,) probabilities of class 1. "micro" counts over every
// sample; "macro" averages the per-update values, as MXNet's default.
class F1 : public EvalMetric {
 public:
  explicit F1(std::string average = "macro") : F1("f1", std::move(average)) {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<F1>(*this); }
  void reset() override;
  std::pair<std::string, double> get() const override;

 protected:
  F1(std::string name, std::string average);
  void update_one(const NDArray& label, const NDArray& pred) override;
  bool micro_;
  double tp_ = 0, fp_ = 0, fn_ = 0, tn_ = 0;
};

// Matthews correlation coefficient of binary predictions, as F1's.
class MCC : public F1 {
 public:
  explicit MCC(std::string average = "macro") : F1("mcc", std::move(average)) {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<MCC>(*this); }
  std::pair<std::string, double> get() const override;
};

// MXNet's PCC: the multiclass Matthews correlation (Gorodkin's R_K) of the confusion matrix gathered over every
// update, predictions the argmax of pred (or class indices of label's shape). Two classes give MCC's value.
class PCC : public EvalMetric {
 public:
  PCC() : EvalMetric("pcc") {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<PCC>(*this); }
  void reset() override;
  std::pair<std::string, double> get() const override;

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;

 private:
  std::vector<std::vector<double>> confusion_;  // [true class][predicted class], grown as classes appear
};

// Mean absolute and squared errors, and the root of the latter, over every element.
class MAE : public EvalMetric {
 public:
  MAE() : EvalMetric("mae") {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<MAE>(*this); }

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;
};
class MSE : public EvalMetric {
 public:
  MSE() : EvalMetric("mse") {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<MSE>(*this); }

 protected:
  explicit MSE(std::string name) : EvalMetric(std::move(name)) {}
  void update_one(const NDArray& label, const NDArray& pred) override;
};
class RMSE : public MSE {
 public:
  RMSE() : MSE("rmse") {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<RMSE>(*this); }
  std::pair<std::string, double> get() const override;
};

// -log(pred[label] + eps) per sample, pred (N, classes) probabilities.
class CrossEntropy : public EvalMetric {
 public:
  explicit CrossEntropy(double eps = 1e-12, std::string name = "cross-entropy")
      : EvalMetric(std::move(name)), eps_(eps) {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<CrossEntropy>(*this); }

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;
  double eps_;
};

// MXNet's NegativeLogLikelihood ("nll-loss"): the cross-entropy's -log(pred[label] + eps) under its name.
class NegativeLogLikelihood : public CrossEntropy {
 public:
  explicit NegativeLogLikelihood(double eps = 1e-12, std::string name = "nll-loss") : CrossEntropy(eps, std::move(name)) {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<NegativeLogLikelihood>(*this); }
};

// exp of the cross-entropy; samples labelled ignore_label do not count.
class Perplexity : public CrossEntropy {
 public:
  explicit Perplexity(std::optional<int> ignore_label = std::nullopt);
  std::shared_ptr<EvalMetric> clone() const override { return fresh<Perplexity>(*this); }
  std::pair<std::string, double> get() const override;

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;

 private:
  std::optional<int> ignore_label_;
};

// Pearson's correlation between every label and prediction seen.
class PearsonCorrelation : public EvalMetric {
 public:
  PearsonCorrelation() : EvalMetric("pearsonr") {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<PearsonCorrelation>(*this); }
  void reset() override;
  std::pair<std::string, double> get() const override;

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;

 private:
  double sx_ = 0, sy_ = 0, sxx_ = 0, syy_ = 0, sxy_ = 0;
};

// The mean of the loss values given as predictions (labels are ignored), as MXNet's metric.Loss: what a
// training loop reports as its loss.
class Loss : public EvalMetric {
 public:
  explicit Loss(std::string name = "loss") : EvalMetric(std::move(name)) {}
  std::shared_ptr<EvalMetric> clone() const override { return fresh<Loss>(*this); }

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;
};

// A metric from a function of one label and prediction pair (MXNet's CustomMetric with feval): the values it
// returns are averaged over the pairs, or, from the (sum, count) form, summed and divided by the counts' sum.
class CustomMetric : public EvalMetric {
 public:
  using Value = std::function<double(const NDArray& label, const NDArray& pred)>;
  using SumAndCount = std::function<std::pair<double, double>(const NDArray& label, const NDArray& pred)>;
  explicit CustomMetric(Value feval, std::string name = "custom");
  explicit CustomMetric(SumAndCount feval, std::string name = "custom");
  std::shared_ptr<EvalMetric> clone() const override { return fresh<CustomMetric>(*this); }

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;

 private:
  SumAndCount feval_;
};

// Several metrics updated together.
class CompositeEvalMetric : public EvalMetric {
 public:
  CompositeEvalMetric() : EvalMetric("composite") {}
  std::shared_ptr<EvalMetric> clone() const override;
  template <class M>
  void add(M metric) {
    metrics_.push_back(std::make_shared<M>(std::move(metric)));
  }
  void add(std::shared_ptr<EvalMetric> metric) { metrics_.push_back(std::move(metric)); }
  void reset() override;
  std::pair<std::string, double> get() const override;  // the first member's
  std::vector<std::pair<std::string, double>> get_name_value() const override;

 protected:
  void update_one(const NDArray& label, const NDArray& pred) override;

 private:
  std::vector<std::shared_ptr<EvalMetric>> metrics_;
};

// MXNet's mx.metric.create by name: "acc" (or "accuracy"), "top_k_accuracy" (or "top_k_acc"; top 1), "f1", "mcc",
// "pcc", "mae", "mse", "rmse", "ce" (or "cross-entropy"), "nll_loss", "perplexity", "pearsonr", "loss". Several
// names make a CompositeEvalMetric. An unknown name is an mx::Error listing the known ones.
std::shared_ptr<EvalMetric> create(const std::string& name);
std::shared_ptr<EvalMetric> create(const std::vector<std::string>& names);

template <class M>
std::shared_ptr<EvalMetric> fresh(const M& metric) {
  auto copy = std::make_shared<M>(metric);
  copy->reset();
  return copy;
}

}  // namespace mx::gluon::metric

namespace mx {
namespace metric = gluon::metric;  // MXNet 1.x's spelling, mx.metric
}
