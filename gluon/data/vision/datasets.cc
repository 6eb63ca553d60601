#include <mx/gluon/data/vision/datasets.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include <mx/io/idx_file.h>
#include <mx/io/recordio.h>
#include <mx/io/image_io.h>
#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>

namespace mx::gluon::data::vision {
namespace {

// The file `name` in `root`, gzipped (name.gz) or not.
std::string locate(const std::string& root, const std::string& name, const char* dataset, const char* package) {
  for (const std::string& candidate : {root + "/" + name + ".gz", root + "/" + name}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  throw Error(std::string(dataset) + ": " + root + "/" + name + "[.gz] not found" +
              (package ? std::string("; install the Debian package ") + package + " or pass the directory that holds it"
                       : std::string("; pass the directory that holds it")));
}

}  // namespace

MNIST::MNIST(std::string root, bool train) : MNIST(std::move(root), train, "MNIST", nullptr) {}

MNIST::MNIST(std::string root, bool train, const char* dataset, const char* package) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string image_path = locate(root, prefix + "-images-idx3-ubyte", dataset, package);
  const std::string label_path = locate(root, prefix + "-labels-idx1-ubyte", dataset, package);
  io::IdxFile images = io::read_idx(image_path, 3), labels = io::read_idx(label_path, 1);
  if (images.dims[0] != labels.dims[0]) {
    throw Error(std::string(dataset) + ": " + image_path + " holds " + std::to_string(images.dims[0]) + " images but " +
                label_path + " " + std::to_string(labels.dims[0]) + " labels");
  }
  const Shape image_shape{images.dims[0], images.dims[1], images.dims[2], 1};
  images_ = NDArray(image_shape, cpu(), DType::kUint8);
  images_.copy_from_host(images.bytes.data(), DType::kUint8, images.bytes.size());
  labels_ = NDArray(Shape{labels.dims[0]}, cpu(), DType::kInt32);
  labels_.copy_from_host(labels.bytes.data(), DType::kUint8, labels.bytes.size());
}

Sample MNIST::get(std::size_t i) const {
  if (i >= size()) throw Error("MNIST: index " + std::to_string(i) + " is out of range for " + std::to_string(size()) + " samples");
  const auto at = static_cast<std::int64_t>(i);
  return {images_.at(at), labels_.at(at)};
}

namespace {

// `root` with a leading ~ expanded, and its unpacked-archive subfolder when that holds the files.
std::string resolve_root(std::string root, const char* subfolder, const std::string& probe) {
  if (!root.empty() && root[0] == '~') {
    const char* home = std::getenv("HOME");
    root = std::string(home ? home : "") + root.substr(1);
  }
  const std::string nested = root + "/" + subfolder;
  if (!std::filesystem::exists(root + "/" + probe) && std::filesystem::exists(nested + "/" + probe)) return nested;
  return root;
}

std::vector<std::uint8_t> read_file(const std::string& path, const char* dataset) {
  if (!std::filesystem::exists(path)) {
    throw Error(std::string(dataset) + ": " + path + " not found; download the binary version and pass its directory");
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw Error(std::string(dataset) + ": cannot read " + path);
  return bytes;
}

}  // namespace

CIFAR10::CIFAR10(std::string root, bool train) {
  root = resolve_root(std::move(root), "cifar-10-batches-bin", "test_batch.bin");
  std::vector<std::string> files;
  if (train) {
    for (int b = 1; b <= 5; ++b) files.push_back(root + "/data_batch_" + std::to_string(b) + ".bin");
  } else {
    files.push_back(root + "/test_batch.bin");
  }
  read(files, 1, 0, "CIFAR10");
}

CIFAR100::CIFAR100(std::string root, bool fine_label, bool train) : CIFAR10(Unread{}) {
  root = resolve_root(std::move(root), "cifar-100-binary", "test.bin");
  read({root + (train ? "/train.bin" : "/test.bin")}, 2, fine_label ? 1 : 0, "CIFAR100");
}

void CIFAR10::read(const std::vector<std::string>& files, int label_bytes, int label_index, const char* dataset) {
  constexpr std::size_t kPlane = 32 * 32, kImage = 3 * kPlane;
  const std::size_t record = static_cast<std::size_t>(label_bytes) + kImage;
  std::vector<std::uint8_t> pixels, labels;
  for (const std::string& path : files) {
    const std::vector<std::uint8_t> bytes = read_file(path, dataset);
    if (bytes.empty() || bytes.size() % record != 0) {
      throw Error(std::string(dataset) + ": " + path + " holds " + std::to_string(bytes.size()) +
                  " bytes, not a whole number of " + std::to_string(record) + "-byte records (truncated or not the "
                  "binary version?)");
    }
    for (std::size_t r = 0; r < bytes.size() / record; ++r) {
      const std::uint8_t* rec = bytes.data() + r * record;
      labels.push_back(rec[label_index]);
      const std::uint8_t* planes = rec + label_bytes;  // R, G and B planes: to (32, 32, 3)
      for (std::size_t p = 0; p < kPlane; ++p) {
        for (std::size_t c = 0; c < 3; ++c) pixels.push_back(planes[c * kPlane + p]);
      }
    }
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  images_ = NDArray(Shape{n, 32, 32, 3}, cpu(), DType::kUint8);
  images_.copy_from_host(pixels.data(), DType::kUint8, pixels.size());
  labels_ = NDArray(Shape{n}, cpu(), DType::kInt32);
  labels_.copy_from_host(labels.data(), DType::kUint8, labels.size());
}

Sample CIFAR10::get(std::size_t i) const {
  if (i >= size()) throw Error("CIFAR: index " + std::to_string(i) + " is out of range for " + std::to_string(size()) + " samples");
  const auto at = static_cast<std::int64_t>(i);
  return {images_.at(at), labels_.at(at)};
}

ImageFolderDataset::ImageFolderDataset(std::string root, int flag) : flag_(flag) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(root)) throw Error("ImageFolderDataset: " + root + " is not a directory");
  auto synsets = std::make_shared<std::vector<std::string>>();
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) synsets->push_back(entry.path().filename().string());
  }
  std::sort(synsets->begin(), synsets->end());
  auto items = std::make_shared<std::vector<std::pair<std::string, int>>>();
  for (std::size_t label = 0; label < synsets->size(); ++label) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(fs::path(root) / (*synsets)[label])) {
      std::string ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (entry.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png")) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    for (std::string& f : files) items->emplace_back(std::move(f), static_cast<int>(label));
  }
  if (items->empty()) throw Error("ImageFolderDataset: no .jpg, .jpeg or .png images in class folders under " + root);
  synsets_ = std::move(synsets);
  items_ = std::move(items);
}

Sample ImageFolderDataset::get(std::size_t i) const {
  if (i >= size()) {
    throw Error("ImageFolderDataset: index " + std::to_string(i) + " is out of range for " + std::to_string(size()) + " images");
  }
  const auto& [path, label] = (*items_)[i];
  return {mx::image::imread(path, flag_), nd::full({}, label, cpu(), DType::kInt32)};
}

namespace {
std::vector<std::pair<std::vector<double>, std::string>> read_lst(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("ImageListDataset: cannot open " + path);
  std::vector<std::pair<std::vector<double>, std::string>> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) fields.push_back(line.substr(start, tab - start));
    fields.push_back(line.substr(start));
    bool ok = fields.size() >= 3 && !fields.back().empty();
    std::vector<double> labels;
    for (std::size_t f = 1; ok && f + 1 < fields.size(); ++f) {
      char* end = nullptr;
      labels.push_back(std::strtod(fields[f].c_str(), &end));
      ok = !fields[f].empty() && *end == '\0';
    }
    if (!ok) {
      throw Error("ImageListDataset: " + path + " line " + std::to_string(number) +
                  ": expected index<TAB>label(s)<TAB>path, got '" + line + "'");
    }
    items.emplace_back(std::move(labels), fields.back());
  }
  return items;
}
}  // namespace

ImageListDataset::ImageListDataset(std::string root, const std::string& lst_file, int flag)
    : ImageListDataset(std::move(root), read_lst(lst_file), flag) {}

ImageListDataset::ImageListDataset(std::string root, std::vector<std::pair<std::vector<double>, std::string>> images, int flag)
    : root_(std::move(root)), flag_(flag) {
  if (flag != 0 && flag != 1) throw Error("ImageListDataset: flag must be 1 (color) or 0 (gray), got " + std::to_string(flag));
  if (images.empty()) throw Error("ImageListDataset: no images listed");
  items_ = std::make_shared<const std::vector<std::pair<std::vector<double>, std::string>>>(std::move(images));
}

Sample ImageListDataset::get(std::size_t i) const {
  if (i >= size()) {
    throw Error("ImageListDataset: index " + std::to_string(i) + " is out of range for " + std::to_string(size()) + " images");
  }
  const auto& [labels, path] = (*items_)[i];
  return {mx::image::imread((std::filesystem::path(root_) / path).string(), flag_), nd::array(labels, std::nullopt, cpu(), DType::kFloat32)};
}

ImageRecordDataset::ImageRecordDataset(std::string filename, int flag) : records_(std::move(filename)), flag_(flag) {
  if (flag != 0 && flag != 1) throw Error("ImageRecordDataset: flag must be 1 (color) or 0 (gray), got " + std::to_string(flag));
}

Sample ImageRecordDataset::get(std::size_t i) const {
  const auto [header, image] = recordio::unpack(records_.record(i));
  NDArray label = header.flag == 0
                      ? nd::full({}, header.label, cpu(), DType::kFloat32)
                      : nd::array(std::vector<double>(header.labels.begin(), header.labels.end()), std::nullopt, cpu(), DType::kFloat32);
  try {
    return {mx::image::imdecode(image, flag_), label};
  } catch (const Error& e) {
    throw Error("ImageRecordDataset: record " + std::to_string(i) + " of " + records_.filename() + ": " + e.what());
  }
}

}  // namespace mx::gluon::data::vision
