#include <mx/gluon/metric.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <mx/ndarray/error.h>

namespace mx::gluon::metric {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> host(const NDArray& a) { return a.asnumpy<double>(); }

// Class indices from pred: argmax over `axis` (as rows of `classes` values), or pred itself.
std::vector<double> predicted_classes(const NDArray& pred, std::size_t samples, const char* metric) {
  const std::vector<double> p = host(pred);
  if (p.size() == samples) return p;
  if (samples == 0 || p.size() % samples != 0) {
    throw ShapeError(std::string(metric) + ": pred " + pred.shape().str() + " does not fit " +
                     std::to_string(samples) + " labels");
  }
  const std::size_t classes = p.size() / samples;
  std::vector<double> chosen(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    const auto row = p.begin() + static_cast<std::ptrdiff_t>(i * classes);
    chosen[i] = static_cast<double>(std::max_element(row, row + static_cast<std::ptrdiff_t>(classes)) - row);
  }
  return chosen;
}

// Binary decisions: argmax of (N, 2) scores, or probability above 0.5 for (N,).
std::vector<double> binary_decisions(const NDArray& pred, std::size_t samples, const char* metric) {
  if (pred.size() == static_cast<std::int64_t>(samples)) {
    std::vector<double> p = host(pred);
    for (double& v : p) v = v > 0.5 ? 1 : 0;
    return p;
  }
  if (pred.size() != static_cast<std::int64_t>(2 * samples)) {
    throw ShapeError(std::string(metric) + ": binary metrics take pred (N, 2) or (N,), got " + pred.shape().str());
  }
  return predicted_classes(pred, samples, metric);
}

void check_pair(const NDArray& label, const NDArray& pred, const char* metric) {
  if (label.is_none() || pred.is_none()) throw Error(std::string(metric) + ": label or pred is an empty array");
}

// Labels (N) and scores (N, classes) on the host, checked to pair up.
struct Scored {
  std::vector<double> labels, scores;
  std::size_t classes;
  const double* row(std::size_t i) const { return scores.data() + i * classes; }
  // The score of sample i's own label; an out-of-range label is an error naming the metric.
  double of_label(std::size_t i, const std::string& metric) const {
    const auto c = static_cast<std::size_t>(labels[i]);
    if (labels[i] < 0 || c >= classes) throw Error(metric + ": label " + std::to_string(labels[i]) + " is not a class");
    return row(i)[c];
  }
};

Scored scored(const NDArray& label, const NDArray& pred, const std::string& metric) {
  check_pair(label, pred, metric.c_str());
  Scored s{host(label), host(pred), 0};
  if (s.labels.empty() || s.scores.size() % s.labels.size() != 0) {
    throw ShapeError(metric + ": pred " + pred.shape().str() + " does not fit labels " + label.shape().str());
  }
  s.classes = s.scores.size() / s.labels.size();
  return s;
}

}  // namespace

void EvalMetric::update(const std::vector<NDArray>& labels, const std::vector<NDArray>& preds) {
  if (labels.size() != preds.size()) {
    throw Error(name_ + ": " + std::to_string(labels.size()) + " labels for " + std::to_string(preds.size()) + " preds");
  }
  for (std::size_t i = 0; i < labels.size(); ++i) update_one(labels[i], preds[i]);
}

void EvalMetric::reset() { sum_metric_ = num_inst_ = 0; }

std::pair<std::string, double> EvalMetric::get() const {
  return {name_, num_inst_ == 0 ? kNaN : sum_metric_ / num_inst_};
}

void Accuracy::update_one(const NDArray& label, const NDArray& pred) {
  check_pair(label, pred, "accuracy");
  const std::vector<double> y = host(label);
  const std::vector<double> c = pred.size() == label.size() ? host(pred) : host(pred.argmax(axis_));
  if (c.size() != y.size()) {
    throw ShapeError("accuracy: pred " + pred.shape().str() + " (classes on axis " + std::to_string(axis_) +
                     ") does not fit labels " + label.shape().str());
  }
  for (std::size_t i = 0; i < y.size(); ++i) sum_metric_ += std::lround(c[i]) == std::lround(y[i]) ? 1 : 0;
  num_inst_ += static_cast<double>(y.size());
}

TopKAccuracy::TopKAccuracy(int top_k) : EvalMetric("top_k_accuracy_" + std::to_string(top_k)), top_k_(top_k) {
  if (top_k < 1) throw Error("TopKAccuracy: top_k must be at least 1, got " + std::to_string(top_k));
}

void TopKAccuracy::update_one(const NDArray& label, const NDArray& pred) {
  const Scored s = scored(label, pred, name());
  for (std::size_t i = 0; i < s.labels.size(); ++i) {
    const double target = s.of_label(i, name());
    const auto above = std::count_if(s.row(i), s.row(i) + s.classes, [&](double v) { return v > target; });
    sum_metric_ += above < top_k_ ? 1 : 0;
  }
  num_inst_ += static_cast<double>(s.labels.size());
}

F1::F1(std::string name, std::string average) : EvalMetric(std::move(name)) {
  if (average != "macro" && average != "micro") throw Error("F1: average must be \"macro\" or \"micro\", got " + average);
  micro_ = average == "micro";
}

void F1::reset() {
  EvalMetric::reset();
  tp_ = fp_ = fn_ = tn_ = 0;
}

namespace {
double f1_of(double tp, double fp, double fn) {
  const double precision = tp + fp > 0 ? tp / (tp + fp) : 0, recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
}
double mcc_of(double tp, double fp, double fn, double tn) {
  const double denominator = std::sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return denominator > 0 ? (tp * tn - fp * fn) / denominator : 0;
}
}  // namespace

void F1::update_one(const NDArray& label, const NDArray& pred) {
  check_pair(label, pred, name().c_str());
  const std::vector<double> y = host(label);
  const std::vector<double> c = binary_decisions(pred, y.size(), name().c_str());
  double tp = 0, fp = 0, fn = 0, tn = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const bool truth = y[i] > 0.5, said = c[i] > 0.5;
    tp += truth && said;
    fp += !truth && said;
    fn += truth && !said;
    tn += !truth && !said;
  }
  tp_ += tp;
  fp_ += fp;
  fn_ += fn;
  tn_ += tn;
  sum_metric_ += name() == "f1" ? f1_of(tp, fp, fn) : mcc_of(tp, fp, fn, tn);
  num_inst_ += 1;
}

std::pair<std::string, double> F1::get() const {
  if (!micro_) return EvalMetric::get();
  return {name(), tp_ + fp_ + fn_ + tn_ == 0 ? kNaN : f1_of(tp_, fp_, fn_)};
}

std::pair<std::string, double> MCC::get() const {
  if (!micro_) return {"mcc", num_inst_ == 0 ? kNaN : sum_metric_ / num_inst_};
  return {"mcc", tp_ + fp_ + fn_ + tn_ == 0 ? kNaN : mcc_of(tp_, fp_, fn_, tn_)};
}

void PCC::reset() {
  EvalMetric::reset();
  confusion_.clear();
}

void PCC::update_one(const NDArray& label, const NDArray& pred) {
  const std::vector<double> y = host(label);
  const std::vector<double> c = predicted_classes(pred, y.size(), "pcc");
  for (std::size_t i = 0; i < y.size(); ++i) {
    const long truth = std::lround(y[i]), said = std::lround(c[i]);
    if (truth < 0 || said < 0) throw Error("pcc: class indices must not be negative, got " + std::to_string(truth) +
                                           " and " + std::to_string(said));
    const auto needed = static_cast<std::size_t>(std::max(truth, said)) + 1;
    if (confusion_.size() < needed) {
      confusion_.resize(needed);
      for (auto& row : confusion_) row.resize(needed, 0);
    }
    confusion_[static_cast<std::size_t>(truth)][static_cast<std::size_t>(said)] += 1;
  }
  num_inst_ += static_cast<double>(y.size());
}

std::pair<std::string, double> PCC::get() const {
  // Gorodkin: (n c - sum_k t_k p_k) / sqrt((n^2 - sum_k p_k^2) (n^2 - sum_k t_k^2)), with c the correct ones,
  // t_k the samples of class k and p_k those predicted k.
  const std::size_t k = confusion_.size();
  double n = 0, correct = 0, tp = 0, tt = 0, pp = 0;
  for (std::size_t a = 0; a < k; ++a) {
    double t = 0, p = 0;
    for (std::size_t b = 0; b < k; ++b) {
      t += confusion_[a][b];
      p += confusion_[b][a];
    }
    n += t;
    correct += confusion_[a][a];
    tp += t * p;
    tt += t * t;
    pp += p * p;
  }
  const double denominator = std::sqrt((n * n - pp) * (n * n - tt));
  return {name(), n == 0 ? kNaN : denominator == 0 ? 0.0 : (n * correct - tp) / denominator};
}

namespace {
// Label and prediction values of one size; the callback sees each pair.
template <class Fn>
void each_pair(const NDArray& label, const NDArray& pred, const char* metric, Fn fn) {
  const std::vector<double> y = host(label), p = host(pred);
  if (y.size() != p.size()) {
    throw ShapeError(std::string(metric) + ": label " + label.shape().str() + " and pred " + pred.shape().str() +
                     " have different sizes");
  }
  for (std::size_t i = 0; i < y.size(); ++i) fn(y[i], p[i]);
}
}  // namespace

void MAE::update_one(const NDArray& label, const NDArray& pred) {
  each_pair(label, pred, "mae", [&](double y, double p) {
    sum_metric_ += std::abs(y - p);
    num_inst_ += 1;
  });
}

void MSE::update_one(const NDArray& label, const NDArray& pred) {
  each_pair(label, pred, name().c_str(), [&](double y, double p) {
    sum_metric_ += (y - p) * (y - p);
    num_inst_ += 1;
  });
}

std::pair<std::string, double> RMSE::get() const { return {"rmse", std::sqrt(MSE::get().second)}; }

void CrossEntropy::update_one(const NDArray& label, const NDArray& pred) {
  const Scored s = scored(label, pred, name());
  for (std::size_t i = 0; i < s.labels.size(); ++i) {
    sum_metric_ += -std::log(s.of_label(i, name()) + eps_);
    num_inst_ += 1;
  }
}

CustomMetric::CustomMetric(Value feval, std::string name) : EvalMetric(std::move(name)) {
  if (!feval) throw Error("CustomMetric '" + this->name() + "': the function is empty");
  feval_ = [feval = std::move(feval)](const NDArray& label, const NDArray& pred) {
    return std::pair<double, double>{feval(label, pred), 1};
  };
}

CustomMetric::CustomMetric(SumAndCount feval, std::string name) : EvalMetric(std::move(name)), feval_(std::move(feval)) {
  if (!feval_) throw Error("CustomMetric '" + this->name() + "': the function is empty");
}

void CustomMetric::update_one(const NDArray& label, const NDArray& pred) {
  const auto [sum, count] = feval_(label, pred);
  sum_metric_ += sum;
  num_inst_ += count;
}

Perplexity::Perplexity(std::optional<int> ignore_label) : CrossEntropy(1e-12, "perplexity"), ignore_label_(ignore_label) {}

void Perplexity::update_one(const NDArray& label, const NDArray& pred) {
  const Scored s = scored(label, pred, "perplexity");
  for (std::size_t i = 0; i < s.labels.size(); ++i) {
    if (ignore_label_ && std::lround(s.labels[i]) == *ignore_label_) continue;
    sum_metric_ += -std::log(std::max(s.of_label(i, "perplexity"), eps_));
    num_inst_ += 1;
  }
}

std::pair<std::string, double> Perplexity::get() const {
  return {"perplexity", num_inst_ == 0 ? kNaN : std::exp(sum_metric_ / num_inst_)};
}

void PearsonCorrelation::reset() {
  EvalMetric::reset();
  sx_ = sy_ = sxx_ = syy_ = sxy_ = 0;
}

void PearsonCorrelation::update_one(const NDArray& label, const NDArray& pred) {
  each_pair(label, pred, "pearsonr", [&](double y, double p) {
    sx_ += y;
    sy_ += p;
    sxx_ += y * y;
    syy_ += p * p;
    sxy_ += y * p;
    num_inst_ += 1;
  });
}

std::pair<std::string, double> PearsonCorrelation::get() const {
  const double n = num_inst_;
  if (n < 2) return {"pearsonr", kNaN};
  const double cov = sxy_ - sx_ * sy_ / n, vx = sxx_ - sx_ * sx_ / n, vy = syy_ - sy_ * sy_ / n;
  return {"pearsonr", cov / std::sqrt(vx * vy)};
}

void Loss::update_one(const NDArray&, const NDArray& pred) {
  for (double v : host(pred)) sum_metric_ += v;
  num_inst_ += static_cast<double>(pred.size());
}

std::shared_ptr<EvalMetric> CompositeEvalMetric::clone() const {
  auto copy = std::make_shared<CompositeEvalMetric>();
  for (const auto& m : metrics_) {
    std::shared_ptr<EvalMetric> member = m->clone();
    if (member == nullptr) return nullptr;
    copy->metrics_.push_back(std::move(member));
  }
  return copy;
}

void CompositeEvalMetric::reset() {
  for (auto& m : metrics_) m->reset();
}

void CompositeEvalMetric::update_one(const NDArray& label, const NDArray& pred) {
  for (auto& m : metrics_) m->update(label, pred);
}

std::pair<std::string, double> CompositeEvalMetric::get() const {
  if (metrics_.empty()) return {"composite", kNaN};
  return metrics_.front()->get();
}

std::vector<std::pair<std::string, double>> CompositeEvalMetric::get_name_value() const {
  std::vector<std::pair<std::string, double>> all;
  for (const auto& m : metrics_) {
    for (auto& item : m->get_name_value()) all.push_back(std::move(item));
  }
  return all;
}

std::shared_ptr<EvalMetric> create(const std::string& name) {
  using Make = std::shared_ptr<EvalMetric> (*)();
  static const std::vector<std::pair<std::string, Make>> known = {
      {"acc", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<Accuracy>(); }},
      {"accuracy", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<Accuracy>(); }},
      {"top_k_accuracy", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<TopKAccuracy>(); }},
      {"top_k_acc", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<TopKAccuracy>(); }},
      {"f1", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<F1>(); }},
      {"mcc", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<MCC>(); }},
      {"pcc", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<PCC>(); }},
      {"mae", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<MAE>(); }},
      {"mse", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<MSE>(); }},
      {"rmse", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<RMSE>(); }},
      {"ce", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<CrossEntropy>(); }},
      {"cross-entropy", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<CrossEntropy>(); }},
      {"nll_loss", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<NegativeLogLikelihood>(); }},
      {"perplexity", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<Perplexity>(); }},
      {"pearsonr", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<PearsonCorrelation>(); }},
      {"loss", [] -> std::shared_ptr<EvalMetric> { return std::make_shared<Loss>(); }},
  };
  std::string names;
  for (const auto& [known_name, make] : known) {
    if (known_name == name) return make();
    names += (names.empty() ? "" : ", ") + known_name;
  }
  throw Error("metric::create: unknown metric '" + name + "' (known: " + names + ")");
}

std::shared_ptr<EvalMetric> create(const std::vector<std::string>& names) {
  if (names.size() == 1) return create(names.front());
  auto composite = std::make_shared<CompositeEvalMetric>();
  for (const std::string& name : names) composite->add(create(name));
  return composite;
}

}  // namespace mx::gluon::metric
