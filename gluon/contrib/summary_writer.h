#pragma once
// Logs scalars, histograms and text for TensorBoard, as MXBoard's SummaryWriter:
//
//   gluon::contrib::SummaryWriter sw("logs");
//   sw.add_scalar("loss", 0.42, epoch);
//   sw.add_histogram("dense0.weight", net.collect_params()["dense0.weight"].data(), epoch);
//   sw.add_text("config", "lr 0.1, batch 128");
//
// Writes logs/events.out.tfevents.<seconds>.<host>: TFRecord-framed, protobuf-encoded Event messages.
// Not thread-safe: one writer per thread.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::contrib {

class SummaryWriter {
 public:
  // Creates `logdir` if needed. Throws mx::Error naming the directory or file when it cannot.
  explicit SummaryWriter(const std::string& logdir, std::string filename_suffix = "");
  ~SummaryWriter();
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  void add_scalar(const std::string& tag, double value, std::int64_t global_step = 0);
  // `bins` 0: TensorBoard's default exponential buckets; n > 0: n equal bins from the smallest value to the
  // largest. Throws mx::Error for an empty array.
  void add_histogram(const std::string& tag, const NDArray& values, std::int64_t global_step = 0, int bins = 0);
  void add_histogram(const std::string& tag, const std::vector<double>& values, std::int64_t global_step = 0,
                     int bins = 0);
  void add_text(const std::string& tag, const std::string& text, std::int64_t global_step = 0);

  void flush();
  void close();  // later adds throw
  const std::string& path() const { return path_; }

 private:
  void write_summary_value(const std::string& value, std::int64_t step);
  void write_event(const std::string& event);
  std::string path_;
  std::ofstream out_;
};

}  // namespace mx::gluon::contrib
