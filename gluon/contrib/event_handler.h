#pragma once
// The Estimator's event handlers, as MXNet's gluon.contrib.estimator: a handler overrides the events it acts
// on; batch_end and epoch_end return true to stop training. Handlers run in order of priority, lowest first:
// GradientUpdateHandler (-2000) updates the parameters before MetricHandler and ValidationHandler (-1000) read
// them, user handlers (0) come next and LoggingHandler (highest) reports last.
#include <cstdint>
#include <iosfwd>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mx/gluon/contrib/estimator.h>

namespace mx::gluon::contrib::estimator {

class EventHandler {
 public:
  explicit EventHandler(int priority = 0) : priority_(priority) {}
  virtual ~EventHandler() = default;
  int priority() const { return priority_; }

  virtual void train_begin(Estimator&) {}
  virtual void train_end(Estimator&) {}
  virtual void epoch_begin(Estimator&) {}
  virtual bool epoch_end(Estimator&) { return false; }
  virtual void batch_begin(Estimator&, const data::Batch&) {}
  virtual bool batch_end(Estimator&, const BatchOutput&) { return false; }

 private:
  int priority_;
};

// Stops once the estimator has run max_epoch epochs or max_batch batches (counting those a resumed checkpoint
// had run).
class StoppingHandler : public EventHandler {
 public:
  StoppingHandler(std::optional<int> max_epoch, std::optional<std::int64_t> max_batch);
  void train_begin(Estimator& estimator) override;
  bool epoch_end(Estimator& estimator) override;
  bool batch_end(Estimator& estimator, const BatchOutput&) override;

 private:
  std::optional<int> max_epoch_;
  std::optional<std::int64_t> max_batch_;
};

// trainer.step(batch size) after each batch's backward.
class GradientUpdateHandler : public EventHandler {
 public:
  GradientUpdateHandler() : EventHandler(-2000) {}
  bool batch_end(Estimator& estimator, const BatchOutput& out) override;
};

// Resets the metrics at each epoch's start and updates them after each batch: a metric::Loss with the losses,
// the others with labels and predictions.
class MetricHandler : public EventHandler {
 public:
  explicit MetricHandler(std::vector<std::shared_ptr<metric::EvalMetric>> metrics)
      : EventHandler(-1000), metrics_(std::move(metrics)) {}
  void epoch_begin(Estimator&) override;
  bool batch_end(Estimator&, const BatchOutput& out) override;

 private:
  std::vector<std::shared_ptr<metric::EvalMetric>> metrics_;
};

// Evaluates on val_data every epoch_period epochs (and every batch_period batches when given).
class ValidationHandler : public EventHandler {
 public:
  explicit ValidationHandler(data::DataLoader& val_data, int epoch_period = 1,
                             std::optional<std::int64_t> batch_period = {});
  bool epoch_end(Estimator& estimator) override;
  bool batch_end(Estimator& estimator, const BatchOutput&) override;

 private:
  data::DataLoader& val_data_;
  int epoch_period_;
  std::optional<std::int64_t> batch_period_;
  int epochs_ = 0;
  std::int64_t batches_ = 0;
};

// Reports to `out` (std::cout when null): the optimizer at the start, each epoch's time and metrics (or every
// log_interval batches when given), and the totals at the end. Training metrics are named "training <name>",
// validation ones "validation <name>".
class LoggingHandler : public EventHandler {
 public:
  explicit LoggingHandler(std::optional<std::int64_t> log_interval = {}, std::ostream* out = nullptr);
  void train_begin(Estimator&) override;
  void train_end(Estimator&) override;
  void epoch_begin(Estimator&) override;
  bool epoch_end(Estimator&) override;
  void batch_begin(Estimator&, const data::Batch&) override;
  bool batch_end(Estimator&, const BatchOutput& out) override;

 private:
  std::ostream& out() const;
  std::optional<std::int64_t> log_interval_;
  std::ostream* out_;
  double train_start_ = 0, epoch_start_ = 0, interval_start_ = 0;
  std::int64_t batches_ = 0, samples_ = 0;
};

// "max" when higher values of `monitor` are better, "min" when lower ones are; "auto" picks "max" for
// accuracies, F1, MCC and correlations, "min" for the rest (losses, errors).
enum class MonitorMode { kAuto, kMin, kMax };

// Saves the parameters (Block::save_parameters) and the trainer's states every epoch_period epochs (and every
// batch_period batches when given) as <model_dir>/<prefix>-epoch<E>batch<B>.params and .states, E the epoch
// under way from 0 and B the batches run (MXNet's names), keeping the newest max_checkpoints; with save_best,
// also <prefix>-best.params/.states whenever `monitor` improves. With resume_from_checkpoint, fit starts from
// the newest checkpoint in model_dir (parameters, trainer states, and the epochs and batches it had run).
struct CheckpointOptions {
  std::string model_prefix = "model";
  std::shared_ptr<metric::EvalMetric> monitor = nullptr;  // required for save_best
  bool save_best = false;
  MonitorMode mode = MonitorMode::kAuto;
  int epoch_period = 1;
  std::optional<std::int64_t> batch_period = {};
  int max_checkpoints = 5;
  bool resume_from_checkpoint = false;
};
class CheckpointHandler : public EventHandler {
 public:
  CheckpointHandler(std::string model_dir, CheckpointOptions options = {});
  void train_begin(Estimator&) override;
  bool epoch_end(Estimator& estimator) override;
  bool batch_end(Estimator& estimator, const BatchOutput&) override;
  // The checkpoints kept, oldest first (paths without the extension).
  const std::vector<std::string>& saved() const { return saved_; }

 private:
  void save(Estimator& estimator, int epoch);
  void resume(Estimator& estimator);
  std::string model_dir_;
  CheckpointOptions options_;
  std::vector<std::string> saved_;
  std::optional<double> best_;
  int epochs_ = 0;
  std::int64_t batches_ = 0;
};

// Stops when `monitor` has not improved by more than min_delta (nor passed `baseline`) in `patience` epochs in
// a row, counted as MXNet counts them (0 and 1 both stop at the first epoch without improvement). An epoch whose
// value is NaN (no evaluation yet) does not count.
struct EarlyStoppingOptions {
  double min_delta = 0;
  int patience = 0;
  MonitorMode mode = MonitorMode::kAuto;
  std::optional<double> baseline = {};
};
class EarlyStoppingHandler : public EventHandler {
 public:
  explicit EarlyStoppingHandler(std::shared_ptr<metric::EvalMetric> monitor, EarlyStoppingOptions options = {});
  void train_begin(Estimator&) override;
  bool epoch_end(Estimator&) override;
  // The epoch (from 0) after which it stopped training, if it did.
  std::optional<int> stopped_epoch() const { return stopped_epoch_; }

 private:
  std::shared_ptr<metric::EvalMetric> monitor_;
  EarlyStoppingOptions options_;
  bool maximize_ = false;
  std::optional<double> best_;
  int wait_ = 0, epochs_ = 0;
  std::optional<int> stopped_epoch_;
};

}  // namespace mx::gluon::contrib::estimator
