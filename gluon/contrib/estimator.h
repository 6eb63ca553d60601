#pragma once
// Gluon's Estimator (MXNet's gluon.contrib.estimator): the training loop written once, with what happens around
// it given as event handlers. fit() splits each batch over the contexts, runs forward and backward, and calls
// the handlers at train, epoch and batch begin and end; the default handlers update the parameters, the
// training metrics, validation, stopping and logging (event_handler.h).
//
//   gluon::contrib::estimator::Estimator est(net, loss_fn, trainer, {.train_metrics = {std::make_shared<metric::Accuracy>()}});
//   est.fit(train_loader, &val_loader, 5);                   // five epochs, validated after each
//   est.fit(train_loader, nullptr, {}, {std::make_shared<EarlyStoppingHandler>(est.val_metrics()[0])}, 1000);
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/gluon/data/dataloader.h>
#include <mx/gluon/loss.h>
#include <mx/gluon/metric.h>
#include <mx/gluon/trainer.h>

namespace mx::gluon::contrib::estimator {

class EventHandler;

// One batch as fit and evaluate saw it: per context, its slice of data and label, the predictions and the
// losses (each loss per sample).
struct BatchOutput {
  const data::Batch& batch;
  std::vector<NDArray> data, label, pred, loss;
};

// Updates each metric with a batch: a metric::Loss with the losses, the others with labels and predictions.
void update_metrics(const std::vector<std::shared_ptr<metric::EvalMetric>>& metrics, const BatchOutput& out);

struct EstimatorOptions {
  // Updated each batch by the MetricHandler (with a metric::Loss of the training loss added); empty: a Loss
  // metric alone.
  std::vector<std::shared_ptr<metric::EvalMetric>> train_metrics = {};
  // Updated by evaluate(); empty: a fresh copy of each training metric (EvalMetric::clone).
  std::vector<std::shared_ptr<metric::EvalMetric>> val_metrics = {};
  std::vector<Context> context = {};  // empty: the current context
  const loss::Loss* evaluation_loss = nullptr;  // nullptr: the training loss
  int batch_axis = 0;
};

class Estimator {
 public:
  // net, loss and trainer are the caller's and must outlive the estimator.
  Estimator(Block& net, const loss::Loss& loss, Trainer& trainer, EstimatorOptions options = {});

  // Trains until `epochs` epochs or `batches` batches have run (one of them required; both: the first
  // reached), or a handler stops it. With val_data, evaluates on it after each epoch (a ValidationHandler).
  // `handlers` are added to the defaults (GradientUpdateHandler, MetricHandler, StoppingHandler, a
  // ValidationHandler with val_data, and a LoggingHandler unless one is given) and run in order of priority.
  void fit(data::DataLoader& train_data, data::DataLoader* val_data = nullptr, std::optional<int> epochs = {},
           std::vector<std::shared_ptr<EventHandler>> handlers = {}, std::optional<std::int64_t> batches = {});
  // Resets the validation metrics and updates them over `val_data` (forward only, predict mode).
  void evaluate(data::DataLoader& val_data);

  // One training batch: split over the contexts, forward under autograd::record, backward. The update is the
  // GradientUpdateHandler's.
  BatchOutput fit_batch(const data::Batch& batch);
  BatchOutput evaluate_batch(const data::Batch& batch);

  Block& net() { return net_; }
  Trainer& trainer() { return trainer_; }
  const std::vector<std::shared_ptr<metric::EvalMetric>>& train_metrics() const { return train_metrics_; }
  const std::vector<std::shared_ptr<metric::EvalMetric>>& val_metrics() const { return val_metrics_; }
  const std::vector<Context>& context() const { return context_; }
  int batch_axis() const { return batch_axis_; }
  // Within fit: the epoch under way (from 0) and the batches trained so far; after it, the epochs run.
  int current_epoch() const { return epoch_; }
  std::int64_t total_batches() const { return batches_; }
  // For a handler's train_begin that restores a checkpoint: fit goes on as if `epochs` epochs and `batches`
  // batches had run (the next epoch is numbered `epochs`, and the limits count them).
  void resume_at(int epochs, std::int64_t batches);

 private:
  BatchOutput run_batch(const data::Batch& batch, const loss::Loss& loss, bool training);

  Block& net_;
  const loss::Loss& loss_;
  const loss::Loss& evaluation_loss_;
  Trainer& trainer_;
  std::vector<std::shared_ptr<metric::EvalMetric>> train_metrics_, val_metrics_;
  std::vector<Context> context_;
  int batch_axis_;
  int epoch_ = 0;
  std::int64_t batches_ = 0;
};

}  // namespace mx::gluon::contrib::estimator
