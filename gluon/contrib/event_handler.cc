#include <mx/gluon/contrib/event_handler.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string_view>

#include <mx/ndarray/error.h>

namespace mx::gluon::contrib::estimator {
namespace {

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::int64_t batch_size(const Estimator& estimator, const BatchOutput& out) {
  return out.batch[0].shape()[estimator.batch_axis()];
}

// Whether higher values of the monitored metric are better.
bool maximizes(MonitorMode mode, const metric::EvalMetric& monitor) {
  if (mode != MonitorMode::kAuto) return mode == MonitorMode::kMax;
  const std::string& name = monitor.name();
  for (const std::string_view better : {"acc", "f1", "mcc", "pearson"}) {
    if (name.find(better) != std::string::npos) return true;
  }
  return false;
}

bool improves(double value, const std::optional<double>& best, bool maximize, double min_delta = 0) {
  if (std::isnan(value)) return false;
  if (!best) return true;
  return maximize ? value > *best + min_delta : value < *best - min_delta;
}

std::string metric_values(const char* prefix, const std::vector<std::shared_ptr<metric::EvalMetric>>& metrics) {
  std::string text;
  for (const auto& m : metrics) {
    for (const auto& [name, value] : m->get_name_value()) {
      char number[32];
      std::snprintf(number, sizeof number, "%.4f", value);
      text += std::string(text.empty() ? "" : ", ") + prefix + name + ": " + number;
    }
  }
  return text;
}

}  // namespace

// ---- StoppingHandler ----

StoppingHandler::StoppingHandler(std::optional<int> max_epoch, std::optional<std::int64_t> max_batch)
    : max_epoch_(max_epoch), max_batch_(max_batch) {}

void StoppingHandler::train_begin(Estimator& estimator) {
  if ((max_epoch_ && estimator.current_epoch() >= *max_epoch_) || (max_batch_ && estimator.total_batches() >= *max_batch_)) {
    throw Error("Estimator::fit: " + std::to_string(estimator.current_epoch()) + " epochs and " +
                std::to_string(estimator.total_batches()) + " batches already run (a resumed checkpoint) reach the " +
                "limit; train from scratch (resume_from_checkpoint false) or ask for more");
  }
}

bool StoppingHandler::epoch_end(Estimator& estimator) {
  return max_epoch_ && estimator.current_epoch() + 1 >= *max_epoch_;
}

bool StoppingHandler::batch_end(Estimator& estimator, const BatchOutput&) {
  return max_batch_ && estimator.total_batches() >= *max_batch_;
}

// ---- GradientUpdateHandler, MetricHandler, ValidationHandler ----

bool GradientUpdateHandler::batch_end(Estimator& estimator, const BatchOutput& out) {
  estimator.trainer().step(static_cast<double>(batch_size(estimator, out)));
  return false;
}

void MetricHandler::epoch_begin(Estimator&) {
  for (const auto& m : metrics_) m->reset();
}

bool MetricHandler::batch_end(Estimator&, const BatchOutput& out) {
  update_metrics(metrics_, out);
  return false;
}

ValidationHandler::ValidationHandler(data::DataLoader& val_data, int epoch_period, std::optional<std::int64_t> batch_period)
    : EventHandler(-1000), val_data_(val_data), epoch_period_(epoch_period), batch_period_(batch_period) {
  if (epoch_period < 1 || (batch_period && *batch_period < 1)) {
    throw Error("ValidationHandler: epoch_period and batch_period must be positive");
  }
}

bool ValidationHandler::epoch_end(Estimator& estimator) {
  if (++epochs_ % epoch_period_ == 0) estimator.evaluate(val_data_);
  return false;
}

bool ValidationHandler::batch_end(Estimator& estimator, const BatchOutput&) {
  if (batch_period_ && ++batches_ % *batch_period_ == 0) estimator.evaluate(val_data_);
  return false;
}

// ---- LoggingHandler ----

LoggingHandler::LoggingHandler(std::optional<std::int64_t> log_interval, std::ostream* out)
    : EventHandler(std::numeric_limits<int>::max()), log_interval_(log_interval), out_(out) {
  if (log_interval && *log_interval < 1) throw Error("LoggingHandler: log_interval must be positive");
}

std::ostream& LoggingHandler::out() const { return out_ != nullptr ? *out_ : std::cout; }

void LoggingHandler::train_begin(Estimator& estimator) {
  train_start_ = seconds_now();
  batches_ = 0;
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.4f", estimator.trainer().learning_rate());
  out() << "Training begin: using optimizer " << estimator.trainer().optimizer().name()
        << " with current learning rate " << rate << "\n";
}

void LoggingHandler::train_end(Estimator& estimator) {
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds_now() - train_start_);
  out() << "Train finished using total " << elapsed << "s with " << estimator.current_epoch() << " epochs. "
        << metric_values("training ", estimator.train_metrics()) << "\n";
}

void LoggingHandler::epoch_begin(Estimator&) {
  epoch_start_ = interval_start_ = seconds_now();
  samples_ = 0;
}

bool LoggingHandler::epoch_end(Estimator& estimator) {
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds_now() - epoch_start_);
  std::string values = metric_values("training ", estimator.train_metrics());
  // Validation metrics that no evaluation has updated (NaN) are left out.
  const bool evaluated = std::none_of(estimator.val_metrics().begin(), estimator.val_metrics().end(),
                                      [](const auto& m) { return std::isnan(m->get().second); });
  if (evaluated && !estimator.val_metrics().empty()) values += ", " + metric_values("validation ", estimator.val_metrics());
  out() << "[Epoch " << estimator.current_epoch() << "] Finished in " << elapsed << "s, " << values << "\n";
  return false;
}

void LoggingHandler::batch_begin(Estimator&, const data::Batch&) {}

bool LoggingHandler::batch_end(Estimator& estimator, const BatchOutput& out_batch) {
  ++batches_;
  samples_ += batch_size(estimator, out_batch);
  if (log_interval_ && batches_ % *log_interval_ == 0) {
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds_now() - interval_start_);
    out() << "[Epoch " << estimator.current_epoch() << "][Batch " << batches_ << "][Samples " << samples_
          << "] time/interval: " << elapsed << "s " << metric_values("training ", estimator.train_metrics()) << "\n";
    interval_start_ = seconds_now();
  }
  return false;
}

// ---- CheckpointHandler ----

CheckpointHandler::CheckpointHandler(std::string model_dir, CheckpointOptions options)
    : model_dir_(std::move(model_dir)), options_(std::move(options)) {
  if (options_.save_best && options_.monitor == nullptr) throw Error("CheckpointHandler: save_best needs a monitor");
  if (options_.epoch_period < 1 || (options_.batch_period && *options_.batch_period < 1) || options_.max_checkpoints < 1) {
    throw Error("CheckpointHandler: epoch_period, batch_period and max_checkpoints must be positive");
  }
  std::error_code ec;
  std::filesystem::create_directories(model_dir_, ec);
  if (ec) throw Error("CheckpointHandler: cannot create '" + model_dir_ + "': " + ec.message());
}

void CheckpointHandler::train_begin(Estimator& estimator) {
  epochs_ = 0;
  batches_ = 0;
  best_.reset();
  if (options_.resume_from_checkpoint) resume(estimator);
}

// The newest <prefix>-epoch<E>batch<B>.params with its .states: the largest E, then the largest B.
void CheckpointHandler::resume(Estimator& estimator) {
  const std::string lead = options_.model_prefix + "-epoch";
  std::optional<std::pair<int, std::int64_t>> newest;
  for (const auto& entry : std::filesystem::directory_iterator(model_dir_)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(lead) || !name.ends_with(".params")) continue;
    int epoch = -1;
    long long batches = -1;
    char tail = 0;
    if (std::sscanf(name.c_str() + lead.size(), "%dbatch%lld.param%c", &epoch, &batches, &tail) != 3 || tail != 's') continue;
    if (!std::filesystem::exists(std::filesystem::path(model_dir_) / (name.substr(0, name.size() - 7) + ".states"))) continue;
    const std::pair<int, std::int64_t> found{epoch, batches};
    if (!newest || found > *newest) newest = found;
  }
  if (!newest) {
    std::cerr << "CheckpointHandler: no checkpoint " << lead << "<E>batch<B>.params in '" << model_dir_
              << "' to resume from; training from scratch\n";
    return;
  }
  const std::string path = (std::filesystem::path(model_dir_) / (lead + std::to_string(newest->first) + "batch" +
                                                                 std::to_string(newest->second))).string();
  estimator.net().load_parameters(path + ".params", estimator.context());
  estimator.trainer().load_states(path + ".states");
  epochs_ = newest->first + 1;
  batches_ = newest->second;
  saved_ = {path};
  estimator.resume_at(epochs_, batches_);
}

void CheckpointHandler::save(Estimator& estimator, int epoch) {
  const std::string stem = (std::filesystem::path(model_dir_) / options_.model_prefix).string();
  const std::string path = stem + "-epoch" + std::to_string(epoch) + "batch" + std::to_string(batches_);
  estimator.net().save_parameters(path + ".params");
  estimator.trainer().save_states(path + ".states");
  saved_.push_back(path);
  while (static_cast<int>(saved_.size()) > options_.max_checkpoints) {
    std::filesystem::remove(saved_.front() + ".params");
    std::filesystem::remove(saved_.front() + ".states");
    saved_.erase(saved_.begin());
  }
  if (options_.save_best) {
    const double value = options_.monitor->get().second;
    if (improves(value, best_, maximizes(options_.mode, *options_.monitor))) {
      best_ = value;
      estimator.net().save_parameters(stem + "-best.params");
      estimator.trainer().save_states(stem + "-best.states");
    }
  }
}

bool CheckpointHandler::epoch_end(Estimator& estimator) {
  const int epoch = epochs_++;
  if (epochs_ % options_.epoch_period == 0) save(estimator, epoch);
  return false;
}

bool CheckpointHandler::batch_end(Estimator& estimator, const BatchOutput&) {
  ++batches_;
  if (options_.batch_period && batches_ % *options_.batch_period == 0) save(estimator, epochs_);
  return false;
}

// ---- EarlyStoppingHandler ----

EarlyStoppingHandler::EarlyStoppingHandler(std::shared_ptr<metric::EvalMetric> monitor, EarlyStoppingOptions options)
    : monitor_(std::move(monitor)), options_(options) {
  if (monitor_ == nullptr) throw Error("EarlyStoppingHandler: needs a metric to monitor");
  if (options_.patience < 0 || options_.min_delta < 0) {
    throw Error("EarlyStoppingHandler: patience and min_delta must not be negative");
  }
  maximize_ = maximizes(options_.mode, *monitor_);
}

void EarlyStoppingHandler::train_begin(Estimator&) {
  best_ = options_.baseline;
  wait_ = 0;
  epochs_ = 0;
  stopped_epoch_.reset();
}

bool EarlyStoppingHandler::epoch_end(Estimator&) {
  const int epoch = epochs_++;
  const double value = monitor_->get().second;
  if (std::isnan(value)) return false;  // not evaluated yet: neither better nor worse
  if (improves(value, best_, maximize_, options_.min_delta)) {
    best_ = value;
    wait_ = 0;
    return false;
  }
  if (++wait_ < options_.patience) return false;  // MXNet's count: patience 0 and 1 both stop at once
  stopped_epoch_ = epoch;
  return true;
}

}  // namespace mx::gluon::contrib::estimator
