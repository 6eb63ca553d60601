#include <mx/io/csv_iter.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include <mx/engine/error.h>
#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>

namespace mx::io {
namespace {

// Every line's values, checked to number `width` each; returns the number of lines (blank ones skipped).
std::int64_t read_csv(const std::string& path, std::int64_t width, const char* option, std::vector<double>& out) {
  std::ifstream in(path);
  if (!in) throw Error(std::string("CSVIter: cannot open ") + option + " " + path);
  std::string text;
  std::int64_t line = 0, samples = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::int64_t values = 0;
    for (std::size_t at = 0; at <= text.size();) {
      std::size_t comma = text.find(',', at);
      if (comma == std::string::npos) comma = text.size();
      const std::string field = text.substr(at, comma - at);
      const char* begin = field.c_str();
      char* end = nullptr;
      errno = 0;
      const double value = std::strtod(begin, &end);
      while (*end == ' ' || *end == '\t' || *end == '\r') ++end;
      if (end == begin || *end != '\0' || errno == ERANGE) {
        throw Error("CSVIter: " + path + ":" + std::to_string(line) + ": value " + std::to_string(values + 1) +
                    " '" + field + "' is not a number");
      }
      out.push_back(value);
      ++values;
      at = comma + 1;
    }
    if (values != width) {
      throw ShapeError("CSVIter: " + path + ":" + std::to_string(line) + " holds " + std::to_string(values) +
                       " values; " + option + "'s shape asks for " + std::to_string(width));
    }
    ++samples;
  }
  return samples;
}

}  // namespace

CSVIter::CSVIter(CSVIterOptions options)
    : DataIter(options.batch_size), options_(std::move(options)), ctx_(options_.ctx.value_or(current_context())) {
  if (batch_size_ <= 0) throw Error("CSVIter: batch_size must be positive, got " + std::to_string(batch_size_));
  if (options_.data_shape.ndim() == 0 || options_.data_shape.size() <= 0) {
    throw ShapeError("CSVIter: data_shape must have at least one axis and one value per sample");
  }
  if (options_.label_shape.ndim() == 0 || options_.label_shape.size() <= 0) {
    throw ShapeError("CSVIter: label_shape must have at least one axis and one value per sample");
  }
  samples_ = read_csv(options_.data_csv, options_.data_shape.size(), "data_csv", data_);
  if (samples_ == 0) throw Error("CSVIter: " + options_.data_csv + " holds no samples");
  if (!options_.label_csv.empty()) {
    const std::int64_t labels = read_csv(options_.label_csv, options_.label_shape.size(), "label_csv", labels_);
    if (labels != samples_) {
      throw Error("CSVIter: " + options_.label_csv + " holds " + std::to_string(labels) + " labels, " +
                  options_.data_csv + " " + std::to_string(samples_) + " samples");
    }
  } else {
    labels_.assign(static_cast<std::size_t>(samples_ * options_.label_shape.size()), 0.0);
  }
}

Shape CSVIter::batch_shape(const Shape& sample, bool drop_single) const {
  std::vector<std::int64_t> dims{batch_size_};
  if (!drop_single || !(sample.ndim() == 1 && sample[0] == 1)) {
    dims.insert(dims.end(), sample.begin(), sample.end());
  }
  return Shape(dims);
}

bool CSVIter::next() {
  if (cursor_ >= samples_) return false;
  const std::int64_t take = std::min(batch_size_, samples_ - cursor_);
  const std::int64_t rows = options_.round_batch ? batch_size_ : take;
  const std::int64_t data_width = options_.data_shape.size(), label_width = options_.label_shape.size();
  std::vector<double> data, labels;
  data.reserve(static_cast<std::size_t>(rows * data_width));
  labels.reserve(static_cast<std::size_t>(rows * label_width));
  for (std::int64_t k = 0; k < rows; ++k) {  // rows past the file's end wrap to its start
    const std::int64_t row = k < take ? cursor_ + k : (k - take) % samples_;
    data.insert(data.end(), data_.begin() + row * data_width, data_.begin() + (row + 1) * data_width);
    labels.insert(labels.end(), labels_.begin() + row * label_width, labels_.begin() + (row + 1) * label_width);
  }
  cursor_ += take;
  Shape data_shape = batch_shape(options_.data_shape, false), label_shape = batch_shape(options_.label_shape, true);
  data_shape[0] = label_shape[0] = rows;
  batch_ = {{nd::array(std::span<const double>(data), data_shape, ctx_, options_.dtype)},
            {nd::array(std::span<const double>(labels), label_shape, ctx_, options_.dtype)},
            rows - take};
  return true;
}

std::vector<DataDesc> CSVIter::provide_data() const {
  return {{options_.data_name, batch_shape(options_.data_shape, false), options_.dtype}};
}

std::vector<DataDesc> CSVIter::provide_label() const {
  return {{options_.label_name, batch_shape(options_.label_shape, true), options_.dtype}};
}

}  // namespace mx::io
