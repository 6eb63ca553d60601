#include <mx/gluon/contrib/estimator.h>

#include <algorithm>

#include <mx/autograd/autograd.h>
#include <mx/gluon/contrib/event_handler.h>
#include <mx/gluon/utils.h>
#include <mx/ndarray/error.h>

namespace mx::gluon::contrib::estimator {
namespace {

std::vector<std::shared_ptr<metric::EvalMetric>> with_loss_metric(std::vector<std::shared_ptr<metric::EvalMetric>> metrics) {
  const bool has_loss = std::any_of(metrics.begin(), metrics.end(), [](const auto& m) {
    return dynamic_cast<const metric::Loss*>(m.get()) != nullptr;
  });
  if (!has_loss) metrics.push_back(std::make_shared<metric::Loss>());
  return metrics;
}

template <class H>
bool has_handler(const std::vector<std::shared_ptr<EventHandler>>& handlers) {
  return std::any_of(handlers.begin(), handlers.end(), [](const auto& h) { return dynamic_cast<H*>(h.get()) != nullptr; });
}

}  // namespace

void update_metrics(const std::vector<std::shared_ptr<metric::EvalMetric>>& metrics, const BatchOutput& out) {
  for (const auto& m : metrics) {
    if (dynamic_cast<const metric::Loss*>(m.get()) != nullptr) m->update(out.label, out.loss);
    else m->update(out.label, out.pred);
  }
}

Estimator::Estimator(Block& net, const loss::Loss& loss, Trainer& trainer, EstimatorOptions options)
    : net_(net),
      loss_(loss),
      evaluation_loss_(options.evaluation_loss != nullptr ? *options.evaluation_loss : loss),
      trainer_(trainer),
      train_metrics_(with_loss_metric(std::move(options.train_metrics))),
      val_metrics_(std::move(options.val_metrics)),
      context_(options.context.empty() ? std::vector<Context>{current_context()} : std::move(options.context)),
      batch_axis_(options.batch_axis) {
  if (val_metrics_.empty()) {
    for (const auto& m : train_metrics_) {
      std::shared_ptr<metric::EvalMetric> copy = m->clone();
      if (copy == nullptr) {
        throw Error("Estimator: training metric '" + m->name() + "' cannot be copied for validation (its clone() "
                    "gives nothing); give val_metrics");
      }
      val_metrics_.push_back(std::move(copy));
    }
  }
}

BatchOutput Estimator::run_batch(const data::Batch& batch, const loss::Loss& loss, bool training) {
  if (batch.size() < 2) {
    throw Error("Estimator: a batch needs data and label, got " + std::to_string(batch.size()) + " field(s)");
  }
  BatchOutput out{batch, utils::split_and_load(batch[0], context_, batch_axis_, /*even_split=*/false),
                  utils::split_and_load(batch[1], context_, batch_axis_, /*even_split=*/false), {}, {}};
  {
    std::optional<autograd::record> recording;
    if (training) recording.emplace();
    for (std::size_t i = 0; i < out.data.size(); ++i) {
      out.pred.push_back(net_(out.data[i]));
      out.loss.push_back(loss(out.pred.back(), out.label[i]));
    }
  }
  if (training) autograd::backward(out.loss);
  return out;
}

BatchOutput Estimator::fit_batch(const data::Batch& batch) { return run_batch(batch, loss_, true); }

BatchOutput Estimator::evaluate_batch(const data::Batch& batch) { return run_batch(batch, evaluation_loss_, false); }

void Estimator::evaluate(data::DataLoader& val_data) {
  for (const auto& m : val_metrics_) m->reset();
  for (const data::Batch& batch : val_data) update_metrics(val_metrics_, evaluate_batch(batch));
}

void Estimator::resume_at(int epochs, std::int64_t batches) {
  if (epochs < 0 || batches < 0) throw Error("Estimator::resume_at: negative counts");
  epoch_ = epochs;
  batches_ = batches;
}

void Estimator::fit(data::DataLoader& train_data, data::DataLoader* val_data, std::optional<int> epochs,
                    std::vector<std::shared_ptr<EventHandler>> handlers, std::optional<std::int64_t> batches) {
  if (!epochs && !batches) throw Error("Estimator::fit: give epochs or batches");
  if ((epochs && *epochs < 1) || (batches && *batches < 1)) {
    throw Error("Estimator::fit: epochs and batches must be positive, got " + std::to_string(epochs.value_or(0)) +
                " and " + std::to_string(batches.value_or(0)));
  }
  if (!has_handler<GradientUpdateHandler>(handlers)) handlers.push_back(std::make_shared<GradientUpdateHandler>());
  if (!has_handler<MetricHandler>(handlers)) handlers.push_back(std::make_shared<MetricHandler>(train_metrics_));
  handlers.push_back(std::make_shared<StoppingHandler>(epochs, batches));
  if (val_data != nullptr && !has_handler<ValidationHandler>(handlers)) {
    handlers.push_back(std::make_shared<ValidationHandler>(*val_data));
  }
  if (!has_handler<LoggingHandler>(handlers)) handlers.push_back(std::make_shared<LoggingHandler>());
  std::stable_sort(handlers.begin(), handlers.end(), [](const auto& a, const auto& b) { return a->priority() < b->priority(); });

  epoch_ = 0;
  batches_ = 0;
  for (const auto& h : handlers) h->train_begin(*this);
  for (bool stop = false; !stop; ++epoch_) {
    for (const auto& h : handlers) h->epoch_begin(*this);
    const std::int64_t before = batches_;
    for (const data::Batch& batch : train_data) {
      for (const auto& h : handlers) h->batch_begin(*this, batch);
      const BatchOutput out = fit_batch(batch);
      ++batches_;
      for (const auto& h : handlers) stop = h->batch_end(*this, out) || stop;  // every handler sees the batch
      if (stop) break;
    }
    if (batches_ == before) throw Error("Estimator::fit: the training data gave no batch");
    for (const auto& h : handlers) stop = h->epoch_end(*this) || stop;
  }
  for (const auto& h : handlers) h->train_end(*this);
}

}  // namespace mx::gluon::contrib::estimator
