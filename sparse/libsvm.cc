// LibSVM text files: parsed once on the host, then served as CSR batches.
#include <mx/sparse/libsvm.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <mx/engine/error.h>
#include <mx/operators/creation.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::io {
namespace {

std::string where(const std::string& path, std::int64_t line) { return path + ":" + std::to_string(line); }

double parse_number(const std::string& token, const std::string& path, std::int64_t line, const char* what) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(token.c_str(), &end);
  if (token.empty() || end != token.c_str() + token.size() || errno == ERANGE) {
    throw Error("LibSVMIter: " + where(path, line) + ": " + what + " '" + token + "' is not a number");
  }
  return value;
}

std::vector<std::string> input_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::is_directory(path, error)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error("LibSVMIter: the directory " + path + " holds no files");
    return files;
  }
  if (!fs::exists(path, error)) throw Error("LibSVMIter: cannot open " + path + ": no such file or directory");
  return {path};
}

}  // namespace

LibSVMIter::LibSVMIter(LibSVMIterOptions options) : options_(std::move(options)) {
  const LibSVMIterOptions& o = options_;
  if (o.data_shape <= 0) throw Error("LibSVMIter: data_shape (the number of features) must be positive");
  if (o.batch_size <= 0) throw Error("LibSVMIter: batch_size must be positive, got " + std::to_string(o.batch_size));
  if (o.num_parts < 1 || o.part_index < 0 || o.part_index >= o.num_parts) {
    throw Error("LibSVMIter: part_index " + std::to_string(o.part_index) + " is not in [0, num_parts = " +
                std::to_string(o.num_parts) + ")");
  }
  for (const std::string& file : input_files(o.data_libsvm)) read_file(file);
  // This part's contiguous share of the samples.
  const auto total = static_cast<std::int64_t>(labels_.size());
  const std::int64_t begin = total * o.part_index / o.num_parts, end = total * (o.part_index + 1) / o.num_parts;
  if (begin > 0 || end < total) {
    const std::int64_t first = indptr_[begin], last = indptr_[end];
    values_ = std::vector<double>(values_.begin() + first, values_.begin() + last);
    indices_ = std::vector<std::int64_t>(indices_.begin() + first, indices_.begin() + last);
    std::vector<std::int64_t> offsets;
    for (std::int64_t i = begin; i <= end; ++i) offsets.push_back(indptr_[i] - first);
    indptr_ = std::move(offsets);
    labels_ = std::vector<double>(labels_.begin() + begin, labels_.begin() + end);
  }
  if (labels_.empty()) throw Error("LibSVMIter: " + o.data_libsvm + " gives this part no samples");
}

void LibSVMIter::read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("LibSVMIter: cannot open " + path);
  std::string text;
  std::int64_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    const std::size_t comment = text.find('#');
    if (comment != std::string::npos) text.resize(comment);
    std::size_t at = text.find_first_not_of(" \t\r");
    if (at == std::string::npos) continue;  // blank
    auto token = [&] {
      const std::size_t end = text.find_first_of(" \t\r", at);
      std::string t = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
      at = end == std::string::npos ? end : text.find_first_not_of(" \t\r", end);
      return t;
    };
    labels_.push_back(parse_number(token(), path, line, "the label"));
    std::int64_t previous = -1;
    while (at != std::string::npos) {
      const std::string pair = token();
      const std::size_t colon = pair.find(':');
      if (colon == std::string::npos) {
        throw Error("LibSVMIter: " + where(path, line) + ": '" + pair + "' is not index:value");
      }
      const double number = parse_number(pair.substr(0, colon), path, line, "the index");
      const auto index = static_cast<std::int64_t>(number) - (options_.one_based ? 1 : 0);
      if (number != static_cast<double>(static_cast<std::int64_t>(number)) || index < 0 ||
          index >= options_.data_shape) {
        throw Error("LibSVMIter: " + where(path, line) + ": feature index " + pair.substr(0, colon) +
                    " is outside the " + std::to_string(options_.data_shape) + " features of data_shape" +
                    (options_.one_based ? " (counted from 1)" : " (counted from 0; set one_based for LibSVM's 1)"));
      }
      if (index <= previous) {
        throw Error("LibSVMIter: " + where(path, line) + ": feature indices must increase, got " +
                    std::to_string(previous) + " then " + std::to_string(index));
      }
      previous = index;
      indices_.push_back(index);
      values_.push_back(parse_number(pair.substr(colon + 1), path, line, "the value"));
    }
    indptr_.push_back(static_cast<std::int64_t>(indices_.size()));
  }
}

void LibSVMIter::reset() {
  cursor_ = 0;
  pad_ = 0;
}

bool LibSVMIter::next() {
  const std::int64_t total = num_samples();
  if (cursor_ >= total) return false;
  const std::int64_t take = std::min(options_.batch_size, total - cursor_);
  pad_ = options_.round_batch ? options_.batch_size - take : 0;
  // Rows cursor_ .. cursor_ + take, then pad_ rows from the start (wrapping again if the file is short).
  std::vector<double> values, labels;
  std::vector<std::int64_t> indices, indptr{0};
  for (std::int64_t k = 0; k < take + pad_; ++k) {
    const std::int64_t row = k < take ? cursor_ + k : (k - take) % total;
    for (std::int64_t v = indptr_[row]; v < indptr_[row + 1]; ++v) {
      values.push_back(values_[v]);
      indices.push_back(indices_[v]);
    }
    indptr.push_back(static_cast<std::int64_t>(indices.size()));
    labels.push_back(labels_[row]);
  }
  cursor_ += take;
  const auto rows = static_cast<std::int64_t>(labels.size());
  data_ = nd::sparse::csr_matrix(values, indices, indptr, Shape{rows, options_.data_shape}, options_.dtype, cpu());
  label_ = nd::array(labels, Shape{rows}, cpu(), options_.dtype);
  return true;
}

LibSVMData load_libsvm(const std::string& path, std::int64_t num_features, DType dtype, bool one_based) {
  LibSVMIter whole({.data_libsvm = path, .data_shape = num_features, .batch_size = INT64_MAX, .round_batch = false,
                    .one_based = one_based, .dtype = dtype});
  whole.next();
  return {whole.data(), whole.label()};
}

}  // namespace mx::io
