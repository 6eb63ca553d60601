#include <mx/gluon/contrib/summary_writer.h>

#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <system_error>

#include <mx/gluon/contrib/event_records.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/float_to_integer.h>

namespace mx::gluon::contrib {
namespace {

using records::ProtoWriter;

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("localhost");
}

// TensorFlow's default histogram limits: +-1e-12 growing by 10% to 1e20, 0, and +-DBL_MAX at the ends.
const std::vector<double>& default_limits() {
  static const std::vector<double> limits = [] {
    std::vector<double> positive;
    for (double v = 1e-12; v < 1e20; v *= 1.1) positive.push_back(v);
    positive.push_back(DBL_MAX);
    std::vector<double> all;
    for (auto it = positive.rbegin(); it != positive.rend(); ++it) all.push_back(-*it);
    all.push_back(0.0);
    all.insert(all.end(), positive.begin(), positive.end());
    return all;
  }();
  return limits;
}

}  // namespace

SummaryWriter::SummaryWriter(const std::string& logdir, std::string filename_suffix) {
  std::error_code error;
  std::filesystem::create_directories(logdir, error);
  if (error) throw Error("SummaryWriter: cannot create the log directory '" + logdir + "': " + error.message());
  const auto seconds = static_cast<long long>(wall_time());
  path_ = (std::filesystem::path(logdir) / ("events.out.tfevents." + std::to_string(seconds) + "." + host_name() +
                                            filename_suffix)).string();
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) throw Error("SummaryWriter: cannot open '" + path_ + "' for writing");
  write_event(ProtoWriter().fixed64(1, wall_time()).bytes(3, "brain.Event:2").str());
  flush();
}

SummaryWriter::~SummaryWriter() {
  if (out_.is_open()) out_.close();
}

void SummaryWriter::write_event(const std::string& event) {
  if (!out_.is_open()) throw Error("SummaryWriter: '" + path_ + "' is closed");
  out_ << records::frame(event);
  if (!out_) throw Error("SummaryWriter: writing '" + path_ + "' failed");
}

// Event{wall_time, step, summary: Summary{value: [value]}}.
void SummaryWriter::write_summary_value(const std::string& value, std::int64_t step) {
  const std::string summary = ProtoWriter().bytes(1, value).str();
  write_event(ProtoWriter()
                  .fixed64(1, wall_time())
                  .varint(2, static_cast<std::uint64_t>(step))
                  .bytes(5, summary)
                  .str());
}

void SummaryWriter::add_scalar(const std::string& tag, double value, std::int64_t global_step) {
  write_summary_value(ProtoWriter().bytes(1, tag).fixed32(2, static_cast<float>(value)).str(), global_step);
}

void SummaryWriter::add_histogram(const std::string& tag, const NDArray& values, std::int64_t global_step, int bins) {
  add_histogram(tag, values.astype(DType::kFloat64).asnumpy<double>(), global_step, bins);
}

void SummaryWriter::add_histogram(const std::string& tag, const std::vector<double>& values, std::int64_t global_step,
                                  int bins) {
  if (values.empty()) throw Error("SummaryWriter::add_histogram('" + tag + "'): no values");
  if (bins < 0) throw Error("SummaryWriter::add_histogram('" + tag + "'): bins must be 0 (default) or positive");
  double lo = values[0], hi = values[0], sum = 0, sum_squares = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) {  // as NumPy's histogram (and TensorFlow's): no range, no bucket to put it in
      throw Error("SummaryWriter::add_histogram('" + tag + "'): value " + std::to_string(i) + " is " +
                  (std::isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf") + "; a histogram needs finite values");
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
    sum_squares += v * v;
  }
  std::vector<double> limits, counts;
  if (bins == 0) {
    const std::vector<double>& all = default_limits();
    std::vector<double> all_counts(all.size(), 0.0);
    for (double v : values) {  // bucket i holds (limit[i-1], limit[i]]
      const auto at = std::lower_bound(all.begin(), all.end(), v) - all.begin();
      all_counts[static_cast<std::size_t>(std::min<std::ptrdiff_t>(at, static_cast<std::ptrdiff_t>(all.size()) - 1))] += 1;
    }
    // Keep the buckets from the first non-empty one to the last, and the empty one just before (its limit is
    // the first bucket's left edge).
    std::size_t first = 0, last = all.size() - 1;
    while (all_counts[first] == 0) ++first;
    while (all_counts[last] == 0) --last;
    if (first > 0) --first;
    limits.assign(all.begin() + static_cast<std::ptrdiff_t>(first), all.begin() + static_cast<std::ptrdiff_t>(last) + 1);
    counts.assign(all_counts.begin() + static_cast<std::ptrdiff_t>(first),
                  all_counts.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  } else {
    double width = hi > lo ? (hi - lo) / bins : 1.0;
    if (std::isinf(width)) width = hi / bins - lo / bins;  // finite values whose spread is not
    counts.assign(static_cast<std::size_t>(bins), 0.0);
    const double end = lo + width * bins;  // at least hi, which rounding could leave out
    for (int b = 0; b + 1 < bins; ++b) limits.push_back(lo + width * (b + 1));
    limits.push_back(std::isfinite(end) ? std::max(hi, end) : hi);
    for (double v : values) {
      // Saturating: v - lo may still overflow to inf for a spread wider than a double holds.
      const int b = std::clamp(float_to_integer<int>(std::floor((v - lo) / width)), 0, bins - 1);
      counts[static_cast<std::size_t>(b)] += 1;
    }
  }
  const std::string histogram = ProtoWriter()
                                    .fixed64(1, lo)
                                    .fixed64(2, hi)
                                    .fixed64(3, static_cast<double>(values.size()))
                                    .fixed64(4, sum)
                                    .fixed64(5, sum_squares)
                                    .packed_doubles(6, limits.data(), limits.size())
                                    .packed_doubles(7, counts.data(), counts.size())
                                    .str();
  write_summary_value(ProtoWriter().bytes(1, tag).bytes(5, histogram).str(), global_step);
}

// As TensorBoard's text plugin reads it: a string tensor of shape (1,), tagged with the plugin's name.
void SummaryWriter::add_text(const std::string& tag, const std::string& text, std::int64_t global_step) {
  const std::string shape = ProtoWriter().bytes(2, ProtoWriter().varint(1, 1).str()).str();
  const std::string tensor = ProtoWriter().varint(1, 7 /* DT_STRING */).bytes(2, shape).bytes(8, text).str();
  const std::string metadata = ProtoWriter().bytes(1, ProtoWriter().bytes(1, "text").str()).str();
  write_summary_value(ProtoWriter().bytes(1, tag).bytes(8, tensor).bytes(9, metadata).str(), global_step);
}

void SummaryWriter::flush() {
  if (out_.is_open()) out_.flush();
}

void SummaryWriter::close() {
  if (out_.is_open()) out_.close();
}

}  // namespace mx::gluon::contrib
